//! `suspicious-identifier`, raised by the pipeline in `validation.rs` from the validator's
//! warnings about identifiers.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "suspicious-identifier",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "mixed-script, bidirectional or confusable characters in identifiers or strings",
    source: Source::Pipeline,
    doc: r#"## What it does
Reports the validator's warnings about text that may not read as it runs: strings and
identifiers that mix scripts (Latin and Cyrillic), contain bidirectional control characters, or
use characters outside Unicode's general security profile for identifiers.

## Why is this bad?
`"аdmin"` with a Cyrillic `а` is not `"admin"`. Such a policy passes review yet matches
different requests than the reviewer saw; bidirectional controls can even reorder what an editor
shows ("Trojan Source").

## Example
```cedar
permit (principal, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { principal.role == "аdmin" };   // Cyrillic "а"
```

Use instead:
```cedar
permit (principal, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { principal.role == "admin" };
```
"#,
};
