//! `unconditional-permit`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/unconditional_permit.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "unconditional-permit",
    category: Category::Security,
    default_level: Level::Warn,
    summary: "the permit matches every request of every environment it applies to",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver whether a permit matches every valid request of each environment its scope
admits — that is, whether its `when`/`unless` clauses restrict nothing. Reports it with the
environments where that holds (one level lower when it holds in only some). A permit without
any `when`/`unless` clause is not asked: it grants its scope, as it says, and the `unscoped-*`
rules judge how broad that scope is.

## Why is this bad?
A condition that looks like a guard but is implied by the schema (`context.mfa || !context.mfa`,
`resource.size >= 0` on an unsigned quantity, a `like "*"` hidden behind a variable) grants the
whole environment. Reviewers read the guard; the authorizer does not.

## Example
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/*" || !(resource.path like "/var/log/*") };
```

Use instead:
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/*" };
```
"#,
};
