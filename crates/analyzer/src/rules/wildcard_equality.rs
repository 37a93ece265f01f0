use cedar_policy_core::ast::{BinaryOp, ExprKind, Literal};

use crate::policy::expr_span;
use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "wildcard-equality",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "`==` against a string literal containing `*` (meant `like`?)",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports `==` or `!=` comparing with a string literal that contains `*`.

## Why is this bad?
`*` is a wildcard only in `like` patterns. `resource.path == "/var/log/*"` matches only the
literal path `/var/log/*`, so a permit written this way grants less than intended and a forbid
written this way protects almost nothing.

## Example
```cedar
forbid (principal, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path == "/var/log/secure/*" };
```

Use instead:
```cedar
forbid (principal, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/secure/*" };
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    for expr in unit.condition_exprs() {
        let ExprKind::BinaryApp {
            op: BinaryOp::Eq,
            arg1,
            arg2,
        } = expr.expr_kind()
        else {
            continue;
        };
        let literal = [arg1, arg2]
            .into_iter()
            .find_map(|arg| match arg.expr_kind() {
                ExprKind::Lit(Literal::String(s)) if s.contains('*') => Some(s),
                _ => None,
            });
        if let Some(literal) = literal {
            out.push(
                unit.finding(
                    &RULE,
                    expr_span(expr, unit.span),
                    format!("`==` compares with the literal string \"{literal}\"; `*` is a wildcard only with `like`"),
                )
                .with_help("use `like` for a pattern; to match a literal `*` with `like`, escape it as `\\*`"),
            );
        }
    }
}
