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
        let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
        Self::with_hooks(&std::fs::read_to_string(ours).unwrap(), hook, files)
    }

    /// [`Project::new`], with `hooks_yaml` as the hooks repository's `.pre-commit-hooks.yaml`.
    fn with_hooks(hooks_yaml: &str, hook: &str, files: &[(&str, &str)]) -> Self {
        let scratch = tempfile::tempdir().unwrap();
        let hooks = scratch.path().join("hooks");
        std::fs::create_dir(&hooks).unwrap();
        write(&hooks, ".pre-commit-hooks.yaml", hooks_yaml);
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

// ---- the `-system` twins ------------------------------------------------------------------

/// The hooks of this repository's `.pre-commit-hooks.yaml`: each `- id:` block, by id.
fn hook_blocks() -> Vec<(String, Vec<String>)> {
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let hooks = std::fs::read_to_string(ours).unwrap();
    hooks
        .split("\n- id: ")
        .skip(1)
        .map(|block| {
            let mut lines = block.lines().map(str::to_string);
            let id = lines.next().unwrap();
            let fields = lines
                .take_while(|line| line.starts_with("  "))
                .collect::<Vec<_>>();
            (id, fields)
        })
        .collect()
}

/// Every `language: rust` hook has a `-system` twin (README "pre-commit") that runs the same
/// entry on the same files, with the `cedarcheck` on PATH: the lines differ only in
/// `language` and in the description's ending.
#[test]
fn every_rust_hook_has_a_system_twin_that_differs_only_in_language() {
    let blocks = hook_blocks();
    let ids: Vec<&str> = blocks.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "cedarcheck",
            "cedarcheck-system",
            "cedarcheck-test",
            "cedarcheck-test-system",
            "cedarcheck-fmt",
            "cedarcheck-fmt-system"
        ]
    );
    for (id, fields) in blocks.iter().filter(|(id, _)| !id.ends_with("-system")) {
        let twin = format!("{id}-system");
        let (_, twin_fields) = blocks.iter().find(|(i, _)| *i == twin).unwrap();
        let expected: Vec<String> = fields
            .iter()
            .map(|line| match line.as_str() {
                "  language: rust" => "  language: system".to_string(),
                description if description.starts_with("  description: ") => format!(
                    "{}, with the cedarcheck binary on PATH.",
                    description.trim_end_matches('.')
                ),
                other => other.to_string(),
            })
            .collect();
        assert!(fields.contains(&"  language: rust".to_string()), "{id}");
        assert_eq!(twin_fields, &expected, "{twin} against {id}");
    }
}

// ---- the `cedarcheck-test` hook in a repository with policies and no tests yet ------------
//
// The hook passes with a one-line note, while `cedarcheck test` on the command line still
// fails on an empty run unless given `--allow-empty`. The run uses `cedarcheck-test-system`,
// the freshly built binary on PATH with the hook's own entry, files and arguments (which are
// `cedarcheck-test`'s, as the test above shows).

/// What an empty run allowed by `--allow-empty` prints on stderr, and nothing else.
const EMPTY_NOTE: &str =
    "note: no tests ran: no test files were found; --allow-empty accepts that\n";

/// A test that [`GOOD`] fails: it allows what the test expects to be denied.
const FAILING_TEST: &str = r#"{
  "entities": [],
  "tests": [
    {
      "name": "users cannot read docs",
      "request": {"principal": "Ops::User::\"alice\"", "action": "Ops::Action::\"Read\"", "resource": "Ops::Doc::\"plan\"", "context": {}},
      "decision": "deny",
      "reason": []
    }
  ]
}
"#;

/// A repository with a schema and a policy, and no test.
fn no_tests_yet() -> [(&'static str, &'static str); 3] {
    [
        ("policies/s.cedarschema", SCHEMA),
        ("policies/users.cedar", GOOD),
        ("README.md", "not a policy\n"),
    ]
}

