use cedar_policy_core::ast::Var;

use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "unscoped-principal",
    category: Category::Security,
    default_level: Level::Warn,
    summary:
        "a permit whose principal is unconstrained in scope and never mentioned in its conditions",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a permit whose scope leaves `principal` unconstrained (no `==`, `in` or `is`) and whose
conditions never mention `principal` either.

## Why is this bad?
Every principal of every type the schema allows for the action gets the access, including
service accounts and principal types added to the schema later. Least privilege starts with who.

## Example
```cedar
permit (
  principal,
  action == Ops::Action::"RestartService",
  resource is Ops::Service
);
```

Use instead:
```cedar
permit (
  principal in Ops::Team::"sre",
  action == Ops::Action::"RestartService",
  resource is Ops::Service
);
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    if unit.is_permit()
        && unit.principal_unscoped()
        && !unit.conditions_mention(Var::Principal)
        && !super::permit_all::applies(unit)
    {
        out.push(
            unit.finding(
                &RULE,
                unit.principal_span(),
                format!("permit `{}` applies to every principal", unit.id),
            )
            .with_help(
                "constrain `principal` with `==`, `in` or `is`, or test it in a `when` clause",
            ),
        );
    }
}
