//! The solver-backed rules through the binary: findings in the output, counterexamples in JSON,
//! invariants, the query cache, rule levels and suppressions. Needs cvc5: without it these tests
//! say they were skipped, and under CI=true they fail.

mod support;

use std::path::Path;
use std::time::Duration;
use support::have_cvc5;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const SCHEMA: &str = r#"namespace Ops {
  type Ctx = { mfa: Bool, failed_logins: Long };
  entity Operator;
  entity Host { environment: String };
  action RebootHost appliesTo { principal: [Operator], resource: [Host], context: Ctx };
}
"#;

const POLICIES: &str = r#"@id("operators-reboot")
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.mfa };

@id("lockout")
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.failed_logins * 1000 > 5000 };
"#;

const INVARIANTS: &str = r#"@id("prod-reboots-need-mfa")
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.environment == "prod" }
unless { context.mfa && context.failed_logins < 3 };
"#;

fn workspace(config: &str, policies: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "policies = [\"policies.cedar\"]\nschema = \"ops.cedarschema\"\ninvariants = [\"invariants/*.cedar\"]\n{config}"
    );
    std::fs::write(dir.path().join("cedarcheck.toml"), config).unwrap();
    std::fs::write(dir.path().join("ops.cedarschema"), SCHEMA).unwrap();
    std::fs::write(dir.path().join("policies.cedar"), policies).unwrap();
    std::fs::create_dir(dir.path().join("invariants")).unwrap();
    std::fs::write(dir.path().join("invariants/i.cedar"), INVARIANTS).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json_findings(dir: &Path, args: &[&str]) -> Vec<Value> {
    let (_, stdout, stderr) = run(dir, &[&["check", "--format", "json"], args].concat());
    let output: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    output["findings"].as_array().unwrap().clone()
}

