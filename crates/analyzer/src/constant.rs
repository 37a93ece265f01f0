//! Constant folding of conditions, as far as it can be decided without types or entities.

use cedar_policy_core::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};

/// `Some(b)` when `expr` evaluates to `b` for every request on which it does not error.
///
/// `x || true` counts as `true` and `x && false` as `false`: the only other outcome is an error,
/// and an erroring condition does not make a policy apply either.
pub fn truth_value(expr: &Expr) -> Option<bool> {
    match expr.expr_kind() {
        ExprKind::Lit(Literal::Bool(b)) => Some(*b),
        ExprKind::UnaryApp {
            op: UnaryOp::Not,
            arg,
        } => truth_value(arg).map(|b| !b),
        ExprKind::And { left, right } => match (truth_value(left), truth_value(right)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        ExprKind::Or { left, right } => match (truth_value(left), truth_value(right)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        ExprKind::If {
            test_expr,
            then_expr,
            else_expr,
        } => match truth_value(test_expr) {
            Some(true) => truth_value(then_expr),
            Some(false) => truth_value(else_expr),
            None => match (truth_value(then_expr), truth_value(else_expr)) {
                (Some(a), Some(b)) if a == b => Some(a),
                _ => None,
            },
        },
        ExprKind::BinaryApp {
            op: BinaryOp::Eq,
            arg1,
            arg2,
        } => match (arg1.expr_kind(), arg2.expr_kind()) {
            (ExprKind::Lit(a), ExprKind::Lit(b)) => Some(a == b),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> Option<bool> {
        let expr: Expr = src.parse().unwrap();
        truth_value(&expr)
    }

    #[test]
    fn folds_what_is_decided_without_a_request() {
        assert_eq!(eval("true"), Some(true));
        assert_eq!(eval("!false"), Some(true));
        assert_eq!(eval("context.a || true"), Some(true));
        assert_eq!(eval("context.a && false"), Some(false));
        assert_eq!(eval("1 == 1"), Some(true));
        assert_eq!(eval(r#""a" == "b""#), Some(false));
        assert_eq!(eval("if context.a then true else true"), Some(true));
    }

    #[test]
    fn leaves_request_dependent_conditions_alone() {
        assert_eq!(eval("context.a"), None);
        assert_eq!(eval("context.a || false"), None);
        assert_eq!(eval("principal == principal"), None);
    }
}
