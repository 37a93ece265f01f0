use crate::constant::truth_value;
use crate::{Category, ClauseKind, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "constant-condition",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "a `when`/`unless` clause that is constant (`true`, `false`, `x || true`, `!false` …)",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a `when` or `unless` clause whose value does not depend on the request: `true`, `false`,
`!false`, `x || true`, `x && false`, `1 == 1`, or an `if` whose branches agree.

## Why is this bad?
A clause that is always true restricts nothing: it reads like a guard in review but grants
unconditionally. One that is always false makes the whole policy dead — for a forbid, a
guardrail that never fires. Both are usually leftovers from debugging or a mistyped operator.

## Example
```cedar
forbid (principal, action in Ops::Action::"privileged", resource)
unless { context.mfa || true };   // `|| true` disables the MFA requirement
```

Use instead:
```cedar
forbid (principal, action in Ops::Action::"privileged", resource)
unless { context.mfa };
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    for clause in unit.clauses() {
        let Some(value) = truth_value(clause.body) else {
            continue;
        };
        let applies = value == (clause.kind == ClauseKind::When);
        let consequence = if applies {
            "it restricts nothing"
        } else {
            "the policy can never apply"
        };
        out.push(
            unit.finding(
                &RULE,
                clause.span,
                format!(
                    "`{}` condition is always {value}: {consequence}",
                    clause.kind.keyword()
                ),
            )
            .with_help("test an attribute of the request, or remove the clause"),
        );
    }
}
