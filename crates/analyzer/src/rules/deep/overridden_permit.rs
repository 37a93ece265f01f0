//! `overridden-permit`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/overridden_permit.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "overridden-permit",
    category: Category::Correctness,
    default_level: Level::Error,
    summary: "every request the permit matches is denied by one or more forbids",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver whether every valid request the permit matches is also matched by a forbid — by
one forbid, or only by the union of several. Reports the permit as dead and names the forbid, or
a minimal set of forbids that deny it together.
In only some of its environments, the finding is one level lower.

## Why is this bad?
The permit grants nothing: the rules conflict. Either the permit is obsolete, or a forbid is
broader than intended and blocks access that someone relies on — often discovered during an
incident, when the break-glass permit turns out to be overridden.

## Example
```cedar
permit (principal in Ops::Team::"oncall", action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context has incident };

forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
unless { context has change_window };
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context has change_window };   // together: every reboot is forbidden
```

Use instead:
```cedar
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
unless { context has change_window || context has incident };
```
"#,
};
