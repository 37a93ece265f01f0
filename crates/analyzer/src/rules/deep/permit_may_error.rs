//! `permit-may-error`, solver-backed: declared and documented here; its proof (`check`) and
//! message are in `crates/prover/src/rules/permit_may_error.rs`, which re-exports `RULE`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "permit-may-error",
    category: Category::Correctness,
    default_level: Level::Warn,
    summary: "a permit can raise a runtime error",
    source: Source::Deep,
    doc: r#"## What it does
Asks the solver whether some valid request makes the permit raise an evaluation error, and
reports it with such a request as counterexample. The finding stands on the expression that
raises the error on that request and says why, e.g. "`resource.rotations + 1` can overflow".

## Why is this bad?
Cedar skips a permit that errors, so the access it grants silently disappears for some requests
(fail closed), and the error shows up in authorization diagnostics as noise.

## Example
```cedar
permit (principal is Ops::Operator, action == Ops::Action::"RotateSecret", resource is Ops::Secret)
when { resource.rotations + 1 < 10 };   // overflows at the largest Long
```

Use instead:
```cedar
permit (principal is Ops::Operator, action == Ops::Action::"RotateSecret", resource is Ops::Secret)
when { resource.rotations < 9 };
```
"#,
};
