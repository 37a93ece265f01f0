//! Diagnostics of test files: a file that is not valid JSON or not a valid test file shows the
//! error where it is, and every failing test shows at its `name` what `cedarcheck test` says
//! about it — the expected and actual decision, the reasons diff, the policies that raised
//! errors and, for a wrong decision, the condition or scope of each policy that kept it from
//! deciding otherwise (also as related information at that place in the policy file). A file
//! whose tests all pass gets an empty list.

use std::path::Path;

use cedarcheck_analyzer::{LineIndex, Span};
use cedarcheck_test_runner::evaluate::ReasonMark;
use cedarcheck_test_runner::explain::Outcome;
use cedarcheck_test_runner::test_file::{self, Parsed};
use cedarcheck_test_runner::{Located, SetReport, TestReport};
use serde_json::value::RawValue;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, Position, Range,
};

use crate::analysis::{self, Overlay, TestFileRun};
use crate::to_proto;

/// The diagnostics of one test file's run. `root` is what the run's paths are relative to.
pub fn diagnostics(run: &TestFileRun, root: &Path, overlay: &Overlay) -> Vec<Diagnostic> {
    let text = &*run.text;
    let index = &*run.index;
    let mut diagnostics = Vec::new();
    if let Some(error) = &run.error {
        diagnostics.push(diagnostic(
            Range::default(),
            DiagnosticSeverity::ERROR,
            format!("cannot run the tests of this file: {error}"),
        ));
    }
    if let Some(what) = run.skipped {
        diagnostics.push(diagnostic(
            Range::default(),
            DiagnosticSeverity::INFORMATION,
            format!(
                "not a test file: this is {what}; `cedarcheck test` skips it (a test file is a \
                 `cedar run-tests` array, a Cedar integration test or a native \
                 `{{\"tests\": […]}}` file)"
            ),
        ));
    }
    let Some(report) = &run.report else {
        return diagnostics;
    };
    for error in &report.errors {
        diagnostics.push(diagnostic(
            located_range(text, index, error),
            DiagnosticSeverity::ERROR,
            error.message.clone(),
        ));
    }
    // The runner reports each test's line; its place and its own parse error come from the
    // file itself, parsed again as the runner parsed it.
    let cases = match test_file::parse(&report.path, text) {
        Parsed::Tests(file) => file.tests,
        _ => Vec::new(),
    };
    let name_key = match report.shape {
        Some(cedarcheck_test_runner::Shape::Integration) => &["description", "desc"][..],
        _ => &["name"][..],
    };
    for (position, test) in report.tests.iter().enumerate() {
        if test.passed() {
            continue;
        }
        let case = cases.get(position).filter(|case| case.name == test.name);
        if let Some(Err(error)) = case.map(|case| &case.spec) {
            diagnostics.push(diagnostic(
                located_range(text, index, error),
                DiagnosticSeverity::ERROR,
                error.message.clone(),
            ));
            continue;
        }
        let span = match case {
            Some(case) => name_span(text, case.offset, name_key).unwrap_or_else(|| {
                LineIndex::char_span(text, Span::new(case.offset, case.offset + 1))
            }),
            None => {
                let start = index.line_start(test.line).unwrap_or(0);
                Span::new(start, start)
            }
        };
        let mut failed = diagnostic(
            to_proto::range(text, index, span),
            DiagnosticSeverity::ERROR,
            explain(test),
        );
        let related = run
            .set
            .as_deref()
            .map(|set| related(test, set, root, overlay))
            .unwrap_or_default();
        failed.related_information = (!related.is_empty()).then_some(related);
        diagnostics.push(failed);
    }
    diagnostics
}

fn diagnostic(range: Range, severity: DiagnosticSeverity, message: String) -> Diagnostic {
    Diagnostic {
        range,
        severity: Some(severity),
        source: Some(to_proto::SOURCE.into()),
        message,
        ..Diagnostic::default()
    }
}

/// The byte offset of a 1-based line and character column.
fn located_offset(text: &str, index: &LineIndex, line: usize, column: usize) -> usize {
    index
        .offset(text, line.max(1), column.max(1))
        .min(text.len())
}

