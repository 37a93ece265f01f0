//! `--format compact`: one line per failing test or error, `file:line:col: …`.

use std::io::Write;

use cedarcheck_test_runner::RunReport;

use super::Display;

pub fn write(out: &mut impl Write, report: &RunReport, display: &Display) -> std::io::Result<()> {
    for set in &report.sets {
        for error in &set.errors {
            writeln!(
                out,
                "{}:{}:{}: error[policy-set] {}",
                error.file, error.line, error.column, error.message
            )?;
        }
    }
    for file in &report.files {
        for error in &file.errors {
            writeln!(
                out,
                "{}:{}:{}: error[test-file] {}",
                error.file, error.line, error.column, error.message
            )?;
        }
        for test in &file.tests {
            if test.passed() {
                if display.verbose {
                    writeln!(out, "{}:{}:1: ok {}", file.path, test.line, test.name)?;
                }
            } else {
                writeln!(
                    out,
                    "{}:{}:1: fail {}: {}",
                    file.path,
                    test.line,
                    test.name,
                    test.failures.join("; ")
                )?;
            }
        }
    }
    if display.coverage {
        for set in &report.sets {
            for policy in set.uncovered() {
                writeln!(
                    out,
                    "{}:{}:1: uncovered policy `{}`: no test exercises it",
                    policy.file, policy.line, policy.id
                )?;
            }
            for (i, suggestion) in &set.suggestions {
                let policy = &set.policies[*i];
                match suggestion {
                    Ok(entry) => writeln!(
                        out,
                        "{}:{}:1: suggested test for `{}`: {entry}",
                        policy.file, policy.line, policy.id
                    )?,
                    Err(why) => writeln!(
                        out,
                        "{}:{}:1: no suggested test for `{}`: {why}",
                        policy.file, policy.line, policy.id
                    )?,
                }
            }
        }
    }
    Ok(())
}
