use cedar_policy_core::ast::Var;

use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "unscoped-resource",
    category: Category::Security,
    default_level: Level::Warn,
    summary:
        "a permit whose resource is unconstrained in scope and never mentioned in its conditions",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a permit whose scope leaves `resource` unconstrained (no `==`, `in` or `is`) and whose
conditions never mention `resource` either.

## Why is this bad?
The permit covers every resource of every type the action applies to, including resources created
later and resource types added to the schema later. Least privilege names what may be touched.

## Example
```cedar
permit (
  principal is Ops::Agent,
  action == Ops::Action::"ReadLogs",
  resource
);
```

Use instead:
```cedar
permit (
  principal is Ops::Agent,
  action == Ops::Action::"ReadLogs",
  resource is Ops::LogDirectory
) when { resource.path like "/var/log/nginx/*" };
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    if unit.is_permit()
        && unit.resource_unscoped()
        && !unit.conditions_mention(Var::Resource)
        && !super::permit_all::applies(unit)
    {
        out.push(
            unit.finding(
                &RULE,
                unit.resource_span(),
                format!("permit `{}` applies to every resource", unit.id),
            )
            .with_help(
                "constrain `resource` with `==`, `in` or `is`, or test it in a `when` clause",
            ),
        );
    }
}
