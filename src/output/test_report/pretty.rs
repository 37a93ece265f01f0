//! The default output: each failing test with its request, the decisions, a diff of the
//! reasons and the erroring policies; file and policy-set errors; coverage when asked.

use std::io::Write;

use cedarcheck_test_runner::{RunReport, SetReport, TestReport, Tone};

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
    for line in test.comparison() {
        let text: String = line
            .parts
            .iter()
            .map(|(text, tone)| match tone {
                Tone::Plain => text.clone(),
                Tone::Bad => paint.red(text),
                Tone::Allowed => paint.yellow(text),
                Tone::Note => paint.dim(text),
            })
            .collect();
        writeln!(out, "  {} {text}", label(line.label))?;
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
    for (i, suggestion) in &set.suggestions {
        let policy = &set.policies[*i];
        match suggestion {
            Ok(entry) => {
                writeln!(
                    out,
                    "  {} a test `{}` determines (add it to a test file's \"tests\"):",
                    paint.green("Suggested:"),
                    policy.id
                )?;
                let text = serde_json::to_string_pretty(entry).unwrap_or_default();
                for line in text.lines() {
                    writeln!(out, "    {line}")?;
                }
            }
            Err(why) => writeln!(
                out,
                "  {} for `{}`: {why}",
                paint.yellow("No suggested test"),
                policy.id
            )?,
        }
    }
    Ok(())
}
