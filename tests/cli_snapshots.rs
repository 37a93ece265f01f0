//! Whole outputs of the binary on representative inputs, as reviewed insta snapshots in
//! `snapshots/`: exit code, stdout and stderr of `check` (compact, and pretty without colour)
//! on a copy of the bundled policy set and of each repository in tests/fixtures/real_world,
//! `test` on the bundled test cases, and `rules permit-all`. Runs are without a solver (as
//! every `support::cedarcheck` run), in a temporary copy whose path never reaches a snapshot;
//! timings are replaced by `[time]`. `cargo insta review` shows a change for review; under
//! `CI=true` a missing snapshot fails instead of being written.

mod support;

use std::path::{Path, PathBuf};

use tempfile::TempDir;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

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

/// The bundled set (cedarcheck.toml, policies/, testcases/) outside this repository.
fn bundled() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("cedarcheck.toml"),
        dir.path().join("cedarcheck.toml"),
    )
    .unwrap();
    for sub in ["policies", "testcases"] {
        copy_dir(&root().join(sub), &dir.path().join(sub));
    }
    dir
}

/// A repository of tests/fixtures/real_world, without its `expected.txt`, outside this one so
/// that no cedarcheck.toml above it applies.
fn real_world(name: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join("tests/fixtures/real_world").join(name),
        dir.path(),
    );
    dir
}

/// `cedarcheck ARGS` in `dir` as one text: exit code, stdout, stderr; the directory's path and
/// durations replaced.
fn run(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = support::cedarcheck(dir, args);
    let text = format!(
        "$ cedarcheck {}\nexit: {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        args.join(" ")
    );
    let text = text.replace(&dir.display().to_string(), "[dir]");
    let seconds = regex::Regex::new(r"\b\d+(\.\d+)? ?(s|ms)\b").unwrap();
    seconds.replace_all(&text, "[time]").into_owned()
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

const COMPACT: [&str; 3] = ["check", "--format", "compact"];
const PRETTY: [&str; 5] = ["check", "--format", "pretty", "--color", "never"];

#[test]
fn check_on_the_bundled_policies() {
    let dir = bundled();
    snapshot("check-bundled-compact", &run(dir.path(), &COMPACT));
    snapshot("check-bundled-pretty", &run(dir.path(), &PRETTY));
}

#[test]
fn check_on_the_real_world_repositories() {
    for name in ["mcp-gateway", "k8s-authorizer", "saas-docs", "photo-demo"] {
        let dir = real_world(name);
        snapshot(&format!("check-{name}-compact"), &run(dir.path(), &COMPACT));
        snapshot(&format!("check-{name}-pretty"), &run(dir.path(), &PRETTY));
    }
}

#[test]
fn test_on_the_bundled_test_cases() {
    let dir = bundled();
    snapshot(
        "test-bundled-pretty",
        &run(
            dir.path(),
            &["test", "--format", "pretty", "--color", "never"],
        ),
    );
}

#[test]
fn rules_explains_a_rule() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(
        "rules-permit-all",
        &run(dir.path(), &["rules", "permit-all"]),
    );
}
