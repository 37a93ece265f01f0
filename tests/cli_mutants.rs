//! `cedarcheck mutants` (README "Mutation testing"): every mutant of the policies the tests run
//! against, killed when a passing test fails on it. The fixture tests/fixtures/mutants is one
//! permit for the SRE team with `context.mfa && resource.environment == "staging"`, and two
//! tests that vary only `context.mfa`: they notice everything done to the MFA check and miss
//! the environment check and the widened scopes.

mod support;

use std::path::PathBuf;

use serde_json::Value;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mutants")
}

/// Output lines without the summary's timing, which varies.
fn without_time(stdout: &str) -> String {
    stdout
        .lines()
        .map(|line| match line.find(" test decisions in ") {
            Some(at) => format!("{})", &line[..at]),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn survivors_are_reported_at_the_mutated_text_with_a_one_line_diff_and_the_score() {
    let (code, stdout, stderr) = support::cedarcheck(&fixture(), &["mutants"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        without_time(&stdout),
        r#"policies/ops.cedar:2:9: survived: principal in Ops::Team::"sre" → principal in permit sre-reboot (no test notices)
policies/ops.cedar:2:40: survived: action == Ops::Action::"RebootHost" → action in permit sre-reboot (no test notices)
policies/ops.cedar:2:40: survived: action == Ops::Action::"RebootHost" → action in Ops::Action::"RebootHost" in permit sre-reboot (no test notices)
policies/ops.cedar:3:8: survived: context.mfa && resource.environment == "staging" → context.mfa in permit sre-reboot (no test notices)
10 mutants: 6 killed, 4 survived, 0 invalid; score 60.0% (13)"#
    );
}

#[test]
fn verbose_names_the_test_that_killed_each_mutant() {
    let (_, stdout, _) = support::cedarcheck(&fixture(), &["mutants", "--verbose"]);
    for line in [
        r#"policies/ops.cedar:2:9: killed: principal in Ops::Team::"sre" → principal == Ops::Team::"sre" in permit sre-reboot (by tests/reboot.json: alice reboots a staging host with mfa)"#,
        r#"policies/ops.cedar:3:1: killed: when { context.mfa && resource.environment == "staging" } → (removed) in permit sre-reboot (by tests/reboot.json: alice does not reboot without mfa)"#,
        "policies/ops.cedar:3:8: killed: context.mfa → true in permit sre-reboot (by tests/reboot.json: alice does not reboot without mfa)",
        "policies/ops.cedar:3:8: killed: context.mfa → false in permit sre-reboot (by tests/reboot.json: alice reboots a staging host with mfa)",
        "policies/ops.cedar:3:44: killed: == → != in permit sre-reboot (by tests/reboot.json: alice reboots a staging host with mfa)",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line}\nin\n{stdout}");
    }
}

#[test]
fn json_has_a_summary_and_every_mutant_with_its_place_mutation_and_status() {
    let (_, stdout, stderr) = support::cedarcheck(&fixture(), &["mutants", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let summary = &report["summary"];
    assert_eq!(summary["mutants"], 10);
    assert_eq!(summary["killed"], 6);
    assert_eq!(summary["survived"], 4);
    assert_eq!(summary["invalid"], 0);
    assert_eq!(summary["score"], 60.0);
    assert_eq!(summary["tests"], 2);
    let survivor = report["mutants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["operator"] == "drop-and-operand" && m["status"] == "survived")
        .unwrap();
    assert_eq!(survivor["file"], "policies/ops.cedar");
    assert_eq!(
        (survivor["line"].clone(), survivor["column"].clone()),
        (3.into(), 8.into())
    );
    assert_eq!(survivor["policy"], "sre-reboot");
    assert_eq!(survivor["replacement"], "context.mfa");
    let killed = report["mutants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["operator"] == "negate-comparison")
        .unwrap();
    assert_eq!(killed["status"], "killed");
    assert_eq!(
        killed["killed_by"]["test"],
        "alice reboots a staging host with mfa"
    );
}

#[test]
fn min_score_fails_below_it_and_filter_picks_policies() {
    let (code, _, stderr) = support::cedarcheck(&fixture(), &["mutants", "--min-score", "61"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.trim(),
        "cedarcheck: mutation score 60.0% is below --min-score 61%"
    );
    let (code, _, _) = support::cedarcheck(&fixture(), &["mutants", "--min-score", "60"]);
    assert_eq!(code, 0);
    let (code, stdout, _) = support::cedarcheck(&fixture(), &["mutants", "--filter", "^nothing$"]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("0 mutants: 0 killed, 0 survived, 0 invalid; score 100.0%"),
        "{stdout}"
    );
}

#[test]
fn failing_tests_stop_it_before_any_mutation() {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "cedarcheck.toml",
        "policies/ops.cedar",
        "policies/ops.cedarschema",
        "tests/ops.entities.json",
    ] {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(fixture().join(file), target).unwrap();
    }
    let tests = std::fs::read_to_string(fixture().join("tests/reboot.json")).unwrap();
    std::fs::write(
        dir.path().join("tests/reboot.json"),
        tests.replace(r#""decision": "deny""#, r#""decision": "allow""#),
    )
    .unwrap();
    let (code, stdout, stderr) = support::cedarcheck(dir.path(), &["mutants"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr.trim(),
        "cedarcheck: error: the tests fail before any mutation (1 failing, 0 file error(s)): make `cedarcheck test` pass first"
    );
}

#[test]
fn the_readme_lists_every_operator_with_an_example() {
    let readme = include_str!("../README.md");
    let section = &readme[readme.find("## Mutation testing").unwrap()..];
    let section = &section[..section[3..].find("\n## ").unwrap()];
    for operator in cedarcheck_analyzer::mutation::Operator::ALL {
        let row = format!("| `{}` | ", operator.id());
        assert!(section.contains(&row), "README has no row {row}");
    }
}
