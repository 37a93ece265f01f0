//! `unreachable-action`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/unreachable_action.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "unreachable-action",
    category: Category::Correctness,
    default_level: Level::Info,
    summary: "an action of the schema that the policy set denies for every request: a capability nobody can use",
    source: Source::Deep,
    doc: r#"## What it does
For every action of the schema that requests can name (it `appliesTo` some principal and
resource types), asks whether the policy set allows any request of it, in any of its request
environments. When it allows none, one finding stands on the action's declaration in the
schema (`action "name"` in Cedar syntax, the action's key in a JSON schema). An environment
where no permit can apply is settled without the solver; the others are one solver query each
("the set denies every request"). A query the solver cannot decide makes the finding
`unknown: …`, never a pass. Action groups without `appliesTo` are not requested, and not
reported.

Actions denied by design are listed in `cedarcheck.toml`:

```toml
[analysis]
intentionally-denied = ["Ops::Action::\"LegacyExport\""]
```

An entry that names no action of the schema is a config error at its file, line and column.

## Why is this bad?
An action that nobody can perform is a dead capability: a tool added to the schema whose
permit was forgotten, a permit whose scope names the action wrongly, or a forbid broader than
meant. Callers see a permission error they cannot fix, and the schema promises something the
policies never grant.

## Example
```cedar
// schema: action RebootHost appliesTo { principal: [Operator], resource: [Host] };
permit (principal is Ops::Operator, action == Ops::Action::"RebooHost", resource);
```

Use instead (or list `Ops::Action::"RebootHost"` in `intentionally-denied`):
```cedar
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource);
```
"#,
};
