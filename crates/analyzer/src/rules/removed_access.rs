//! `removed-access`, reported by `cedarcheck diff`: built from a diff's changes by the prover,
//! in `crates/prover/src/diff/findings.rs`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "removed-access",
    category: Category::Correctness,
    default_level: Level::Info,
    summary: "the change denies a request the base revision allowed (`cedarcheck diff`)",
    source: Source::Diff,
    doc: r#"## What it does
Reported by `cedarcheck diff` for every request environment in which the new policy set denies
a request that the old one allowed, with such a request as example and the policies that now
deny it (or that used to allow it). An environment the schema removed is reported too.

## Why is this bad?
Taking access away is usually the point of a least-privilege change, so this does not fail the
run. It is shown so that a reviewer sees whom the change locks out — an on-call human who can no
longer read logs is an outage waiting for the next incident.

## Example
```cedar
// base revision
permit (principal in Ops::Team::"oncall", action == Ops::Action::"ReadLogs", resource);

// this change: on-call may read logs only with MFA
permit (principal in Ops::Team::"oncall", action == Ops::Action::"ReadLogs", resource)
when { context.mfa };
```

Use instead: nothing to change if the lock-out is intended; otherwise keep the access:
```cedar
permit (principal in Ops::Team::"oncall", action == Ops::Action::"ReadLogs", resource);
```
"#,
};
