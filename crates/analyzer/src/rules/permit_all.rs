use crate::constant::truth_value;
use crate::{Category, ClauseKind, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "permit-all",
    category: Category::Security,
    default_level: Level::Error,
    summary: "a permit for every principal, action and resource with no real condition",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports `permit(principal, action, resource)` with no `when`/`unless` clause, or only clauses that
are constant (`when { true }`, `unless { false }`).

## Why is this bad?
It allows every request: any principal may do anything to anything, including actions added to
the schema later. Only a forbid can then restrict access, which turns least privilege upside
down. It is how "temporarily allow everything" debugging policies reach production.

## Example
```cedar
@id("debug-allow-all")
permit (principal, action, resource);
```

Use instead:
```cedar
@id("agent-read-logs")
permit (
  principal == Ops::Agent::"openclaw",
  action == Ops::Action::"ReadLogs",
  resource is Ops::LogDirectory
);
```
"#,
};

/// Whether the policy is a permit-all; the `unscoped-*` rules stay quiet on such a policy.
pub fn applies(unit: &PolicyUnit<'_>) -> bool {
    unit.is_permit()
        && unit.principal_unscoped()
        && unit.action_unscoped()
        && unit.resource_unscoped()
        && unit
            .clauses()
            .iter()
            .all(|clause| truth_value(clause.body) == Some(clause.kind == ClauseKind::When))
}

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    if applies(unit) {
        out.push(
            unit.finding(
                &RULE,
                unit.head_span(),
                format!(
                    "{} `{}` permits every principal to perform every action on every resource",
                    unit.kind_name(),
                    unit.id
                ),
            )
            .with_help("constrain the principal, action and resource in the scope"),
        );
    }
}
