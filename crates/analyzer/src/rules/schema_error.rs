//! `schema-error`, raised by the pipeline: strict validation of policies in `validation.rs`,
//! a schema that does not load in `schema.rs`.

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "schema-error",
    category: Category::Correctness,
    default_level: Level::Error,
    summary: "strict validation error against the schema",
    source: Source::Pipeline,
    doc: r#"## What it does
Runs Cedar's validator in strict mode over every policy, template and template-linked policy, and
reports each error: unknown entity types, actions or attributes, type errors, attributes read
without a `has` guard, actions applied to principal or resource types the schema does not allow.
It also reports a schema that is itself inconsistent (an undeclared type, a duplicate declaration).

## Why is this bad?
A policy that does not validate errors at evaluation time or never matches what its author meant.
Cedar skips a policy that errors: a forbid that errors fails open, a permit that errors denies
silently.

## Example
```cedar
// schema: entity Host { environment: String };
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.enviroment == "prod" };   // typo: no such attribute
```

Use instead:
```cedar
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.environment == "prod" };
```
"#,
};
