//! The quick fix of `in-non-entity`: `x in ["a", "b"]` becomes `["a", "b"].contains(x)`, and
//! `x in "a"` becomes `x == "a"` — the fixes the rule's help names (see `cedarcheck rules
//! in-non-entity`).
//!
//! The finding's range is the `in` expression. Its text is parsed again as a Cedar expression,
//! and the fix is written from the texts of its two operands. A method call binds tighter than
//! every operator, so `[…].contains(x)` stands wherever `x in […]` stood without parentheses;
//! an operand that is itself an operator expression goes inside `.contains(…)`, where it needs
//! none either. `==` has the precedence of `in`, so `x == "a"` stands where `x in "a"` did.

use std::str::FromStr;

use cedar_policy_core::ast::{BinaryOp, Expr, ExprKind};

/// What replaces the `in` expression `text`, and the action's title; `None` when `text` is
/// not an `in` whose right side is a set written out or a literal.
pub fn fix(text: &str) -> Option<(String, String)> {
    let expr = Expr::from_str(text).ok()?;
    let ExprKind::BinaryApp {
        op: BinaryOp::In,
        arg1,
        arg2,
    } = expr.expr_kind()
    else {
        return None;
    };
    let operand = |e: &Expr| {
        let loc = e.source_loc()?;
        text.get(loc.start()..loc.end()).map(str::trim)
    };
    let (left, right) = (operand(arg1)?, operand(arg2)?);
    match arg2.expr_kind() {
        ExprKind::Set(_) => {
            let fixed = format!("{right}.contains({left})");
            Some((format!("Use `{fixed}`"), fixed))
        }
        ExprKind::Lit(_) => {
            let fixed = format!("{left} == {right}");
            Some((format!("Use `{fixed}`"), fixed))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_goes_to_the_left_of_contains() {
        assert_eq!(
            fix(r#"context.tool in ["shell", "exec"]"#),
            Some((
                r#"Use `["shell", "exec"].contains(context.tool)`"#.into(),
                r#"["shell", "exec"].contains(context.tool)"#.into()
            ))
        );
        assert_eq!(
            fix(r#"context.a + 1 in [1, 2]"#).unwrap().1,
            "[1, 2].contains(context.a + 1)"
        );
        assert_eq!(
            fix(r#"context.tool in "shell""#).unwrap().1,
            r#"context.tool == "shell""#
        );
        assert_eq!(fix("principal in resource.readers"), None);
        assert_eq!(fix("context.tool =="), None);
    }
}
