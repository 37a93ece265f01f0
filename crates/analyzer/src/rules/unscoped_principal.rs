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

How loud it is follows the risk:
- `warn` when an action in the scope changes state (or the scope leaves the action open), and
  when the only guard is the request's `context` — a flag the caller supplies, such as
  `when { context.is_admin }`, guards nothing against a caller who sets it.
- `info` when every action the scope names only reads, by its name (`Get…`, `List…`, `Read…`,
  `View…`, `Describe…`, `s3:GetObject`, an action group `"read"`): "anyone may read" tiers and
  public discovery endpoints are usually deliberate.

On the same policy, `unscoped-resource`, `unscoped-action`, `unconditional-permit` and `allows-all`
say the same thing from another side: the report shows one finding per policy — the loudest,
these rules in that order at equal level — with the others as its related information.

## When it is deliberate
A public endpoint or a tier every signed-in user gets: say so above the policy with
`@cedarcheck_ignore("unscoped-principal")`, or turn the rule off for a directory with an
`[[override]]` in `cedarcheck.toml`.

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
    if !unit.is_permit()
        || !unit.principal_unscoped()
        || unit.conditions_mention(Var::Principal)
        || super::permit_all::applies(unit)
    {
        return;
    }
    let context_only = unit.guarded_by_context_only();
    let message = if context_only {
        format!(
            "permit `{}` applies to every principal, and its only guard is the request's `context`, which the caller supplies",
            unit.id
        )
    } else {
        format!("permit `{}` applies to every principal", unit.id)
    };
    let mut finding = unit
        .finding(&RULE, unit.principal_span(), message)
        .with_help(
            "constrain `principal` with `==`, `in` or `is`, or test it in a `when` clause; if anyone is meant, add @cedarcheck_ignore(\"unscoped-principal\")",
        );
    if unit.actions_read_only() && !context_only {
        // Who may read is a deliberate tier more often than a mistake.
        finding.level = Level::Info;
    }
    out.push(finding);
}
