use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "missing-policy-id",
    category: Category::Style,
    default_level: Level::Info,
    summary: "no `@id` annotation: audit logs would show `policy0`",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a policy or template without an `@id("…")` annotation. In Cedar's JSON policy format,
a policy's key in `staticPolicies` or `templates` is its id (as is `"annotations": {"id": "…"}`),
so only a single-policy JSON file can lack one.

## Why is this bad?
Without `@id`, Cedar names a policy by its position: `policy0`, `policy1`, … Authorization logs,
test expectations and reports then point at a number that changes whenever a policy is added
above it. An `@id` is a stable name that reviews, logs and tests can share.

This is a style rule, so it reports at level `info` and does not fail a run on its own. To
require ids, raise it in `cedarcheck.toml`: `[rules]` `missing-policy-id = "warn"` (or `"error"`).

## Example
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory);
```

Use instead:
```cedar
@id("agent-read-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory);
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    let has_id = unit
        .template
        .annotations()
        .any(|(key, _)| key.as_ref() == "id");
    if !has_id {
        out.push(
            unit.finding(
                &RULE,
                unit.head_span(),
                format!(
                    "{} has no @id; it is known as `{}`",
                    unit.kind_name(),
                    unit.id
                ),
            )
            .with_help(if unit.is_json() {
                // Cedar's JSON policy format has no `@`: annotations are a member.
                "add a member such as \"annotations\": {\"id\": \"agent-read-logs\"} to the \
                 policy's object"
            } else {
                "add an annotation such as @id(\"agent-read-logs\") above the policy"
            }),
        );
    }
}
