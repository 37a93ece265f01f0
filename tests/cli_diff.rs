//! `cedarcheck diff` on temporary git repositories: added, removed and unchanged access, schema
//! changes, renamed files, bad revisions, and a working tree and index left untouched. Needs
//! cvc5: without it these tests say they were skipped, and under CI=true they fail.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::have_cvc5;

use serde_json::Value;
use tempfile::TempDir;

const SCHEMA: &str = r#"namespace Ops {
  type Ctx = { mfa: Bool };
  entity Team;
  entity Operator in [Team];
  entity Host { environment: String };
  action ViewHostStatus, RebootHost appliesTo { principal: [Operator], resource: [Host], context: Ctx };
}
"#;

const BASE: &str = r#"@id("sre-reboot-with-mfa")
permit (principal in Ops::Team::"sre", action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.mfa };

@id("everyone-views")
permit (principal is Ops::Operator, action == Ops::Action::"ViewHostStatus", resource is Ops::Host);
"#;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A repository whose first commit holds the schema, BASE in policies/ops.cedar and a config.
fn repo() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(
        root,
        "cedarcheck.toml",
        "policies = [\"policies/**/*.cedar\"]\nschema = \"ops.cedarschema\"\n",
    );
    write(root, "ops.cedarschema", SCHEMA);
    write(root, "policies/ops.cedar", BASE);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    dir
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn diff(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .arg("diff")
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    )
}

/// The repository's status and index, to compare before and after a run.
fn snapshot(dir: &Path) -> (String, String) {
    (
        git(dir, &["status", "--porcelain=v1", "--untracked-files=all"]),
        git(dir, &["ls-files", "--stage"]),
    )
}

