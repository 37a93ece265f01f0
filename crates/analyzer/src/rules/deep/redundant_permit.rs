//! `redundant-permit`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/redundant_permit.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "redundant-permit",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "every request the permit allows is allowed by other permits",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver whether every valid request the permit matches is also matched by another
permit, or by the union of several. Reports the permit and names the permit that covers it, or a
minimal set of permits that cover it together.

## Why is this bad?
Removing the permit changes no decision today, so it is noise in reviews — and a trap: narrowing
it later (a least-privilege fix) has no effect, because a broader permit still grants the access.

## Example
```cedar
permit (principal in Ops::Team::"sre", action in Ops::Action::"read", resource);
permit (principal in Ops::Team::"sre", action == Ops::Action::"ReadLogs", resource);  // covered
```

Use instead:
```cedar
permit (principal in Ops::Team::"sre", action in Ops::Action::"read", resource);
```
"#,
};
