//! `replay-new-access`, reported by `cedarcheck replay` (docs/decision-logs.md): logged
//! requests that were denied and that the policy set under review would allow.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "replay-new-access",
    category: Category::Security,
    default_level: Level::Error,
    summary: "a logged request that was denied would now be allowed (`cedarcheck replay`)",
    source: Source::Diff,
    doc: r#"## What it does
Reported by `cedarcheck replay` for every group of logged requests (principal type × action ×
resource type × deciding policies) that the decision log records as denied — or that the base
revision denies, with `--base` — and that the working tree's policy set allows. The finding
is at the permit that now allows them, with the number of requests, an example position in the
log and one of them as a `run-tests` entry.

## Why is this bad?
Real traffic that used to be refused now gets through: the agent or the operators will start
doing something they could not do yesterday. That may be what the change is for, but it must
be seen, so `cedarcheck replay` fails (exit 1) until it is accepted with `--allow-new-access`.

## Example
```cedar
// this change drops the team condition: openclaw may now reboot every host it asks for
permit (principal is Ops::Agent, action == Ops::Action::"RebootHost", resource is Ops::Host);
```

Use instead: keep the condition that the logged denials relied on:
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.owner == principal.team };
```
"#,
};
