//! What the deep analysis did not check, in the machine-readable formats: the `deep` object of
//! `--format json` and SARIF's tool execution notifications, so that a CI consumer can tell
//! "nothing found" from "not checked". The runs with the solver need cvc5: without it they say
//! they were skipped, and under CI=true they fail.

mod support;

use support::sarif_schema_errors;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::{cedarcheck, have_cvc5};
use tempfile::TempDir;

const SCHEMA: &str = r#"namespace Ops {
  entity Operator;
  entity Host;
  action RebootHost appliesTo { principal: [Operator], resource: [Host] };
}
"#;

const VALID: &str = r#"@id("operators-reboot")
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource is Ops::Host);
"#;

/// One policy that validates and one that does not (`Ops::Host` has no attribute `nope`).
const ONE_INVALID: &str = r#"@id("operators-reboot")
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource is Ops::Host);

@id("broken")
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.nope == 1 };
"#;

const NO_SOLVER: &str = "cvc5 was not found (install it with `apt-get install cvc5` or \
    `brew install cvc5`, or set $CVC5 to a cvc5 binary)";

fn workspace(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The whole run's `deep` object for one set: the same facts at the top and in `sets[0]`.
fn deep_object(set: &Value) -> Value {
    let mut all = set.clone();
    all.as_object_mut().unwrap().remove("name");
    all["sets"] = json!([set]);
    all
}

fn not_run(reason: &str) -> Value {
    deep_object(&json!({
        "name": null,
        "ran": false,
        "reason": reason,
        "skipped_policies": [],
        "skipped_templates": [],
        "environments": 0,
        "solver_queries": 0,
        "unknown": 0,
    }))
}

fn parse(stdout: &str, stderr: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"))
}

/// `check --format json ARGS` without a solver.
fn json_without_solver(dir: &Path, args: &[&str]) -> Value {
    let (_, stdout, stderr) = cedarcheck(dir, &[&["check", "--format", "json"], args].concat());
    parse(&stdout, &stderr)
}

/// `check --format sarif ARGS` without a solver: its notifications, the document valid SARIF.
fn notifications_without_solver(dir: &Path, args: &[&str]) -> Value {
    let (_, stdout, stderr) = cedarcheck(dir, &[&["check", "--format", "sarif"], args].concat());
    notifications(&parse(&stdout, &stderr))
}

/// `cedarcheck ARGS` with the solver cvc5 is (`$CVC5` or the PATH).
fn with_solver(dir: &Path, args: &[&str]) -> Value {
    let output = assert_cmd::Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    parse(&stdout, &stderr)
}

fn notifications(sarif: &Value) -> Value {
    let errors = sarif_schema_errors(sarif);
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    let invocations = sarif["runs"][0]["invocations"].as_array().unwrap();
    assert_eq!(invocations.len(), 1, "{sarif:#}");
    assert_eq!(invocations[0]["executionSuccessful"], true);
    invocations[0]["toolExecutionNotifications"].clone()
}

#[test]
fn without_a_solver_json_says_the_deep_analysis_did_not_run_and_why() {
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", VALID)]);
    let json = json_without_solver(ws.path(), &[]);
    assert_eq!(json["deep"], not_run(NO_SOLVER), "{json:#}");
    assert_eq!(
        json["notes"],
        json!([format!("deep analysis skipped: {NO_SOLVER}")])
    );
    // The existing fields are unchanged: `summary` has no new member.
    assert_eq!(
        json["summary"],
        json!({ "errors": 0, "warnings": 0, "infos": 0, "files": 2, "policies": 1 })
    );
}

#[test]
fn without_a_solver_sarif_carries_a_warning() {
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", VALID)]);
    assert_eq!(
        notifications_without_solver(ws.path(), &[]),
        json!([{
            "level": "warning",
            "message": { "text": format!("deep analysis skipped: {NO_SOLVER}") },
        }])
    );
}

#[test]
fn no_deep_says_it_was_turned_off_in_json_and_as_a_sarif_note() {
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", VALID)]);
    let json = json_without_solver(ws.path(), &["--no-deep"]);
    assert_eq!(json["deep"], not_run("turned off by --no-deep"), "{json:#}");
    assert_eq!(json["notes"], json!([]));
    assert_eq!(
        notifications_without_solver(ws.path(), &["--no-deep"]),
        json!([{
            "level": "note",
            "message": { "text": "deep analysis skipped: turned off by --no-deep" },
        }])
    );
}

#[test]
fn deep_off_in_the_config_names_the_setting() {
    let ws = workspace(&[
        ("cedarcheck.toml", "[analysis]\ndeep = \"off\"\n"),
        ("s.cedarschema", SCHEMA),
        ("a.cedar", VALID),
    ]);
    let json = json_without_solver(ws.path(), &[]);
    assert_eq!(
        json["deep"],
        not_run("turned off by [analysis] deep = \"off\""),
        "{json:#}"
    );
}

#[test]
fn a_set_without_a_schema_and_one_whose_schema_does_not_load_are_not_checked() {
    let ws = workspace(&[("a.cedar", VALID)]);
    let json = json_without_solver(ws.path(), &[]);
    // Without a solver the solver is what is missing first.
    assert_eq!(json["deep"], not_run(NO_SOLVER), "{json:#}");
    if !have_cvc5("a_set_without_a_schema_and_one_whose_schema_does_not_load_are_not_checked") {
        return;
    }
    let json = with_solver(ws.path(), &["check", "--format", "json", "--no-cache"]);
    assert_eq!(json["deep"], not_run("it needs a schema"), "{json:#}");

    let broken = workspace(&[
        ("s.cedarschema", "namespace Ops { entity Host in [Nope]; }"),
        ("a.cedar", VALID),
    ]);
    let json = with_solver(broken.path(), &["check", "--format", "json", "--no-cache"]);
    assert_eq!(
        json["deep"],
        not_run("the schema does not load"),
        "{json:#}"
    );
    // No `note:` line repeats the schema's errors, but SARIF says what was not checked.
    assert_eq!(json["notes"], json!([]));
    let sarif = with_solver(broken.path(), &["check", "--format", "sarif", "--no-cache"]);
    assert_eq!(
        notifications(&sarif),
        json!([{
            "level": "warning",
            "message": { "text": "deep analysis skipped: the schema does not load" },
        }])
    );
}

#[test]
fn with_a_solver_a_policy_that_does_not_validate_is_named_as_skipped() {
    if !have_cvc5("with_a_solver_a_policy_that_does_not_validate_is_named_as_skipped") {
        return;
    }
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", ONE_INVALID)]);
    let json = with_solver(ws.path(), &["check", "--format", "json", "--no-cache"]);
    assert_eq!(
        json["deep"],
        deep_object(&json!({
            "name": null,
            "ran": true,
            "reason": null,
            "skipped_policies": ["broken"],
            "skipped_templates": [],
            "environments": 1,
            "solver_queries": 0,
            "unknown": 0,
        })),
        "{json:#}"
    );
    let note = "deep analysis skipped 1 policy that does not validate or can never apply: broken";
    assert_eq!(json["notes"], json!([note]));
    let sarif = with_solver(ws.path(), &["check", "--format", "sarif", "--no-cache"]);
    assert_eq!(
        notifications(&sarif),
        json!([{ "level": "warning", "message": { "text": note } }])
    );
}

#[test]
fn with_a_solver_and_everything_valid_nothing_was_left_out() {
    if !have_cvc5("with_a_solver_and_everything_valid_nothing_was_left_out") {
        return;
    }
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", VALID)]);
    let json = with_solver(ws.path(), &["check", "--format", "json", "--no-cache"]);
    let deep = &json["deep"];
    assert_eq!(deep["ran"], true, "{json:#}");
    assert_eq!(deep["reason"], Value::Null);
    assert_eq!(deep["skipped_policies"], json!([]));
    assert_eq!(deep["unknown"], 0);
    assert_eq!(json["notes"], json!([]));
    let sarif = with_solver(ws.path(), &["check", "--format", "sarif", "--no-cache"]);
    assert_eq!(notifications(&sarif), json!([]));
}

#[test]
fn several_sets_are_summed_and_each_is_listed_by_name() {
    let ws = workspace(&[
        (
            "cedarcheck.toml",
            "[[set]]\nname = \"billing\"\npolicies = [\"billing/*.cedar\"]\n\n\
             [[set]]\nname = \"infra\"\npolicies = [\"infra/*.cedar\"]\n",
        ),
        ("billing/s.cedarschema", SCHEMA),
        ("billing/a.cedar", VALID),
        ("infra/s.cedarschema", SCHEMA),
        ("infra/a.cedar", VALID),
    ]);
    let json = json_without_solver(ws.path(), &["--no-deep"]);
    let set = |name: &str| {
        json!({
            "name": name,
            "ran": false,
            "reason": "turned off by --no-deep",
            "skipped_policies": [],
            "skipped_templates": [],
            "environments": 0,
            "solver_queries": 0,
            "unknown": 0,
        })
    };
    assert_eq!(
        json["deep"],
        json!({
            "ran": false,
            "reason": "turned off by --no-deep",
            "skipped_policies": [],
            "skipped_templates": [],
            "environments": 0,
            "solver_queries": 0,
            "unknown": 0,
            "sets": [set("billing"), set("infra")],
        }),
        "{json:#}"
    );
    assert_eq!(
        notifications_without_solver(ws.path(), &["--no-deep"]),
        json!([
            {
                "level": "note",
                "message": { "text": "billing: deep analysis skipped: turned off by --no-deep" },
            },
            {
                "level": "note",
                "message": { "text": "infra: deep analysis skipped: turned off by --no-deep" },
            },
        ])
    );
}
