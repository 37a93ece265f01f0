//! `replay-removed-access`, reported by `cedarcheck replay` (docs/decision-logs.md): logged
//! requests that were allowed and that the policy set under review would deny.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "replay-removed-access",
    category: Category::Correctness,
    default_level: Level::Warn,
    summary: "a logged request that was allowed would now be denied (`cedarcheck replay`)",
    source: Source::Diff,
    doc: r#"## What it does
Reported by `cedarcheck replay` for every group of logged requests (principal type × action ×
resource type × deciding policies) that the decision log records as allowed — or that the base
revision allows, with `--base` — and that the working tree's policy set denies. The finding is
at the forbid that now denies them or, when no policy applies any more, at the permit that
allowed them before; with the number of requests, an example position in the log and one of
them as a `run-tests` entry.

## Why is this bad?
Someone relied on that access last week: a tightened policy that refuses real requests breaks
the agent's routine or an operator's runbook. `cedarcheck replay` fails (exit 1) until the
change is accepted with `--allow-removed-access`.

## Example
```cedar
// this change narrows the log paths: openclaw's daily reads of /var/log/app/ now fail
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/nginx/*" };
```

Use instead: cover the paths the log shows in use:
```cedar
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/*" };
```
"#,
};
