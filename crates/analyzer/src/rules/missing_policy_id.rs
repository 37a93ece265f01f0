use cedar_policy_core::ast::ActionConstraint;

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
        let id = suggested_id(unit);
        let kind = unit.kind_name();
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
                format!(
                    "add a member such as \"annotations\": {{\"id\": \"{id}\"}} to the \
                     {kind}'s object"
                )
            } else {
                format!("add an annotation such as @id(\"{id}\") above the {kind}")
            }),
        );
    }
}

/// An id in the words of the policy's first action (`ViewPhoto` → `view-photo`, a forbid's
/// `no-view-photo`), for the help to show; `policy-name` when the scope names no action.
fn suggested_id(unit: &PolicyUnit<'_>) -> String {
    let action = match unit.template.action_constraint() {
        ActionConstraint::Eq(uid) => Some(uid.eid().as_ref().to_string()),
        ActionConstraint::In(uids) => uids.first().map(|uid| uid.eid().as_ref().to_string()),
        _ => None,
    };
    let Some(action) = action else {
        return "policy-name".into();
    };
    let mut words = String::new();
    let mut previous_lower = false;
    for c in action.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower {
                words.push('-');
            }
            words.extend(c.to_lowercase());
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            if !words.ends_with('-') && !words.is_empty() {
                words.push('-');
            }
            previous_lower = false;
        }
    }
    let words = words.trim_matches('-');
    match (unit.is_permit(), words.is_empty()) {
        (_, true) => "policy-name".into(),
        (true, false) => words.to_string(),
        (false, false) => format!("no-{words}"),
    }
}
