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
        finding = finding.with_help(help.to_string());
    }
    finding
}
