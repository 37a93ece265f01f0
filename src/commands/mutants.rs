//! `cedarcheck mutants [PATH…]`: would the tests notice a weakened policy? Finds the test files
//! as `cedarcheck test` does, runs them against every mutant of the policy sets they test
//! (crates/mutants), and prints the survivors and the score (README "Mutation testing").

use std::io::Write;

use cedarcheck_mutants::{MutantsOptions, MutantsReport, Status};
use cedarcheck_test_runner::Options;
use regex::Regex;

use crate::cli::{CommonArgs, Format, MutantsArgs};

pub fn run(args: &MutantsArgs, common: &CommonArgs) -> u8 {
    match mutants(args, common) {
        Ok(code) => code,
        Err(message) => super::fail(message),
    }
}

fn mutants(args: &MutantsArgs, common: &CommonArgs) -> Result<u8, String> {
    let format = common.format.unwrap_or(Format::Pretty);
    if !matches!(format, Format::Pretty | Format::Compact | Format::Json) {
        return Err("`mutants` writes pretty, compact or json".into());
    }
    let filter = args
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| format!("--filter: invalid regular expression: {e}"))?;
    let (cwd, paths) = super::cwd_and_paths(&args.paths)?;
    let discovered = super::test::discover(&paths, common.config.as_deref(), &cwd)?;
    let jobs = common.jobs.unwrap_or_else(|| {
        discovered
            .sets
            .workspaces
            .first()
            .map_or(0, |w| w.analysis().jobs)
    });
    let jobs = if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    };
    let tests = Options {
        jobs,
        filter: None,
        cwd: cwd.clone(),
    };
    let started = std::time::Instant::now();
    let report = cedarcheck_mutants::run(
        &discovered.inputs,
        &discovered.sets,
        &MutantsOptions {
            tests: &tests,
            policies: filter.as_ref(),
        },
    )
    .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    let text = match format {
        Format::Json => json(&report),
        Format::Compact => compact(&report),
        _ => pretty(&report, common.verbose, elapsed),
    };
    let mut out = std::io::stdout().lock();
    // A closed stdout (`| head`) is not an error of ours.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    let score = report.score();
    if let Some(minimum) = args.min_score {
        if score + 1e-9 < minimum {
            eprintln!("cedarcheck: mutation score {score:.1}% is below --min-score {minimum}%");
            return Ok(crate::exit::FINDINGS);
        }
    }
    Ok(crate::exit::CLEAN)
}

/// The survivors, one line each (every mutant with --verbose), then the score.
fn pretty(report: &MutantsReport, verbose: bool, elapsed: std::time::Duration) -> String {
    let mut text = String::new();
    for m in &report.mutants {
        let what = format!(
            "{}:{}:{}: {}: {} in {} {}",
            m.file,
            m.line,
            m.column,
            m.status.word(),
            m.diff,
            m.kind,
            m.mutation.policy
        );
        match &m.status {
            Status::Survived => text.push_str(&format!("{what} (no test notices)\n")),
            Status::Killed { file, test } if verbose => {
                text.push_str(&format!("{what} (by {})\n", killer(file, test)))
            }
            Status::Invalid { why } if verbose => text.push_str(&format!("{what} ({why})\n")),
            _ => {}
        }
    }
    text.push_str(&format!(
        "{}: {} killed, {} survived, {} invalid; score {:.1}% ({} test decisions in {:.1}s)\n",
        plural(report.mutants.len(), "mutant"),
        report.count("killed"),
        report.count("survived"),
        report.count("invalid"),
        report.score(),
        report.test_runs,
        elapsed.as_secs_f64()
    ));
    text
}

fn killer(file: &str, test: &str) -> String {
    if test.is_empty() {
        file.to_string()
    } else {
        format!("{file}: {test}")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// One line per survivor, as `check --format compact` writes findings.
fn compact(report: &MutantsReport) -> String {
    report
        .mutants
        .iter()
        .filter(|m| m.status == Status::Survived)
        .map(|m| {
            format!(
                "{}:{}:{}: survived: {} in {} {}\n",
                m.file, m.line, m.column, m.diff, m.kind, m.mutation.policy
            )
        })
        .collect()
}

fn json(report: &MutantsReport) -> String {
    let mutants: Vec<serde_json::Value> = report
        .mutants
        .iter()
        .map(|m| {
            let mut value = serde_json::json!({
                "file": m.file,
                "line": m.line,
                "column": m.column,
                "policy": m.mutation.policy,
                "kind": m.kind,
                "operator": m.mutation.operator.id(),
                "mutation": m.diff,
                "replacement": m.mutation.replacement,
                "status": m.status.word(),
            });
            match &m.status {
                Status::Killed { file, test } => {
                    value["killed_by"] = serde_json::json!({ "file": file, "test": test });
                }
                Status::Invalid { why } => value["invalid"] = serde_json::json!(why),
                Status::Survived => {}
            }
            value
        })
        .collect();
    let value = serde_json::json!({
        "version": 1,
        "summary": {
            "mutants": report.mutants.len(),
            "killed": report.count("killed"),
            "survived": report.count("survived"),
            "invalid": report.count("invalid"),
            "score": (report.score() * 10.0).round() / 10.0,
            "tests": report.tests,
            "test_decisions": report.test_runs,
        },
        "mutants": mutants,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
