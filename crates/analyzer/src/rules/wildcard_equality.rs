use cedar_policy_core::ast::{BinaryOp, ExprKind, Literal};

use crate::policy::expr_span;
use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "wildcard-equality",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "`==` against a string literal containing `*` (meant `like`?)",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports `==` or `!=` comparing with a string literal that contains `*`.

## Why is this bad?
`*` is a wildcard only in `like` patterns. `resource.path == "/var/log/*"` matches only the
literal path `/var/log/*`, so a permit written this way grants less than intended and a forbid
written this way protects almost nothing.

A literal made only of `*`, as in `resource.getTag("allowed-ingress") == "*"`, is reported too,
but without suggesting `like`: `like "*"` matches every string, so the change would widen access.
`== "*"` compares with the one-character string `*`; when that value is what the data holds,
the comparison is right, and `@cedarcheck_ignore("wildcard-equality")` above the policy silences
the finding. When switching to `like`, remember that `like` treats every `*` as a wildcard:
escape a `*` meant literally as `\*`.

## Example
```cedar
forbid (principal, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path == "/var/log/secure/*" };
```

Use instead:
```cedar
forbid (principal, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/secure/*" };
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    for expr in unit.condition_exprs() {
        let ExprKind::BinaryApp {
            op: BinaryOp::Eq,
            arg1,
            arg2,
        } = expr.expr_kind()
        else {
            continue;
        };
        let literal = [arg1, arg2]
            .into_iter()
            .find_map(|arg| match arg.expr_kind() {
                ExprKind::Lit(Literal::String(s)) if s.contains('*') => Some(s),
                _ => None,
            });
        if let Some(literal) = literal {
            let (message, help) = explain(literal);
            out.push(
                unit.finding(&RULE, expr_span(expr, unit.span), message)
                    .with_help(help),
            );
        }
    }
}

/// The message and help for `==` against `literal`, a string containing `*`.
///
/// A literal made only of `*` never gets a `like` suggestion: as a pattern it matches every
/// string, so following the suggestion would widen access.
fn explain(literal: &str) -> (String, String) {
    if literal.chars().all(|c| c == '*') {
        let length = match literal.chars().count() {
            1 => "one-character".to_string(),
            n => format!("{n}-character"),
        };
        (
            format!(
                "`==` compares with the literal {length} string \"{literal}\"; it is not a wildcard and matches only that exact value"
            ),
            "if the value \"*\" is meant, keep `==` and silence this with @cedarcheck_ignore(\"wildcard-equality\") above the policy".to_string(),
        )
    } else {
        (
            format!(
                "`==` compares with the literal string \"{literal}\"; `*` is a wildcard only with `like`"
            ),
            "use `like` for a pattern, but `like` treats every `*` as a wildcard: escape a `*` meant literally as `\\*`".to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn a_literal_of_only_stars_is_explained_without_suggesting_like() {
        assert_eq!(
            explain("*"),
            (
                "`==` compares with the literal one-character string \"*\"; it is not a wildcard and matches only that exact value".to_string(),
                "if the value \"*\" is meant, keep `==` and silence this with @cedarcheck_ignore(\"wildcard-equality\") above the policy".to_string(),
            )
        );
        let (message, help) = explain("**");
        assert!(message.contains("2-character string \"**\""), "{message}");
        assert!(
            !message.contains("like") && !help.contains("like"),
            "{help}"
        );
    }

    #[test]
    fn a_literal_with_other_characters_suggests_like_and_says_what_it_does() {
        assert_eq!(
            explain("/var/log/*"),
            (
                "`==` compares with the literal string \"/var/log/*\"; `*` is a wildcard only with `like`".to_string(),
                "use `like` for a pattern, but `like` treats every `*` as a wildcard: escape a `*` meant literally as `\\*`".to_string(),
            )
        );
    }
}
