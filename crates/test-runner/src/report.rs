//! What a run found: per file, per test, per policy set; what every output format renders.

use serde_json::Value;

use crate::evaluate::{Actual, ReasonLine, ReasonMark};
use crate::explain::{report_lines, PolicyWhy};
use crate::located::Located;
use crate::set_under_test::PolicyInfo;
use crate::test_file::{Expectation, ExpectedErrors, Shape};

#[derive(Debug, Default)]
pub struct RunReport {
    /// In the order the files were given or found.
    pub files: Vec<FileReport>,
    /// The policy sets the tests ran against.
    pub sets: Vec<SetReport>,
    /// JSON files found while searching directories that are not tests, and what they are.
    pub skipped: Vec<(String, &'static str)>,
}

#[derive(Debug)]
pub struct FileReport {
    /// As reports show it (relative to the working directory when below it).
    pub path: String,
    pub shape: Option<Shape>,
    /// Problems of the file itself: malformed JSON, a `shouldValidate` that does not hold, a
    /// source that cannot be found. Each counts as a failure.
    pub errors: Vec<Located>,
    /// The tests that ran (those `--filter` selected).
    pub tests: Vec<TestReport>,
    /// Index into `RunReport::sets`.
    pub set: Option<usize>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct RequestView {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub context: Value,
}

#[derive(Debug)]
pub struct TestReport {
    pub name: String,
    /// 1-based line of the test in its file.
    pub line: usize,
    pub request: Option<RequestView>,
    pub expected: Option<Expectation>,
    /// What Cedar decided, when the request could be evaluated.
    pub actual: Option<Actual>,
    /// Expected against actual reasons, when both are known.
    pub reasons: Vec<ReasonLine>,
    /// Why it failed; empty when it passed.
    pub failures: Vec<String>,
    /// When the decision was not the expected one: the policies that could have changed it,
    /// and what kept each from doing so.
    pub explanation: Vec<PolicyWhy>,
}

/// One line of a test's comparison, as every report words it: a label column
/// (`decision`, `reasons`, `errors`, or empty for a continuation) and the text in pieces,
/// each with the tone a terminal may paint it in.
#[derive(Debug, PartialEq, Eq)]
pub struct ComparisonLine {
    pub label: &'static str,
    pub parts: Vec<(String, Tone)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Plain,
    /// What makes the test fail.
    Bad,
    /// A difference that is allowed.
    Allowed,
    /// An explanation.
    Note,
}

impl ComparisonLine {
    fn new(label: &'static str, parts: Vec<(String, Tone)>) -> Self {
        Self { label, parts }
    }