#[test]
fn the_test_hook_passes_with_a_note_while_there_are_no_tests() {
    let Some(pre_commit) = require_tool(
        "the_test_hook_passes_with_a_note_while_there_are_no_tests",
        Tool::PreCommit,
    ) else {
        return;
    };
    let project = Project::new("cedarcheck-test-system", &no_tests_yet());
    // `--verbose` shows a passing hook's output.
    let (ok, output) = project.run(&pre_commit, &["--all-files", "--verbose"]);
    assert!(ok, "{output}");
    assert!(output.contains("cedarcheck test"), "{output}");
    assert!(output.contains("Passed"), "{output}");
    assert!(output.contains(EMPTY_NOTE), "{output}");

    // The hook still runs the tests once there are some: a failing one fails it.
    write(&project.dir, "tests/users.json", FAILING_TEST);
    git(&project.dir, &["add", "-A"]);
    let (ok, output) = project.run(&pre_commit, &["--all-files"]);
    assert!(!ok, "{output}");
    assert!(output.contains("Failed"), "{output}");
    assert!(
        output.contains("FAIL tests/users.json:4: users cannot read docs"),
        "{output}"
    );
}

#[test]
fn the_fmt_hook_formats_a_policy_and_passes_once_the_change_is_staged() {
    let Some(pre_commit) = require_tool(
        "the_fmt_hook_formats_a_policy_and_passes_once_the_change_is_staged",
        Tool::PreCommit,
    ) else {
        return;
    };
    let unformatted = "@id(\"users-read-docs\")\n\
        permit(principal is Ops::User,action==Ops::Action::\"Read\",resource is Ops::Doc);\n";
    let project = Project::new(
        "cedarcheck-fmt-system",
        &[
            ("policies/s.cedarschema", SCHEMA),
            ("policies/users.cedar", unformatted),
        ],
    );
    // The hook rewrites the file; pre-commit fails the run because a file changed.
    let (ok, output) = project.run(&pre_commit, &["--all-files"]);
    assert!(!ok, "{output}");
    assert!(output.contains("Failed"), "{output}");
    assert!(
        output.contains("files were modified by this hook"),
        "{output}"
    );
    assert_eq!(
        std::fs::read_to_string(project.dir.join("policies/users.cedar")).unwrap(),
        "@id(\"users-read-docs\")\npermit (\n  principal is Ops::User,\n  \
         action == Ops::Action::\"Read\",\n  resource is Ops::Doc\n);\n"
    );
    // Staged, it passes.
    git(&project.dir, &["add", "-A"]);
    let (ok, output) = project.run(&pre_commit, &["--all-files"]);
    assert!(ok, "{output}");
    assert!(output.contains("Passed"), "{output}");
}

/// Runs `cedarcheck ARGS` in `dir`; returns exit code, stdout and stderr.
fn cedarcheck(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cedarcheck"))
        .current_dir(dir)
        .args(args)
        .env("CVC5", "/nonexistent/cvc5")
        .env("NO_COLOR", "1")
        .output()
        .expect("cedarcheck runs");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8(output.stdout).unwrap(),
        stderr,
    )
}

#[test]
fn cedarcheck_test_fails_on_an_empty_run_unless_allowed_and_then_notes_it_in_one_line() {
    let scratch = tempfile::tempdir().unwrap();
    for (path, text) in no_tests_yet() {
        write(scratch.path(), path, text);
    }
    let dir = scratch.path();

    // On the command line an empty run is a failure (exit 1), as documented.
    let (code, stdout, stderr) = cedarcheck(dir, &["test"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert_eq!(
        stderr,
        "cedarcheck: no tests ran: no test files were found; pass --allow-empty to accept an \
         empty run\n"
    );

    // Allowed: exit 0, and one line on stderr says that nothing ran.
    let (code, stdout, stderr) = cedarcheck(dir, &["test", "--allow-empty"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stderr, EMPTY_NOTE);
    assert!(
        stdout.starts_with("0 passed, 0 failed (0 files, "),
        "{stdout}"
    );

    // `-q` leaves the note out.
    let (code, _, stderr) = cedarcheck(dir, &["test", "--allow-empty", "-q"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, "");
}
