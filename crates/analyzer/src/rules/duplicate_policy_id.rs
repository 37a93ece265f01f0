//! `duplicate-policy-id`, raised by the pipeline in `policy_set.rs` while the set is assembled.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "duplicate-policy-id",
    category: Category::Correctness,
    default_level: Level::Error,
    summary: "two policies share an id",
    source: Source::Pipeline,
    doc: r#"## What it does
Reports a policy, template or template link whose id (its `@id("…")` annotation, or Cedar's
default `policyN`) is already used by another one in the same policy set.

## Why is this bad?
Authorization decisions name the policies that determined them by id. With two policies under
one id, audit logs and test expectations cannot tell which one allowed or denied a request, and
tools that load the set by id (including the Cedar CLI) reject it.

## Example
```cedar
@id("agent-read-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory);

@id("agent-read-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ListServices", resource is Ops::Host);
```

Use instead:
```cedar
@id("agent-read-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory);

@id("agent-list-services")
permit (principal is Ops::Agent, action == Ops::Action::"ListServices", resource is Ops::Host);
```
"#,
};
