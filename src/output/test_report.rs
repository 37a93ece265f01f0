//! Rendering a `cedarcheck test` run: one module per `--format`.

mod compact;
mod json;
mod junit;
mod pretty;

use std::io::Write;
use std::time::Duration;

use cedarcheck_test_runner::RunReport;

use crate::cli::Format;

/// How to show a run.
pub struct Display {
    pub format: Format,
    pub color: bool,
    /// Show per-policy coverage (`--coverage`, `--min-coverage`).
    pub coverage: bool,
    pub verbose: bool,
    pub quiet: bool,
    pub elapsed: Duration,
}

pub fn print(report: &RunReport, display: &Display) {
    super::to_stdout(|out| match display.format {
        Format::Json => json::write(out, report),
        Format::Junit => junit::write(out, report),
        Format::Compact => compact::write(out, report, display),
        _ => pretty::write(out, report, display),
    });
    if display.quiet {
        return;
    }
    if display.verbose {
        for (file, what) in &report.skipped {
            eprintln!("cedarcheck: skipped {file}: not a test file ({what})");
        }
    }
    // JSON and JUnit are files for other tools: stdout holds nothing else.
    if matches!(display.format, Format::Json | Format::Junit) {
        eprintln!("{}", summary(report, display));
    } else {
        super::to_stdout(|out| writeln!(out, "{}", summary(report, display)));
    }
}

/// `12 passed, 1 failed (3 files, 0.02 s)`, with file errors and coverage when there are.
pub fn summary(report: &RunReport, display: &Display) -> String {
    let mut parts = vec![
        format!("{} passed", report.passed()),
        format!("{} failed", report.failed()),
    ];
    let file_errors = report.file_errors();
    if file_errors > 0 {
        parts.push(format!(
            "{file_errors} {}",
            plural(file_errors, "file error", "file errors")
        ));
    }
    let files = report.files.len();
    let mut line = format!(
        "{} ({files} {}, {:.2} s)",
        parts.join(", "),
        plural(files, "file", "files"),
        display.elapsed.as_secs_f64()
    );
    if display.coverage {
        let coverage = report.coverage();
        line.push_str(&format!(
            "; policy coverage {:.1}% ({} of {})",
            coverage.percent(),
            coverage.covered,
            coverage.total
        ));
    }
    line
}

pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
