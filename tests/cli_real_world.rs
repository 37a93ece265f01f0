//! The first run on a real repository shows only what matters: on small repositories of the
//! kinds users keep (tests/fixtures/real_world/README.md), `cedarcheck check` with no
//! configuration reports at `warn` or above exactly the findings in each `expected.txt` —
//! without the solver, and with it, since the deep rules must not add noise either.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

const REPOSITORIES: [&str; 4] = ["mcp-gateway", "k8s-authorizer", "saas-docs", "photo-demo"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real_world")
        .join(name)
}

/// A copy of the repository outside this one, so that no cedarcheck.toml above it applies.
fn copy(name: &str) -> tempfile::TempDir {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else if entry.file_name() != "expected.txt" {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name), dir.path());
    dir
}

fn expected(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name).join("expected.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The compact output's findings at `warn` or `error`.
fn loud(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.contains(": warn[") || l.contains(": error["))
        .map(str::to_string)
        .collect()
}

#[test]
fn without_the_solver_only_the_findings_that_matter_are_warnings() {
    for name in REPOSITORIES {
        let dir = copy(name);
        let (_, stdout, stderr) =
            support::cedarcheck(dir.path(), &["check", "--format", "compact"]);
        assert_eq!(loud(&stdout), expected(name), "{name}:\n{stdout}{stderr}");
    }
}

#[test]
fn with_the_solver_the_deep_rules_add_no_noise() {
    if !support::have_cvc5("with_the_solver_the_deep_rules_add_no_noise") {
        return;
    }
    for name in REPOSITORIES {
        let dir = copy(name);
        let output = Command::cargo_bin("cedarcheck")
            .unwrap()
            .current_dir(dir.path())
            .args(["check", "--format", "compact", "--no-cache"])
            .timeout(Duration::from_secs(300))
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            !stdout.contains("unknown: could not decide"),
            "{name}:\n{stdout}"
        );
        assert_eq!(loud(&stdout), expected(name), "{name}:\n{stdout}{stderr}");
    }
}

#[test]
fn a_json_schema_named_schema_json_is_found_by_its_content() {
    // A JSON schema named `schema.json` is taken by its content, so the set is validated.
    let dir = copy("saas-docs");
    let (code, stdout, stderr) = support::cedarcheck(dir.path(), &["check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("schema: policies/schema.json (found by content)"),
        "{stderr}"
    );
}