#[test]
fn deep_findings_are_reported_with_locations_and_fail_the_run() {
    if !have_cvc5("deep_findings_are_reported_with_locations_and_fail_the_run") {
        return;
    }
    let ws = workspace("", POLICIES);
    let (code, stdout, stderr) = run(ws.path(), &["check", "--format", "compact", "--deep"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("policies.cedar:7:8: error[forbid-may-error] forbid `lockout` can raise an evaluation error"),
        "{stdout}"
    );
    // On the expression that overflows, with the error in words.
    assert!(
        stdout.contains(": `context.failed_logins * 1000` can overflow (integer overflow"),
        "{stdout}"
    );
    assert!(
        stdout.contains("invariants/i.cedar:2:1: error[invariant-violated] invariant `prod-reboots-need-mfa` does not hold"),
        "{stdout}"
    );
    // The lockout forbid can be skipped by an overflow, so a reboot with MFA after many failed
    // logins is allowed: the violation names the permit that allows it.
    assert!(stdout.contains("allowed by `operators-reboot`"), "{stdout}");

    let (code, stdout, _) = run(ws.path(), &["check", "--format", "compact", "--no-deep"]);
    assert_eq!(
        (code, stdout.contains("forbid-may-error")),
        (0, false),
        "{stdout}"
    );
}

#[test]
fn json_findings_carry_a_run_tests_counterexample() {
    if !have_cvc5("json_findings_carry_a_run_tests_counterexample") {
        return;
    }
    let ws = workspace("", POLICIES);
    let findings = json_findings(ws.path(), &[]);
    let may_error = findings
        .iter()
        .find(|f| f["rule"] == "forbid-may-error")
        .expect("forbid-may-error");
    let case = &may_error["counterexample"];
    assert_eq!(case["request"]["action"], "Ops::Action::\"RebootHost\"");
    assert!(
        case["request"]["context"]["failed_logins"]
            .as_i64()
            .unwrap()
            .abs()
            > 5_000_000_000_000_000
    );
    assert!(case["num_errors"].as_u64().unwrap() >= 1, "{case}");
    assert!(
        case["entities"].is_array() && case["name"].is_string(),
        "{case}"
    );
}

#[test]
fn answers_are_cached_and_no_cache_asks_again() {
    if !have_cvc5("answers_are_cached_and_no_cache_asks_again") {
        return;
    }
    let ws = workspace("", POLICIES);
    let asked = |args: &[&str]| -> usize {
        let (_, _, stderr) = run(ws.path(), &[&["check", "-v"], args].concat());
        let line = stderr
            .lines()
            .find(|l| l.contains("solver queries"))
            .unwrap_or_else(|| panic!("{stderr}"));
        line.split("environments: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(asked(&[]) > 0);
    assert!(ws.path().join(".cedarcheck_cache/.gitignore").is_file());
    assert_eq!(
        asked(&[]),
        0,
        "the second run answers everything from the cache"
    );
    assert!(asked(&["--no-cache"]) > 0);
}

#[test]
fn rule_levels_apply_to_deep_rules() {
    if !have_cvc5("rule_levels_apply_to_deep_rules") {
        return;
    }
    let ws = workspace(
        "[rules]\nforbid-may-error = \"off\"\ninvariant-violated = \"info\"\n",
        POLICIES,
    );
    let findings = json_findings(ws.path(), &[]);
    assert!(
        findings.iter().all(|f| f["rule"] != "forbid-may-error"),
        "{findings:?}"
    );
    let invariant = findings
        .iter()
        .find(|f| f["rule"] == "invariant-violated")
        .unwrap();
    assert_eq!(invariant["level"], "info");
    assert!(
        invariant["message"]
            .as_str()
            .unwrap()
            .starts_with("invariant `prod-reboots-need-mfa` does not hold"),
        "decided, not unknown: {invariant}"
    );
}

#[test]
fn an_ignore_annotation_silences_a_deep_rule_for_its_policy() {
    if !have_cvc5("an_ignore_annotation_silences_a_deep_rule_for_its_policy") {
        return;
    }
    let ignored = POLICIES.replace(
        "@id(\"lockout\")",
        "@id(\"lockout\")\n@cedarcheck_ignore(\"forbid-may-error\")",
    );
    let ws = workspace("", &ignored);
    let findings = json_findings(ws.path(), &[]);
    assert!(
        findings.iter().all(|f| f["rule"] != "forbid-may-error"),
        "{findings:?}"
    );
}

#[test]
fn a_hanging_solver_is_unknown_never_clean() {
    use std::os::unix::fs::PermissionsExt;
    let ws = workspace("[analysis]\ntimeout-ms = 100\n", POLICIES);
    let solver = ws.path().join("hang.sh");
    std::fs::write(&solver, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&solver, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(ws.path())
        .args([
            "check",
            "--format",
            "compact",
            "--deep",
            "--fail-level",
            "info",
        ])
        .env("CVC5", &solver)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("unknown: could not decide"), "{stdout}");
    assert!(!stdout.contains("All checks passed"), "{stdout}");
}

#[test]
fn cedarcheck_test_reports_each_invariant_as_a_test() {
    if !have_cvc5("cedarcheck_test_reports_each_invariant_as_a_test") {
        return;
    }
    let ws = workspace("", POLICIES);
    let (code, stdout, stderr) = run(ws.path(), &["test", "--allow-empty", "--color", "never"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("FAIL invariants/i.cedar:1: invariant prod-reboots-need-mfa"),
        "{stdout}"
    );
    assert!(stdout.contains("allowed by `operators-reboot`"), "{stdout}");
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");

    // A set that keeps its invariant passes.
    let fixed = POLICIES.replace(
        "when { context.mfa };",
        "when { context.mfa && context.failed_logins < 3 };",
    );
    let ws = workspace("", &fixed);
    let (code, stdout, stderr) = run(
        ws.path(),
        &["test", "--allow-empty", "-v", "--color", "never"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ok   invariants/i.cedar:1: invariant prod-reboots-need-mfa"),
        "{stdout}"
    );

    // --no-deep runs no proof, so there is nothing to report.
    let (code, stdout, _) = run(ws.path(), &["test", "--no-deep"]);
    assert_eq!(code, 1, "an empty run fails: {stdout}");
}
