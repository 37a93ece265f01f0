//! The default output: each failing test with its request, the decisions, a diff of the
//! reasons and the erroring policies; file and policy-set errors; coverage when asked.

use std::io::Write;

use cedarcheck_test_runner::evaluate::ReasonMark;
use cedarcheck_test_runner::test_file::ExpectedErrors;
use cedarcheck_test_runner::{RunReport, SetReport, TestReport};

use super::{plural, Display};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn red(&self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    fn green(&self, text: &str) -> String {
        self.wrap("32", text)
    }
    fn yellow(&self, text: &str) -> String {
        self.wrap("33", text)
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

pub fn write(out: &mut impl Write, report: &RunReport, display: &Display) -> std::io::Result<()> {
    let paint = Paint { on: display.color };
    for set in report.sets.iter().filter(|s| !s.errors.is_empty()) {
        writeln!(
            out,
            "{} policy set `{}` cannot be tested; its tests fail:",
            paint.red("ERROR"),
            set.label
        )?;
        for error in &set.errors {
            writeln!(out, "  {error}")?;
        }
        writeln!(out)?;
    }
    for file in &report.files {
        for error in &file.errors {
            writeln!(out, "{} {error}", paint.red("ERROR"))?;
        }
        for test in &file.tests {
            if test.passed() {
                if display.verbose {
                    writeln!(
                        out,
                        "{} {}:{}: {}",
                        paint.green("ok  "),
                        file.path,
                        test.line,
                        test.name
                    )?;
                }
                continue;
            }
            write_failure(out, &paint, &file.path, test)?;
        }
    }
    if display.coverage {
        write_coverage(out, &paint, report)?;
    }
    Ok(())
}

fn write_failure(
    out: &mut impl Write,
    paint: &Paint,
    file: &str,
    test: &TestReport,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} {}: {}",
        paint.red("FAIL"),
        paint.bold(&format!("{file}:{}", test.line)),
        test.name
    )?;
    let label = |name: &str| paint.dim(&format!("{name:<9}"));
    if let Some(request) = &test.request {
        writeln!(
            out,
            "  {} principal {}",
            label("request"),
            request.principal
        )?;
        writeln!(out, "  {} action    {}", label(""), request.action)?;
        writeln!(out, "  {} resource  {}", label(""), request.resource)?;
        writeln!(out, "  {} context   {}", label(""), request.context)?;
    }
    match (&test.expected, &test.actual) {
        (Some(expected), Some(actual)) => {
            let decision = format!(
                "expected {}, got {}",
                expected.decision.as_str(),
                actual.decision.as_str()
            );
            let decision = if expected.decision == actual.decision {
                decision
            } else {
                paint.red(&decision)
            };
            writeln!(out, "  {} {decision}", label("decision"))?;
            let mut first = true;
            let width = test
                .reasons
                .iter()
                .map(|l| l.policy.len())
                .max()
                .unwrap_or(0);
            for line in &test.reasons {
                let (mark, note) = match line.mark {
                    ReasonMark::Matched => {
                        (" ".to_string(), "expected, and determined the decision")
                    }
                    ReasonMark::Missing => (
                        paint.red("-"),
                        "expected, but did not determine the decision",
                    ),
                    ReasonMark::Unexpected if expected.reason_exact => {
                        (paint.red("+"), "determined the decision, not expected")
                    }
                    ReasonMark::Unexpected if expected.decision != actual.decision => {
                        (paint.red("+"), "determined the decision")
                    }
                    ReasonMark::Unexpected => (
                        paint.yellow("+"),
                        "also determined the decision (fine: `reason` lists a subset)",
                    ),
                };
                let name = if first { "reasons" } else { "" };
                first = false;
                writeln!(
                    out,
                    "  {} {mark} {:<width$}  {}",
                    label(name),
                    line.policy,
                    paint.dim(note)
                )?;
            }
            if first {
                writeln!(
                    out,
                    "  {} (none expected, none determined)",
                    label("reasons")
                )?;
            }
            let expected_errors = match &expected.errors {
                ExpectedErrors::Count(n) => format!("{n} expected"),
                ExpectedErrors::Policies(p) if p.is_empty() => "none expected".into(),
                ExpectedErrors::Policies(p) => format!("expected from {}", p.join(", ")),
            };
            let errors_expected = match &expected.errors {
                ExpectedErrors::Count(n) => *n > 0,
                ExpectedErrors::Policies(p) => !p.is_empty(),
            };
            if actual.errors.is_empty() {
                if errors_expected {
                    writeln!(out, "  {} none ({expected_errors})", label("errors"))?;
                }
            } else {
                writeln!(
                    out,
                    "  {} {} ({expected_errors}):",
                    label("errors"),
                    actual.errors.len()
                )?;
                for error in &actual.errors {
                    writeln!(out, "  {} {}: {}", label(""), error.policy, error.message)?;
                }
            }
        }
        (Some(expected), None) => {
            writeln!(
                out,
                "  {} expected {}, but the request was not evaluated",
                label("decision"),
                expected.decision.as_str()
            )?;
        }
        _ => {}
    }
    let mut first = true;
    for failure in &test.failures {
        let name = if first { "why" } else { "" };
        first = false;
        writeln!(out, "  {} {}", label(name), paint.red(failure))?;
    }
    writeln!(out)
}

fn write_coverage(out: &mut impl Write, paint: &Paint, report: &RunReport) -> std::io::Result<()> {
    let coverage = report.coverage();
    writeln!(
        out,
        "{} {} of {} {} ({:.1}%) determined at least one test",
        paint.bold("Coverage:"),
        coverage.covered,
        coverage.total,
        plural(coverage.total, "policy", "policies"),
        coverage.percent()
    )?;
    for set in &report.sets {
        write_set_coverage(out, paint, set)?;
    }
    writeln!(out)
}

fn write_set_coverage(out: &mut impl Write, paint: &Paint, set: &SetReport) -> std::io::Result<()> {
    writeln!(
        out,
        "  policy set `{}`: {} of {} covered",
        set.label,
        set.covered(),
        set.policies.len()
    )?;
    let width = set.policies.iter().map(|p| p.id.len()).max().unwrap_or(0);
    for (policy, &tests) in set.policies.iter().zip(&set.determined) {
        let count = format!("{tests:>5}");
        let count = if tests == 0 { paint.red(&count) } else { count };
        writeln!(
            out,
            "  {count}  {:<width$}  {}",
            policy.id,
            paint.dim(&format!("{}:{}", policy.file, policy.line))
        )?;
    }
    let uncovered: Vec<_> = set.uncovered().collect();
    if !uncovered.is_empty() {
        writeln!(out, "  {}", paint.yellow("Not exercised by any test:"))?;
        for policy in uncovered {
            writeln!(out, "    {}:{}: {}", policy.file, policy.line, policy.id)?;
        }
    }
    Ok(())
}
