//! Cedar reports its errors as miette diagnostics; this turns one into a cedarcheck finding.

use miette::Diagnostic;

use crate::{Finding, Rule, Span};

/// A finding from a Cedar diagnostic whose labels index into the text of `file`. The first
/// label is the finding's span (else `fallback`); further labels become related locations.
pub fn finding_from_diagnostic(
    rule: &Rule,
    file: &str,
    diagnostic: &dyn Diagnostic,
    fallback: Span,
) -> Finding {
    let mut labels = diagnostic.labels().into_iter().flatten();
    let first = labels.next();
    let span = first.as_ref().map_or(fallback, |label| {
        Span::new(label.offset(), label.offset() + label.len())
    });
    let mut message = diagnostic.to_string();
    if let Some(label) = first.as_ref().and_then(|l| l.label()) {
        if !message.contains(label) {
            message = format!("{message}: {label}");
        }
    }
    let mut finding = Finding::new(rule, file, span, message);
    for label in labels {
        finding = finding.with_related(crate::Related {
            file: file.to_string(),
            span: Span::new(label.offset(), label.offset() + label.len()),
            message: label.label().unwrap_or("related").to_string(),
        });
    }
    if let Some(help) = diagnostic.help() {
        let help = settled_extension_suggestion(&finding.message).unwrap_or(help.to_string());
        finding = finding.with_help(help);
    }
    finding
}

/// Cedar 4.14.1's extension functions and methods: the names its parser suggests from when a
/// call names none of them.
const EXTENSION_FUNCTIONS: [&str; 4] = ["datetime", "decimal", "duration", "ip"];
const EXTENSION_METHODS: [&str; 18] = [
    "durationSince",
    "greaterThan",
    "greaterThanOrEqual",
    "isInRange",
    "isIpv4",
    "isIpv6",
    "isLoopback",
    "isMulticast",
    "lessThan",
    "lessThanOrEqual",
    "offset",
    "toDate",
    "toDays",
    "toHours",
    "toMilliseconds",
    "toMinutes",
    "toSeconds",
    "toTime",
];

/// For "`x` is not a valid method/function", the suggestion Cedar would make, settled: Cedar
/// picks among equally close names in hash order (`isIpv5` → `isIpv4` or `isIpv6`, run to
/// run); this takes the first in name order, so the same input reads the same every run.
fn settled_extension_suggestion(message: &str) -> Option<String> {
    let (name, known): (&str, &[&str]) = if let Some(rest) = message
        .strip_prefix('`')
        .and_then(|m| m.strip_suffix("` is not a valid method"))
    {
        (rest, &EXTENSION_METHODS)
    } else {
        let rest = message
            .strip_prefix('`')
            .and_then(|m| m.strip_suffix("` is not a valid function"))?;
        (rest, &EXTENSION_FUNCTIONS)
    };
    // As Cedar: nothing further than three edits away is suggested.
    let known: Vec<String> = known
        .iter()
        .filter(|k| crate::spelling::edit_distance(name, k) <= 3)
        .map(|k| k.to_string())
        .collect();
    crate::spelling::closest(name, &known).map(|m| format!("did you mean `{m}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn parse_error_help(policy: &str) -> Option<String> {
        let errors = cedar_policy::PolicySet::from_str(policy).expect_err("does not parse");
        let error = errors.iter().next().unwrap();
        finding_from_diagnostic(
            &crate::rules::parse_error::RULE,
            "p.cedar",
            error,
            Span::empty_at(0),
        )
        .help
    }

    #[test]
    fn an_unknown_extension_call_gets_the_same_suggestion_every_run() {
        // `isIpv4` and `isIpv6` are equally close; Cedar picks either, in hash order.
        assert_eq!(
            parse_error_help("permit (principal, action, resource) when { context.ip.isIpv5() };")
                .as_deref(),
            Some("did you mean `isIpv4`?")
        );
        assert_eq!(
            parse_error_help("permit (principal, action, resource) when { decimel(\"1.0\") };")
                .as_deref(),
            Some("did you mean `decimal`?")
        );
    }

    #[test]
    fn the_extension_names_are_cedar_s() {
        for method in EXTENSION_METHODS {
            let policy = format!(
                "permit (principal, action, resource) when {{ context.x.{method}(context.y) }};"
            );
            assert!(
                cedar_policy::PolicySet::from_str(&policy).is_ok(),
                "{method}"
            );
        }
        for function in EXTENSION_FUNCTIONS {
            let policy =
                format!("permit (principal, action, resource) when {{ {function}(\"x\") }};");
            assert!(
                cedar_policy::PolicySet::from_str(&policy).is_ok(),
                "{function}"
            );
        }
    }
}
