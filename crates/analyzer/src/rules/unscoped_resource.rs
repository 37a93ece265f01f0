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

How loud it is follows the risk: `warn` when anyone may do it — the principal is open, or only
its type is given (`principal is ServiceAccount`: every service account) — and an action changes
state; `info` when the scope names who (`principal == E`, `principal in Role::"admin"`) or the
conditions relate the principal to the resource (`resource.owner == principal`) — a role grant
such as
`permit (principal in Role::"admin", action in [...], resource)`, where the schema's `appliesTo`
already fixes the resource types — or when every action only reads, as `unscoped-principal`
judges it. On the same policy the other `unscoped-*` rules,
`unconditional-permit` and `allows-all` are shown as related information of one finding.

## When it is deliberate
A role that is meant to reach every resource of its actions: say so above the policy with
`@cedarcheck_ignore("unscoped-resource")`.

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
        let mut finding = unit
            .finding(
                &RULE,
                unit.resource_span(),
                format!("permit `{}` applies to every resource", unit.id),
            )
            .with_help(
                "constrain `resource` with `==`, `in` or `is`, or test it in a `when` clause; if every resource is meant, add @cedarcheck_ignore(\"unscoped-resource\")",
            );
        let role_grant = unit.principal_named() || unit.relates_principal_to_resource();
        let anyone_reads = unit.actions_read_only() && !unit.guarded_by_context_only();
        if role_grant || anyone_reads {
            // A grant to a named principal or role, which the schema bounds, or reading.
            finding.level = Level::Info;
        }
        out.push(finding);
    }
}
