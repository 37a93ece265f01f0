//! `new-access`, reported by `cedarcheck diff`: built from a diff's changes by the prover, in
//! `crates/prover/src/diff/findings.rs`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "new-access",
    category: Category::Security,
    default_level: Level::Error,
    summary: "the change lets through a request the base revision denied (`cedarcheck diff`)",
    source: Source::Diff,
    doc: r#"## What it does
Reported by `cedarcheck diff` for every request environment (principal type × action × resource
type) in which the new policy set allows a request that the old one denied, with such a request
as example and the policies that now allow it. An environment the schema added, in which the
new set allows anything, counts as new access too, and so does a comparison the solver could
not decide.

## Why is this bad?
It is not bad in itself: granting access is what some changes are for. But it is the one thing
a policy review must not miss, so `cedarcheck diff` fails (exit 1) until the change is accepted
with `--allow-new-access` — the CI gate "this pull request grants new access".

## Example
```cedar
// base revision
permit (principal in Ops::Team::"sre", action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.mfa };

// this change: MFA is no longer required
permit (principal in Ops::Team::"sre", action == Ops::Action::"RebootHost", resource is Ops::Host);
```

Use instead: keep the condition, or accept the new access explicitly in review:
```cedar
permit (principal in Ops::Team::"sre", action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.mfa };
```
"#,
};
