use cedar_policy_core::ast::Var;

use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "unscoped-action",
    category: Category::Security,
    default_level: Level::Warn,
    summary: "a permit that applies to every action, including actions added to the schema later",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a permit whose scope leaves `action` unconstrained (no `==` or `in`) and whose conditions
never mention `action` either. A condition such as `when { action == Ops::Action::"ReadLogs" }`,
`action in [...]` or `action in Ops::Action::"read"` constrains the action as well as the scope
does, so the permit is not reported.

## Why is this bad?
The permit grants every action that applies to its principal and resource types: today's
read-only actions, and tomorrow's `DeleteHost` the day someone adds it to the schema. A policy
review cannot see that growth coming. Name the actions, or an action group.

How loud it is follows the risk: `warn` when the permit is for anyone, every principal of a
type, or one named principal (a service account or an agent: its least privilege is the point);
`info` for a role grant — `principal in Role::"admin"`, or a relationship its conditions test,
such as `resource.owner == principal` — where "every action" is usually the role's meaning. On
the same policy, `unscoped-principal` and `unscoped-resource` are shown as related information
of one finding.

## When it is deliberate
When a permit really is meant for every action (an administrator's policy, say), say so and
silence the rule for that policy with `@cedarcheck_ignore("unscoped-action")` above it.

## Example
```cedar
permit (
  principal == Ops::Agent::"openclaw",
  action,
  resource is Ops::Host
);
```

Use instead:
```cedar
permit (
  principal == Ops::Agent::"openclaw",
  action in [Ops::Action::"ViewHostStatus", Ops::Action::"ListServices"],
  resource is Ops::Host
);
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    if unit.is_permit()
        && unit.action_unscoped()
        && !unit.conditions_mention(Var::Action)
        && !super::permit_all::applies(unit)
    {
        let mut finding = unit
            .finding(
                &RULE,
                unit.action_span(),
                format!("permit `{}` applies to every action", unit.id),
            )
            .with_help(
                "list the actions (`action in [...]`), name an action group, or test `action` in a `when` clause; if every action is meant, add @cedarcheck_ignore(\"unscoped-action\")",
            );
        if unit.granted_to_a_role() {
            // "Every action" is what an administrator or owner role usually means.
            finding.level = Level::Info;
        }
        out.push(finding);
    }
}
