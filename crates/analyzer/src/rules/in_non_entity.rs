use cedar_policy_core::ast::{BinaryOp, Effect, Expr, ExprKind, Literal};

use crate::policy::expr_span;
use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "in-non-entity",
    category: Category::Security,
    default_level: Level::Error,
    summary:
        "`in` against a string, number or boolean literal or a set of them (meant `.contains`?)",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports `x in ["a", "b"]` or `x in "a"`: an `in` whose right side is a string, number or boolean
literal, or a set written out of such literals. It looks only at the written right side, so
`principal in resource.readers` or `resource in Ops::Folder::"logs"` is never reported.

The level is `error` for a forbid and one level lower, `warn` by default, for a permit.
Configuring the rule's level sets the forbid's; the permit's stays one below it.

The rule reports only when the set has no schema file (many agent gateways run Cedar without
one): with a schema, strict validation rejects the expression as a type error (`schema-error`,
at its two operands), and this rule stays silent rather than report it twice.

## Why is this bad?
`in` tests membership in the entity hierarchy: it works on entities only. On a string it is
a runtime error, and Cedar skips a policy whose condition errors. A forbid written this way
fails open: it never stops anything, and a broad permit then allows the request. A permit
written this way never grants.

## Example
```cedar
forbid (principal, action == Agent::Action::"call_tool", resource)
when { context has tool && context.tool in ["shell", "exec"] };
```

Use instead:
```cedar
forbid (principal, action == Agent::Action::"call_tool", resource)
when { context has tool && ["shell", "exec"].contains(context.tool) };
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    // With a schema, strict validation reports the same expression as a `schema-error` (or,
    // while the schema does not load, will once it does).
    if unit.has_schema {
        return;
    }
    for expr in unit.condition_exprs() {
        let ExprKind::BinaryApp {
            op: BinaryOp::In,
            arg1,
            arg2,
        } = expr.expr_kind()
        else {
            continue;
        };
        let Some(what) = non_entity(arg2) else {
            continue;
        };
        let text = |e: &Expr| unit.expr_text(e);
        let (kind, consequence) = match unit.effect() {
            Effect::Forbid => ("forbid", "Cedar skips it (fails open)"),
            Effect::Permit => ("permit", "Cedar skips it (it never grants)"),
        };
        let help = if matches!(arg2.expr_kind(), ExprKind::Set(_)) {
            format!(
                "test set membership with `.contains`: `{}.contains({})`",
                text(arg2),
                text(arg1)
            )
        } else {
            format!("compare with `==`: `{} == {}`", text(arg1), text(arg2))
        };
        let mut finding = unit
            .finding(
                &RULE,
                expr_span(expr, unit.span),
                format!(
                    "`{}`: `in` works on entities only, and its right side is {what}; \
                     this makes the {kind} error at runtime, and {consequence}",
                    text(expr)
                ),
            )
            .with_help(help);
        if unit.effect() == Effect::Permit {
            // One level below the rule's level (see `settle`).
            finding.level = Level::Warn;
        }
        out.push(finding);
    }
}

/// What the right side of an `in` is, when it is written as a non-entity literal or a
/// non-empty set of them.
fn non_entity(expr: &Expr) -> Option<&'static str> {
    fn literal(expr: &Expr) -> Option<&'static str> {
        match expr.expr_kind() {
            ExprKind::Lit(Literal::String(_)) => Some("a string"),
            ExprKind::Lit(Literal::Long(_)) => Some("a number"),
            ExprKind::Lit(Literal::Bool(_)) => Some("a boolean"),
            _ => None,
        }
    }
    match expr.expr_kind() {
        ExprKind::Set(elements) if !elements.is_empty() => {
            let kinds: Option<Vec<_>> = elements.iter().map(literal).collect();
            let kinds = kinds?;
            Some(if kinds.iter().all(|k| *k == "a string") {
                "a set of strings"
            } else {
                "a set of literals that are not entities"
            })
        }
        _ => literal(expr),
    }
}
