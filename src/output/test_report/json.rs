//! `--format json`: the whole run as one JSON document (see docs/test-output.md).

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use cedarcheck_test_runner::evaluate::{PolicyError, ReasonLine};
use cedarcheck_test_runner::explain::PolicyWhy;
use cedarcheck_test_runner::report::RequestView;
use cedarcheck_test_runner::test_file::ExpectedErrors;
use cedarcheck_test_runner::{Located, RunReport};

/// Bumped only on incompatible changes.
const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    summary: Summary,
    files: Vec<File<'a>>,
    sets: Vec<Set<'a>>,
    coverage: Coverage,
}

#[derive(Serialize)]
struct Summary {
    passed: usize,
    failed: usize,
    file_errors: usize,
    files: usize,
}

#[derive(Serialize)]
struct Coverage {
    covered: usize,
    total: usize,
    percent: f64,
}

#[derive(Serialize)]
struct Error<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

impl<'a> From<&'a Located> for Error<'a> {
    fn from(error: &'a Located) -> Self {
        Self {
            file: &error.file,
            line: error.line,
            column: error.column,
            message: &error.message,
        }
    }
}

#[derive(Serialize)]
struct File<'a> {
    file: &'a str,
    shape: Option<&'static str>,
    /// Index into `sets`.
    set: Option<usize>,
    errors: Vec<Error<'a>>,
    tests: Vec<Test<'a>>,
}

#[derive(Serialize)]
struct Test<'a> {
    name: &'a str,
    line: usize,
    passed: bool,
    failures: &'a [String],
    request: Option<&'a RequestView>,
    expected: Option<Expected<'a>>,
    actual: Option<Actual<'a>>,
    reasons: &'a [ReasonLine],
    /// When the decision was not the expected one: each policy that could have changed it.
    explanation: &'a [PolicyWhy],
}

#[derive(Serialize)]
struct Expected<'a> {
    decision: &'static str,
    reason: &'a [String],
    /// `subset` (run-tests, native) or `exact` (integration).
    reason_match: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    num_errors: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [String]>,
}

#[derive(Serialize)]
struct Actual<'a> {
    decision: &'static str,
    reason: &'a [String],
    errors: &'a [PolicyError],
}

#[derive(Serialize)]
struct Set<'a> {
    label: &'a str,
    errors: Vec<Error<'a>>,
    covered: usize,
    policies: Vec<Policy<'a>>,
}

#[derive(Serialize)]
struct Policy<'a> {
    id: &'a str,
    file: &'a str,
    line: usize,
    /// How many tests it determined.
    tests: usize,
    /// `--suggest`, for an uncovered policy: a test entry it determines.
    #[serde(skip_serializing_if = "Option::is_none")]
    suggested_test: Option<&'a Value>,
    /// `--suggest`, for an uncovered policy: why the solver wrote no test.
    #[serde(skip_serializing_if = "Option::is_none")]
    no_suggestion: Option<&'a str>,
}

pub fn write(out: &mut impl Write, report: &RunReport) -> std::io::Result<()> {
    let files = report
        .files
        .iter()
        .map(|file| File {
            file: &file.path,
            shape: file.shape.map(|s| s.as_str()),
            set: file.set,
            errors: file.errors.iter().map(Error::from).collect(),
            tests: file
                .tests
                .iter()
                .map(|test| Test {
                    name: &test.name,
                    line: test.line,
                    passed: test.passed(),
                    failures: &test.failures,
                    request: test.request.as_ref(),
                    expected: test.expected.as_ref().map(|e| Expected {
                        decision: e.decision.as_str(),
                        reason: &e.reason,
                        reason_match: if e.reason_exact { "exact" } else { "subset" },
                        num_errors: match &e.errors {
                            ExpectedErrors::Count(n) => Some(*n),
                            ExpectedErrors::Policies(_) => None,
                        },
                        errors: match &e.errors {
                            ExpectedErrors::Policies(p) => Some(p),
                            ExpectedErrors::Count(_) => None,
                        },
                    }),
                    actual: test.actual.as_ref().map(|a| Actual {
                        decision: a.decision.as_str(),
                        reason: &a.reason,
                        errors: &a.errors,
                    }),
                    reasons: &test.reasons,
                    explanation: &test.explanation,
                })
                .collect(),
        })
        .collect();
    let sets = report
        .sets
        .iter()
        .map(|set| Set {
            label: &set.label,
            errors: set.errors.iter().map(Error::from).collect(),
            covered: set.covered(),
            policies: set
                .policies
                .iter()
                .zip(&set.determined)
                .enumerate()
                .map(|(i, (p, &tests))| {
                    let suggestion = set
                        .suggestions
                        .iter()
                        .find(|(at, _)| *at == i)
                        .map(|(_, s)| s);
                    Policy {
                        id: &p.id,
                        file: &p.file,
                        line: p.line,
                        tests,
                        suggested_test: suggestion.and_then(|s| s.as_ref().ok()),
                        no_suggestion: suggestion
                            .and_then(|s| s.as_ref().err().map(String::as_str)),
                    }
                })
                .collect(),
        })
        .collect();
    let coverage = report.coverage();
    let output = Output {
        version: SCHEMA_VERSION,
        summary: Summary {
            passed: report.passed(),
            failed: report.failed(),
            file_errors: report.file_errors(),
            files: report.files.len(),
        },
        files,
        sets,
        coverage: Coverage {
            covered: coverage.covered,
            total: coverage.total,
            percent: coverage.percent(),
        },
    };
    let value: Value = serde_json::to_value(&output)?;
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}