#[test]
fn a_new_permit_is_new_access_with_an_example_and_fails() {
    if !have_cvc5("a_new_permit_is_new_access_with_an_example_and_fails") {
        return;
    }
    let repo = repo();
    let extra = "\n@id(\"break-glass-reboot\")\npermit (principal is Ops::Operator, action == Ops::Action::\"RebootHost\", resource is Ops::Host)\nwhen { resource.environment == \"staging\" };\n";
    write(repo.path(), "policies/ops.cedar", &format!("{BASE}{extra}"));
    let before = snapshot(repo.path());
    let (code, stdout, stderr) = diff(repo.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("+ Ops::Operator may now RebootHost on Ops::Host — e.g. "),
        "{stdout}"
    );
    assert!(
        stdout.contains("(allowed by `break-glass-reboot`)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"environment\":\"staging\"") || stdout.contains("Access added in 1"),
        "{stdout}"
    );
    assert_eq!(
        snapshot(repo.path()),
        before,
        "the working tree and index are untouched"
    );

    let (code, _, _) = diff(repo.path(), &["--base", "HEAD", "--allow-new-access"]);
    assert_eq!(code, 0);

    // The JSON example is a run-tests entry that the new set allows.
    let (_, stdout, _) = diff(repo.path(), &["--base", "HEAD", "--format", "json"]);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let env = json["sets"][0]["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["change"] == "more-permissive")
        .expect("a more permissive environment");
    assert_eq!(env["action"], "Ops::Action::\"RebootHost\"");
    assert_eq!(env["added"]["case"]["decision"], "allow");
    assert_eq!(
        env["added"]["new_reasons"],
        serde_json::json!(["break-glass-reboot"])
    );
    assert_eq!(json["summary"]["added"], 1);
}

#[test]
fn removing_a_permit_is_reported_and_passes() {
    if !have_cvc5("removing_a_permit_is_reported_and_passes") {
        return;
    }
    let repo = repo();
    write(
        repo.path(),
        "policies/ops.cedar",
        &BASE.replace(
            "when { context.mfa };",
            "when { context.mfa && resource.environment != \"prod\" };",
        ),
    );
    let (code, stdout, stderr) = diff(repo.path(), &["--base", "HEAD"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("- Ops::Operator may no longer RebootHost on Ops::Host — e.g. "),
        "{stdout}"
    );
    assert!(
        stdout.contains("it was allowed by `sre-reboot-with-mfa`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Access added in 0, removed in 1"),
        "{stdout}"
    );
}

#[test]
fn a_refactoring_that_keeps_the_meaning_is_equivalent_even_across_renamed_files() {
    if !have_cvc5("a_refactoring_that_keeps_the_meaning_is_equivalent_even_across_renamed_files") {
        return;
    }
    let repo = repo();
    git(
        repo.path(),
        &["mv", "policies/ops.cedar", "policies/hosts.cedar"],
    );
    // Same meaning, written differently: `!!context.mfa`, an extra always-true test.
    let refactored = BASE.replace(
        "when { context.mfa };",
        "when { !!context.mfa && (context.mfa || context.mfa) };",
    );
    write(repo.path(), "policies/hosts.cedar", &refactored);
    let before = snapshot(repo.path());
    let (code, stdout, stderr) = diff(repo.path(), &["--base", "HEAD"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Access added in 0, removed in 0, unchanged in 2 of 2"),
        "{stdout}"
    );
    assert_eq!(snapshot(repo.path()), before);
}

#[test]
fn schema_changes_add_and_remove_environments() {
    if !have_cvc5("schema_changes_add_and_remove_environments") {
        return;
    }
    let repo = repo();
    // A new action the new policies allow, and ViewHostStatus gone from the schema.
    write(
        repo.path(),
        "ops.cedarschema",
        &SCHEMA.replace(
            "action ViewHostStatus, RebootHost",
            "action RebootHost, ListServices",
        ),
    );
    write(
        repo.path(),
        "policies/ops.cedar",
        &BASE.replace(
            "Ops::Action::\"ViewHostStatus\"",
            "Ops::Action::\"ListServices\"",
        ),
    );
    let (code, stdout, stderr) = diff(repo.path(), &["--base", "HEAD"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "+ Ops::Operator may now ListServices on Ops::Host (a new request environment)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "- Ops::Operator can no longer ViewHostStatus on Ops::Host: the schema removed"
        ),
        "{stdout}"
    );
    // The old permit names an action the new schema lacks: said, and left out.
    assert!(
        stderr.contains("the schema changed incompatibly") && stderr.contains("`everyone-views`"),
        "{stderr}"
    );
}

#[test]
fn a_base_revision_that_does_not_exist_is_a_clear_error() {
    let repo = repo();
    let (code, _, stderr) = diff(repo.path(), &["--base", "no-such-branch"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--base no-such-branch: no such revision"),
        "{stderr}"
    );
}

#[test]
fn a_side_that_does_not_parse_is_a_tool_error() {
    if !have_cvc5("a_side_that_does_not_parse_is_a_tool_error") {
        return;
    }
    let repo = repo();
    write(repo.path(), "policies/ops.cedar", "permit (principal,");
    let (code, _, stderr) = diff(repo.path(), &["--base", "HEAD"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the new side cannot be loaded")
            && stderr.contains("policies/ops.cedar:1:"),
        "{stderr}"
    );
}

#[test]
fn two_directories_compare_and_findings_reach_github_and_sarif() {
    if !have_cvc5("two_directories_compare_and_findings_reach_github_and_sarif") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for side in ["old", "new"] {
        write(dir.path(), &format!("{side}/ops.cedarschema"), SCHEMA);
    }
    write(dir.path(), "old/ops.cedar", BASE);
    write(
        dir.path(),
        "new/ops.cedar",
        &BASE.replace("when { context.mfa };", ";"),
    );
    let (code, stdout, stderr) = diff(
        dir.path(),
        &["--old", "old", "--new", "new", "--format", "github"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("file=new/ops.cedar,line=1,")
            && line.contains("title=cedarcheck new-access::"),
        "{line}"
    );
    let (_, stdout, _) = diff(
        dir.path(),
        &["--old", "old", "--new", "new", "--format", "sarif"],
    );
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "new-access");
}

#[test]
fn without_a_solver_diff_is_a_tool_error() {
    let repo = repo();
    let output = assert_cmd::Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(repo.path())
        .args(["diff", "--base", "HEAD"])
        .env("CVC5", "/nonexistent/cvc5")
        .env("PATH", "/usr/local/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs the cvc5 solver"));
}
