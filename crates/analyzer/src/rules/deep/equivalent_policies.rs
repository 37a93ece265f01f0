//! `equivalent-policies`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/equivalent_policies.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "equivalent-policies",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "two policies of the same effect match exactly the same requests",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver whether two policies of the same effect match exactly the same valid requests in
every environment, and reports the later one with the earlier as related location.

## Why is this bad?
One of them is a copy. Copies drift: the next fix lands in one of them only, and the other keeps
granting (or stops denying) what the fix was meant to change.

## Example
```cedar
@id("agent-read-nginx-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/nginx/*" };

@id("agent-nginx-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { "/var/log/nginx/" == "/var/log/nginx/" && resource.path like "/var/log/nginx/*" };
```

Use instead: keep one of them.
```cedar
@id("agent-read-nginx-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/nginx/*" };
```
"#,
};
