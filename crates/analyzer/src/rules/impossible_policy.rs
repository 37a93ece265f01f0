use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "impossible-policy",
    category: Category::Correctness,
    default_level: Level::Warn,
    summary: "the validator proves the policy can never apply",
    source: Source::Pipeline,
    doc: r#"## What it does
Reports a policy that Cedar's validator proves can never apply: its condition is always false
for well-typed requests, or no action in its scope applies to the principal and resource types
in its scope.

## Why is this bad?
A policy that never applies is dead code that looks like protection. A forbid that can never
apply protects nothing; a permit that can never apply usually means a wrong type or action.

## Example
```cedar
// schema: action "ReadSecret" appliesTo { principal: Agent, resource: Secret };
permit (
  principal is Ops::Agent,
  action == Ops::Action::"ReadSecret",
  resource is Ops::Host   // ReadSecret never applies to hosts
);
```

Use instead:
```cedar
permit (
  principal is Ops::Agent,
  action == Ops::Action::"ReadSecret",
  resource is Ops::Secret
) when { context has jit && context.jit.expires_at > context.now };
```
"#,
};
