//! A solver that is missing, crashes, prints garbage or hangs makes its queries "unknown" —
//! reported, never clean — and the run still ends.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Instant;

use common::*;

/// A fake solver script in `dir`.
fn fake_solver(dir: &tempfile::TempDir, body: &str) -> PathBuf {
    let path = dir.path().join("fake-cvc5");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs the vacuous-policy fixture with `solver`, within `limit_ms` per query, and returns the
/// messages of the findings.
fn run_with(solver_path: PathBuf, limit_ms: u64) -> Vec<(String, String)> {
    let schema = source(&fixtures().join("schema.cedarschema"), "schema.cedarschema");
    let policy = source(&fixtures().join("vacuous-policy/bad.cedar"), "bad.cedar");
    let started = Instant::now();
    let run = prove(
        &schema,
        vec![policy],
        vec![],
        solver(solver_path, limit_ms),
        Default::default(),
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the run must end"
    );
    assert!(
        run.report.stats.unknown > 0,
        "undecided queries are counted"
    );
    run.report
        .findings
        .iter()
        .map(|f| (f.rule.to_string(), f.message.clone()))
        .collect()
}

fn assert_all_unknown(findings: &[(String, String)], why: &str) {
    assert!(!findings.is_empty(), "an undecided run is never clean");
    for (rule, message) in findings {
        assert!(
            message.starts_with("unknown: could not decide"),
            "{rule}: {message}"
        );
        assert!(
            message.contains(why),
            "{rule}: `{message}` should say {why:?}"
        );
    }
    // The vacuous policy is reported as unknown, not as vacuous and not as fine.
    assert!(findings.iter().any(|(rule, _)| rule == "vacuous-policy"));
}

#[test]
fn a_solver_that_prints_garbage_makes_queries_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = fake_solver(&dir, "while read line; do echo 'garbage!'; done");
    assert_all_unknown(&run_with(garbage, 2_000), "unrecognized solver output");
}

#[test]
fn a_solver_that_crashes_makes_queries_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let crash = fake_solver(&dir, "exit 3");
    let findings = run_with(crash, 2_000);
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|(_, m)| m.starts_with("unknown:")),
        "{findings:?}"
    );
}

#[test]
fn a_solver_that_hangs_is_stopped_at_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let hang = fake_solver(&dir, "exec sleep 600");
    let started = Instant::now();
    assert_all_unknown(&run_with(hang, 200), "did not answer within");
    // 2 environments × a handful of queries, each stopped after 0.7 s.
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_missing_solver_makes_queries_unknown() {
    let findings = run_with(PathBuf::from("/nonexistent/cvc5"), 1_000);
    assert_all_unknown(&findings, "cannot start the solver");
}

#[test]
fn a_solver_that_answers_unknown_is_not_taken_for_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts every command silently and answers every check-sat with `unknown`.
    let unsure = fake_solver(
        &dir,
        "while read line; do case \"$line\" in *check-sat*) echo unknown;; esac; done",
    );
    assert_all_unknown(&run_with(unsure, 2_000), "unknown");
}
