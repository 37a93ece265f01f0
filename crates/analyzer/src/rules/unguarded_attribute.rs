use cedar_policy_core::ast::{BinaryOp, Effect, Expr, ExprKind, Literal, Var};

use crate::guarded_reads::{unguarded, Reads};
use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "unguarded-attribute",
    category: Category::Security,
    default_level: Level::Error,
    summary: "without a schema, a `context`, `principal` or `resource` attribute read with no `has` guard before it",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a read of `context.X` (or `context.X.Y`, `principal.X`, `resource.X`, or a tag:
`resource.getTag("env")`) that no `has` (for a tag, `hasTag`) test guards: a guard is `context has X` on the left of an enclosing `&&` (`context has X &&
context.X == …`), in the condition of an enclosing `if`, or negated on the left of an `||`
(`!(context has X) || context.X == …`). One finding per policy and path, at its first
unguarded read.

The rule reports only when the set has no schema file (many agent gateways run Cedar without
one): with a schema, strict validation rejects a read of an optional attribute without a guard,
and a required one is always present.

The level is `error` for a forbid and one level lower, `warn` by default, for a permit.
Configuring the rule's level sets the forbid's; the permit's stays one below it.

## Why is this bad?
Reading an attribute a request does not have is a runtime error, and Cedar skips a policy
whose condition errors. A forbid that reads an unguarded key fails open: a request that
simply leaves the key out is not forbidden, and a broad permit then allows it. A permit that
reads one never grants such a request.

## Example
```cedar
forbid (principal, action, resource)
when { context.is_mcp_tool_known == false };
```

Use instead (a request without the key is forbidden too):
```cedar
forbid (principal, action, resource)
when { !(context has is_mcp_tool_known) || context.is_mcp_tool_known == false };
```

The help writes that rewrite for the clause at hand, so that the policy fails closed: a
forbid's `when` becomes `!(guard) || (…)` and its `unless` becomes `guard && (…)`, a permit's the
other way round. Guarding only the read would be wrong under a `!`: `!context.break_glass`
guarded as `context has break_glass && !context.break_glass` no longer forbids a request that
leaves the key out.
"#,
};

/// A variable and the attributes read from it, in order: `context.a.b` is `(context, [a, b])`;
/// a tag read `resource.getTag("env")` ends in a [`TAG`]-marked segment.
type Path = (Var, Vec<String>);

/// Marks a path segment that is a tag, not an attribute (no attribute name starts with NUL in
/// a policy anyone writes).
const TAG: char = '\0';

/// How a path reads in Cedar, and the `has`/`hasTag` test that guards it.
fn read_and_guard(var: Var, segments: &[String]) -> (String, String) {
    let mut read = var.to_string();
    let mut attrs: Vec<&str> = Vec::new();
    let mut guards: Vec<String> = Vec::new();
    for segment in segments {
        match segment.strip_prefix(TAG) {
            Some(tag) => {
                if !attrs.is_empty() {
                    guards.push(format!("{var} has {}", attrs.join(".")));
                }
                guards.push(format!("{read}.hasTag({tag:?})"));
                read = format!("{read}.getTag({tag:?})");
                attrs.clear();
            }
            None => {
                read = format!("{read}.{segment}");
                attrs.push(segment);
            }
        }
    }
    if !attrs.is_empty() {
        let base = guards.is_empty().then(|| var.to_string());
        match base {
            Some(base) => guards.push(format!("{base} has {}", attrs.join("."))),
            // After a tag, attributes of its value: guard them one by one.
            None => guards.push(format!("{read} has …")),
        }
    }
    (read, guards.join(" && "))
}

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    // With a schema, strict validation rejects an unguarded read of an optional attribute (or,
    // while the schema does not load, will once it does).
    if unit.has_schema {
        return;
    }
    let Some(conditions) = unit.template.non_scope_constraints() else {
        return;
    };
    let reads = unguarded(&AttributeReads, conditions, unit.span);
    let (kind, consequence) = match unit.effect() {
        Effect::Forbid => ("forbid", "Cedar skips it (fails open)"),
        Effect::Permit => ("permit", "Cedar skips it (it never grants)"),
    };
    for ((var, segments), span) in reads {
        let (read, guard) = read_and_guard(var, &segments);
        let mut finding = unit
            .finding(
                &RULE,
                span,
                format!(
                    "`{read}` is read without `{guard}`: a request without it makes this \
                     {kind} error, and {consequence}"
                ),
            )
            .with_help(unit.guarded_clause(span, &guard));
        if unit.effect() == Effect::Permit {
            // One level below the rule's level (see `settle`).
            finding.level = Level::Warn;
        }
        out.push(finding);
    }
}

/// The string literal `expr` is.
fn string(expr: &Expr) -> Option<String> {
    match expr.expr_kind() {
        ExprKind::Lit(Literal::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// The path `expr` reads, when it is `context`, `principal` or `resource` followed by
/// attribute names.
fn path(expr: &Expr) -> Option<Path> {
    match expr.expr_kind() {
        ExprKind::Var(var @ (Var::Context | Var::Principal | Var::Resource)) => {
            Some((*var, Vec::new()))
        }
        ExprKind::GetAttr { expr, attr } => {
            let (var, mut attrs) = path(expr)?;
            attrs.push(attr.to_string());
            Some((var, attrs))
        }
        _ => None,
    }
}

/// `context`, `principal` and `resource` attribute and tag reads, guarded by `has`/`hasTag`.
struct AttributeReads;

impl Reads for AttributeReads {
    type Read = Path;
    // `context.a.b` stands for `context.a` too: every prefix must be guarded.
    const READS_INSIDE_READS: bool = false;

    fn read(&self, expr: &Expr) -> Option<Path> {
        match expr.expr_kind() {
            ExprKind::GetAttr { .. } => path(expr),
            ExprKind::BinaryApp {
                op: BinaryOp::GetTag,
                arg1,
                arg2,
            } => path(arg1)
                .zip(string(arg2))
                .map(|((var, mut segments), tag)| {
                    segments.push(format!("{TAG}{tag}"));
                    (var, segments)
                }),
            _ => None,
        }
    }

    /// Every path (and its prefixes) that `test` proves present.
    fn guards(&self, test: &Expr, out: &mut Vec<Path>) {
        match test.expr_kind() {
            ExprKind::HasAttr { expr, attr } => {
                if let Some((var, mut attrs)) = path(expr) {
                    attrs.push(attr.to_string());
                    out.push((var, attrs));
                }
            }
            ExprKind::ExtHasAttr { expr, attrs } => {
                if let Some((var, mut prefix)) = path(expr) {
                    for attr in attrs.iter() {
                        prefix.push(attr.to_string());
                        out.push((var, prefix.clone()));
                    }
                }
            }
            ExprKind::BinaryApp {
                op: BinaryOp::HasTag,
                arg1,
                arg2,
            } => {
                if let (Some((var, mut segments)), Some(tag)) = (path(arg1), string(arg2)) {
                    segments.push(format!("{TAG}{tag}"));
                    out.push((var, segments));
                }
            }
            _ => {}
        }
    }

    /// Every prefix must be present: `context.a.b` needs `context.a` and `context.a.b`.
    fn guarded(&self, read: &Path, guards: &[Path]) -> bool {
        (1..=read.1.len()).all(|n| guards.iter().any(|g| g.0 == read.0 && g.1 == read.1[..n]))
    }
}
