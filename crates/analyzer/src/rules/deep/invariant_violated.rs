//! `invariant-violated`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/invariant_violated.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "invariant-violated",
    category: Category::Security,
    default_level: Level::Error,
    summary: "an invariant does not hold",
    source: Source::Deep,
    doc: r#"## What it does
Checks each invariant — a Cedar policy in an `invariants` file — for all valid requests, not
just listed ones. A `forbid` invariant holds when no request it matches is allowed by the policy
set; a `permit` invariant holds when every request it matches is allowed. A violation comes with
a counterexample request and names the policies that decided it.

## Why is this bad?
Invariants are the security properties the policy set exists to guarantee ("no privileged action
without MFA", "on-call humans can always read logs"). A violated one is a hole (or an outage)
that no listed test happened to exercise.

## Example
```cedar
// invariant: no privileged action without MFA
forbid (principal, action in Ops::Action::"privileged", resource) unless { context.mfa };

// policy set: this permit violates it for requests without MFA
permit (principal in Ops::Team::"sre", action == Ops::Action::"RebootHost", resource is Ops::Host);
```

Use instead (in the policy set):
```cedar
permit (principal in Ops::Team::"sre", action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.mfa };
```
"#,
};
