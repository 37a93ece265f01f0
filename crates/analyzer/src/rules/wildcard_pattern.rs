use cedar_policy_core::ast::{ExprKind, PatternElem};

use crate::policy::expr_span;
use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "wildcard-pattern",
    category: Category::Security,
    default_level: Level::Warn,
    summary: "`like \"*\"` or another pattern that matches every string",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a `like` whose pattern consists only of wildcards (`"*"`, `"**"`), so it matches every
string.

## Why is this bad?
`resource.path like "*"` looks like a restriction on paths but allows all of them. It is usually
a placeholder that was never narrowed, or a prefix that got lost (`"/var/log/*"`).

## Example
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "*" };
```

Use instead:
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/nginx/*" };
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    for expr in unit.condition_exprs() {
        if let ExprKind::Like { pattern, .. } = expr.expr_kind() {
            let elems = pattern.get_elems();
            if !elems.is_empty() && elems.iter().all(|e| *e == PatternElem::Wildcard) {
                out.push(
                    unit.finding(
                        &RULE,
                        expr_span(expr, unit.span),
                        format!("pattern `{pattern}` matches every string"),
                    )
                    .with_help("narrow the pattern (e.g. a path prefix), or drop the test if any value is really fine"),
                );
            }
        }
    }
}