    /// The text without tones.
    pub fn text(&self) -> String {
        self.parts.iter().map(|(text, _)| text.as_str()).collect()
    }
}

impl TestReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Expected against actual: the decisions, the reasons diff and the errors. Shared by
    /// `cedarcheck test`'s report and the language server, so both say the same.
    pub fn comparison(&self) -> Vec<ComparisonLine> {
        let plain = |text: String| (text, Tone::Plain);
        let mut lines = Vec::new();
        let expected = match &self.expected {
            Some(expected) => expected,
            None => return lines,
        };
        let Some(actual) = &self.actual else {
            lines.push(ComparisonLine::new(
                "decision",
                vec![plain(format!(
                    "expected {}, but the request was not evaluated",
                    expected.decision.as_str()
                ))],
            ));
            return lines;
        };
        let holds = expected.decision.holds(actual.decision, &actual.reason);
        let decision = format!(
            "expected {}, got {}",
            expected.decision.as_str(),
            expected.decision.describe(actual.decision, &actual.reason)
        );
        let tone = if holds { Tone::Plain } else { Tone::Bad };
        lines.push(ComparisonLine::new("decision", vec![(decision, tone)]));
        let width = self
            .reasons
            .iter()
            .map(|l| l.policy.len())
            .max()
            .unwrap_or(0);
        for (i, line) in self.reasons.iter().enumerate() {
            let (mark, tone, note) = match line.mark {
                ReasonMark::Matched => (" ", Tone::Plain, "expected, and determined the decision"),
                ReasonMark::Missing => (
                    "-",
                    Tone::Bad,
                    "expected, but did not determine the decision",
                ),
                ReasonMark::Unexpected if expected.reason_exact => {
                    ("+", Tone::Bad, "determined the decision, not expected")
                }
                ReasonMark::Unexpected if !holds => ("+", Tone::Bad, "determined the decision"),
                ReasonMark::Unexpected => (
                    "+",
                    Tone::Allowed,
                    "also determined the decision (fine: `reason` lists a subset)",
                ),
            };
            lines.push(ComparisonLine::new(
                if i == 0 { "reasons" } else { "" },
                vec![
                    (mark.to_string(), tone),
                    plain(format!(" {:<width$}  ", line.policy)),
                    (note.to_string(), Tone::Note),
                ],
            ));
        }
        if self.reasons.is_empty() {
            lines.push(ComparisonLine::new(
                "reasons",
                vec![plain("(none expected, none determined)".into())],
            ));
        }
        let (expected_errors, errors_expected) = match &expected.errors {
            ExpectedErrors::Count(n) => (format!("{n} expected"), *n > 0),
            ExpectedErrors::Policies(p) if p.is_empty() => ("none expected".into(), false),
            ExpectedErrors::Policies(p) => (format!("expected from {}", p.join(", ")), true),
        };
        if actual.errors.is_empty() {
            if errors_expected {
                lines.push(ComparisonLine::new(
                    "errors",
                    vec![plain(format!("none ({expected_errors})"))],
                ));
            }
        } else {
            lines.push(ComparisonLine::new(
                "errors",
                vec![plain(format!(
                    "{} ({expected_errors}):",
                    actual.errors.len()
                ))],
            ));
            for error in &actual.errors {
                lines.push(ComparisonLine::new(
                    "",
                    vec![plain(format!("{}: {}", error.policy, error.message))],
                ));
            }
        }
        for (i, text) in report_lines(&self.explanation).into_iter().enumerate() {
            lines.push(ComparisonLine::new(
                if i == 0 { "because" } else { "" },
                vec![(text, Tone::Note)],
            ));
        }
        lines
    }
}

#[derive(Debug)]
pub struct SetReport {
    pub label: String,
    /// Why the set could not be tested (its tests fail).
    pub errors: Vec<Located>,
    /// Static policies and template links.
    pub policies: Vec<PolicyInfo>,
    /// For each policy, how many tests it determined (appeared in the reasons of).
    pub determined: Vec<usize>,
    /// The set's index among the [`crate::PolicySets`] of the run; `None` for the policies
    /// an integration test file names itself.
    pub source: Option<usize>,
    /// `cedarcheck test --suggest` (filled by its caller, not by the run): for uncovered
    /// policies, by index in `policies`, a test entry the policy determines, or why there
    /// is none.
    pub suggestions: Vec<(usize, Suggestion)>,
}

/// A native test entry (verified to pass, with the policy among its reasons), or why the
/// solver wrote none.
pub type Suggestion = Result<serde_json::Value, String>;

impl SetReport {
    pub fn covered(&self) -> usize {
        self.determined.iter().filter(|&&n| n > 0).count()
    }

    pub fn uncovered(&self) -> impl Iterator<Item = &PolicyInfo> {
        self.policies
            .iter()
            .zip(&self.determined)
            .filter(|(_, &n)| n == 0)
            .map(|(policy, _)| policy)
    }
}

/// Policy coverage over every set of the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coverage {
    pub covered: usize,
    pub total: usize,
}

impl Coverage {
    /// Percent of policies some test exercises; a run without policies is fully covered.
    pub fn percent(self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }
}

impl RunReport {
    pub fn tests(&self) -> impl Iterator<Item = &TestReport> {
        self.files.iter().flat_map(|f| &f.tests)
    }

    pub fn passed(&self) -> usize {
        self.tests().filter(|t| t.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.tests().filter(|t| !t.passed()).count()
    }

    pub fn file_errors(&self) -> usize {
        self.files.iter().map(|f| f.errors.len()).sum()
    }

    pub fn coverage(&self) -> Coverage {
        Coverage {
            covered: self.sets.iter().map(SetReport::covered).sum(),
            total: self.sets.iter().map(|s| s.policies.len()).sum(),
        }
    }

    /// Nothing failed and no file had an error.
    pub fn success(&self) -> bool {
        self.failed() == 0 && self.file_errors() == 0
    }
}
