//! `allows-all`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/allows_all.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "allows-all",
    category: Category::Security,
    default_level: Level::Warn,
    summary: "the policy set allows every request of an environment",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver, per request environment, whether the whole policy set allows every valid
request in it — whoever the principal, whatever the resource, attributes and context. The
finding stands on the first permit that grants the access; it is one level lower when the
environment's action only reads, by its name (`Get…`, `List…`, `Read…`, `View…`), and left out
when that permit already has an `unscoped-*`, `permit-all` or `unconditional-permit` finding —
the same cause, said once.

## Why is this bad?
Somewhere a permit is broader than intended, or the forbids that should carve exceptions out of
it cannot fire. For privileged actions this is almost never what a zero-trust design wants: no
MFA, no grant, no window can then make a difference.

## Example
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"RebootHost", resource is Ops::Host);
```

Use instead:
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.environment != "prod" && context has change_window };
```
"#,
};
