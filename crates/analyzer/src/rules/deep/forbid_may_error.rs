//! `forbid-may-error`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/forbid_may_error.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "forbid-may-error",
    category: Category::Security,
    default_level: Level::Error,
    summary: "a forbid can raise a runtime error; Cedar then skips it, so access fails open",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver whether some valid request makes the forbid raise an evaluation error (integer
overflow, a missing attribute or tag, a failed extension call, …) and reports it with such a
request as counterexample. The finding stands on the expression that raises the error on that
request and says why, e.g. "`context.failed_logins * 1000` can overflow".

## Why is this bad?
When a policy errors, Cedar ignores it and goes on. A forbid that errors therefore does not deny:
the guardrail fails open, exactly for the unusual request an attacker would craft. Strict
validation rules out many errors, but not arithmetic overflow or failing extension constructors.

## Example
```cedar
forbid (principal, action in Ops::Action::"privileged", resource)
when { context.failed_logins * 1000 > 5000 };   // overflows for huge values: the forbid is skipped
```

Use instead:
```cedar
forbid (principal, action in Ops::Action::"privileged", resource)
when { context.failed_logins > 5 };
```
"#,
};
