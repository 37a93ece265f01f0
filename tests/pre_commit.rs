//! A real `pre-commit run` against this repository's `.pre-commit-hooks.yaml`, with the
//! `cedarcheck-system` hook and the freshly built binary on PATH.
//!
//! The hooks file is committed into a scratch hooks repository (pre-commit clones hook
//! repositories at a revision, and this work tree's copy may not be committed yet). Without
//! pre-commit the tests say they were skipped — except under CI, where they fail (`.ci/run`
//! installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cedarcheck_test_support::{require_tool, Tool};

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=cedarcheck",
            "-c",
            "user.email=cedarcheck@example.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

struct Project {
    _scratch: tempfile::TempDir,
    dir: PathBuf,
    home: PathBuf,
}

impl Project {
    /// A git repository whose `.pre-commit-config.yaml` uses `hook` from a hooks repository
    /// holding this repository's `.pre-commit-hooks.yaml`.
    fn new(hook: &str, files: &[(&str, &str)]) -> Self {
        let scratch = tempfile::tempdir().unwrap();
        let hooks = scratch.path().join("hooks");
        std::fs::create_dir(&hooks).unwrap();
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
        std::fs::copy(ours, hooks.join(".pre-commit-hooks.yaml")).unwrap();
        git(&hooks, &["init", "-q"]);
        git(&hooks, &["add", "-A"]);
        git(&hooks, &["commit", "-q", "-m", "hooks"]);
        let rev = git(&hooks, &["rev-parse", "HEAD"]);

        let dir = scratch.path().join("project");
        std::fs::create_dir(&dir).unwrap();
        git(&dir, &["init", "-q"]);
        let config = format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n",
            hooks.display()
        );
        write(&dir, ".pre-commit-config.yaml", &config);
        for (path, text) in files {
            write(&dir, path, text);
        }
        git(&dir, &["add", "-A"]);
        let home = scratch.path().join("pre-commit-home");
        Self {
            _scratch: scratch,
            dir,
            home,
        }
    }

    fn run(&self, pre_commit: &Path, args: &[&str]) -> (bool, String) {
        let binary = Path::new(env!("CARGO_BIN_EXE_cedarcheck"));
        let path = std::env::join_paths(
            std::iter::once(binary.parent().unwrap().to_path_buf())
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        let Output {
            status,
            stdout,
            stderr,
        } = Command::new(pre_commit)
            .current_dir(&self.dir)
            .arg("run")
            .args(args)
            .env("PATH", path)
            .env("PRE_COMMIT_HOME", &self.home)
            .env("PRE_COMMIT_COLOR", "never")
            // The hooks' wiring is under test, not the solver: run without one.
            .env("CVC5", "/nonexistent/cvc5")
            .env("GIT_AUTHOR_NAME", "cedarcheck")
            .env("GIT_AUTHOR_EMAIL", "cedarcheck@example.invalid")
            .env("GIT_COMMITTER_NAME", "cedarcheck")
            .env("GIT_COMMITTER_EMAIL", "cedarcheck@example.invalid")
            .output()
            .expect("pre-commit runs");
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
        assert!(!output.contains("panicked"), "{output}");
        (status.success(), output)
    }
}

const SCHEMA: &str = r#"namespace Ops {
  entity User;
  entity Doc;
  action Read appliesTo { principal: User, resource: Doc };
}
"#;

const GOOD: &str = r#"@id("users-read-docs")
permit(principal is Ops::User, action == Ops::Action::"Read", resource is Ops::Doc);
"#;

#[test]
fn pre_commit_fails_on_a_bad_policy_and_shows_the_finding() {
    let Some(pre_commit) = require_tool(
        "pre_commit_fails_on_a_bad_policy_and_shows_the_finding",
        Tool::PreCommit,
    ) else {
        return;
    };
    let project = Project::new(
        "cedarcheck-system",
        &[
            ("policies/s.cedarschema", SCHEMA),
            ("policies/good.cedar", GOOD),
            (
                "policies/bad.cedar",
                "@id(\"everyone\")\npermit(principal, action, resource);\n",
            ),
            ("README.md", "not a policy\n"),
        ],
    );
    let (ok, output) = project.run(&pre_commit, &["--all-files"]);
    assert!(!ok, "{output}");
    assert!(output.contains("cedarcheck"), "{output}");
    assert!(output.contains("Failed"), "{output}");
    assert!(
        output.contains(
            "policies/bad.cedar:2:1: error[permit-all] policy `everyone` permits every principal"
        ),
        "{output}"
    );

    // Fixed: the hook passes.
    write(
        &project.dir,
        "policies/bad.cedar",
        GOOD.replace("users-read-docs", "fixed").as_str(),
    );
    git(&project.dir, &["add", "-A"]);
    let (ok, output) = project.run(&pre_commit, &["--all-files"]);
    assert!(ok, "{output}");
    assert!(output.contains("Passed"), "{output}");
}

#[test]
fn changed_files_are_checked_with_their_whole_set_and_only_their_findings_shown() {
    let Some(pre_commit) = require_tool(
        "changed_files_are_checked_with_their_whole_set_and_only_their_findings_shown",
        Tool::PreCommit,
    ) else {
        return;
    };
    // b.cedar reuses a.cedar's id: only checking the set as a whole finds that, and the
    // finding is in b.cedar.
    let project = Project::new(
        "cedarcheck-system",
        &[
            ("s.cedarschema", SCHEMA),
            ("a.cedar", GOOD),
            ("b.cedar", GOOD),
        ],
    );
    let (ok, output) = project.run(&pre_commit, &["--files", "b.cedar"]);
    assert!(!ok, "{output}");
    assert!(
        output.contains(
            "b.cedar:1:1: error[duplicate-policy-id] policy id `users-read-docs` is already used"
        ),
        "{output}"
    );
    // a.cedar alone has no finding of its own.
    let (ok, output) = project.run(&pre_commit, &["--files", "a.cedar"]);
    assert!(ok, "{output}");
    // A changed schema affects every policy: all of the set's findings are shown.
    let (ok, output) = project.run(&pre_commit, &["--files", "s.cedarschema"]);
    assert!(!ok, "{output}");
    assert!(
        output.contains("b.cedar:1:1: error[duplicate-policy-id]"),
        "{output}"
    );
}
