//! `redundant-forbid`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/redundant_forbid.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "redundant-forbid",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "every request the forbid denies is denied by other forbids",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver whether every valid request the forbid matches is also matched by another
forbid, or by the union of several. Reports the forbid and names the forbid that covers it, or a
minimal set of forbids that cover it together.

## Why is this bad?
The forbid denies nothing the others do not already deny. It is harmless today but misleads:
loosening it appears to grant access and does not, and reviewers must read two guardrails to
understand one.

## Example
```cedar
forbid (principal, action in Ops::Action::"privileged", resource) unless { context.mfa };
forbid (principal, action == Ops::Action::"RebootHost", resource) unless { context.mfa };  // covered
```

Use instead:
```cedar
forbid (principal, action in Ops::Action::"privileged", resource) unless { context.mfa };
```
"#,
};
