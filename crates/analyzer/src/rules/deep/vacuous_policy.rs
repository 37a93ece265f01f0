//! `vacuous-policy`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/vacuous_policy.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "vacuous-policy",
    category: Category::Correctness,
    default_level: Level::Error,
    summary: "the policy matches no valid request",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver, for every request environment (principal type × action × resource type) the
policy's scope admits, whether any valid request — any entities, attributes and context the
schema allows — makes the policy match. Reports the policy when none does, with the
environments where that holds. In only some of its environments, the finding is one level lower.

## Why is this bad?
A policy that can never match is dead code that looks like protection or like access. The
validator catches type-level impossibilities; the solver also catches contradictions in values:
a window that ends before it starts, an IP range inside another that excludes it, a number that
must be both below 3 and above 5.

## Example
```cedar
forbid (principal, action in Ops::Action::"privileged", resource)
when { context.risk_score > 80 && context.risk_score < 20 };   // never both
```

Use instead:
```cedar
forbid (principal, action in Ops::Action::"privileged", resource)
when { context.risk_score > 80 || context.risk_score < 20 };
```
"#,
};