/// A located error's place: the character it points at (nothing at the end of a line).
fn located_range(text: &str, index: &LineIndex, error: &Located) -> Range {
    let start = located_offset(text, index, error.line, error.column);
    let end = match text[start..].chars().next() {
        Some(c) if c != '\n' && c != '\r' => start + c.len_utf8(),
        _ => start,
    };
    to_proto::range(text, index, Span::new(start, end))
}

/// The span of the test's name (the string value of one of `keys`) in the test object that
/// starts at `offset`, if it has one.
fn name_span(text: &str, offset: usize, keys: &[&str]) -> Option<Span> {
    let object = text.get(offset..)?;
    let mut reader = serde_json::Deserializer::from_str(object);
    let fields: std::collections::BTreeMap<String, &RawValue> =
        serde::Deserialize::deserialize(&mut reader).ok()?;
    let value = keys.iter().find_map(|key| fields.get(*key))?;
    let raw = value.get();
    if !raw.starts_with('"') {
        return None;
    }
    let start = (raw.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    Some(Span::new(start, start + raw.len()))
}

/// Why a test failed, in the words of `cedarcheck test`: the reasons it failed on the first
/// line, then the decisions, the reasons diff and the errors as its report lays them out.
pub fn explain(test: &TestReport) -> String {
    let mut lines = vec![test.failures.join("; ")];
    lines.extend(
        test.comparison()
            .iter()
            .map(|line| format!("{:<9} {}", line.label, line.text())),
    );
    lines.join("\n")
}

/// Places the message of a failed test names: the policies in its reasons and errors, and the
/// errors that keep its set from being tested.
fn related(
    test: &TestReport,
    set: &SetReport,
    root: &Path,
    overlay: &Overlay,
) -> Vec<DiagnosticRelatedInformation> {
    let at = |file: &str, line: usize, column: usize, message: String| {
        let path = root.join(file);
        let uri = to_proto::uri_of(overlay, &path)?;
        let character = analysis::read(root, file, overlay)
            .ok()
            .map(|source| {
                let index = LineIndex::new(&source.text);
                let offset = located_offset(&source.text, &index, line, column);
                to_proto::position(&source.text, &index, offset).character
            })
            .unwrap_or(0);
        let position = Position::new(u32::try_from(line.saturating_sub(1)).ok()?, character);
        Some(DiagnosticRelatedInformation {
            location: Location {
                uri,
                range: Range::new(position, position),
            },
            message,
        })
    };
    let mut related = Vec::new();
    if test.actual.is_none() && !set.errors.is_empty() {
        related.extend(
            set.errors
                .iter()
                .filter_map(|e| at(&e.file, e.line, e.column, e.message.clone())),
        );
    }
    let policy = |id: &str, message: String| {
        let info = set.policies.iter().find(|p| p.id == id)?;
        at(&info.file, info.line, 1, message)
    };
    for line in &test.reasons {
        let note = match line.mark {
            ReasonMark::Matched => "expected, and determined the decision",
            ReasonMark::Missing => "expected, but did not determine the decision",
            ReasonMark::Unexpected => "determined the decision",
        };
        related.extend(policy(&line.policy, format!("`{}` {note}", line.policy)));
    }
    if let Some(actual) = &test.actual {
        for error in &actual.errors {
            related.extend(policy(
                &error.policy,
                format!("`{}` raised an error: {}", error.policy, error.message),
            ));
        }
    }
    // Why the decision was not the expected one: each condition that kept a policy from
    // applying, at its place (scopes that do not match are one line of the message).
    for why in &test.explanation {
        if let Outcome::Condition(condition) = &why.outcome {
            let message = why.lines().join("\n");
            related.extend(match &condition.at {
                Some(place) => at(&place.file, place.line, place.column, message),
                None => policy(&why.policy, message),
            });
        }
    }
    related
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_is_found_by_its_name() {
        let text = "[\n  {\"request\": {}, \"name\" : \"reads \\\"logs\\\"\", \"x\": [1, {}]},\n  {\"name\": 3}\n]";
        let first = text.find("{\"request").unwrap();
        let span = name_span(text, first, &["name"]).unwrap();
        assert_eq!(&text[span.start..span.end], "\"reads \\\"logs\\\"\"");
        let second = text.find("{\"name\": 3").unwrap();
        assert_eq!(name_span(text, second, &["name"]), None);
        assert_eq!(name_span(text, text.len() + 5, &["name"]), None);
        assert_eq!(name_span("{\"name\": ", 0, &["name"]), None);
    }
}
