//! `cedarcheck mutants` (README "Mutation testing"): every mutant of the policies the tests run
//! against, killed when a passing test fails on it. The fixture tests/fixtures/mutants is one
//! permit for the SRE team with `context.mfa && resource.environment == "staging"`, and two
//! tests that vary only `context.mfa`: they notice everything done to the MFA check and miss
//! the environment check and the widened scopes. The schema has one action, so widening
//! `action == Ops::Action::"RebootHost"` changes nothing: with cvc5 those two mutants are
//! equivalent, and the solver writes the test that kills each of the other two survivors.

mod support;

use support::sarif_schema_errors;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use support::have_cvc5;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mutants")
}

/// What `mutants` says once on stderr without cvc5.
const NO_CVC5: &str = "note: equivalence and generated tests need cvc5: install it with `apt-get install cvc5` or `brew install cvc5`, or set $CVC5 to a cvc5 binary";

/// Runs `cedarcheck ARGS` in `dir` with the solver the environment has (for the tests that
/// [`have_cvc5`] lets run).
fn with_solver(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8(output.stdout).unwrap(),
        stderr,
    )
}

/// A copy of the fixture to write into.
fn copy_of_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "cedarcheck.toml",
        "policies/ops.cedar",
        "policies/ops.cedarschema",
        "tests/ops.entities.json",
        "tests/reboot.json",
    ] {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(fixture().join(file), target).unwrap();
    }
    dir
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
10 mutants: 6 killed, 4 survived, 0 equivalent, 0 invalid; score 60.0% (13)"#
    );
    assert_eq!(stderr.trim(), NO_CVC5);
}

#[test]
fn verbose_names_the_test_that_killed_each_mutant() {
    let (_, stdout, _) = support::cedarcheck(&fixture(), &["mutants", "--verbose"]);
    for line in [
        r#"policies/ops.cedar:2:9: killed: principal in Ops::Team::"sre" → principal == Ops::Team::"sre" in permit sre-reboot (by tests/reboot.json: alice reboots a staging host with mfa)"#,
        r#"policies/ops.cedar:3:1: killed: when { context.mfa && resource.environment == "staging" } → (removed) in permit sre-reboot (by tests/reboot.json: alice does not reboot without mfa)"#,
        "policies/ops.cedar:3:8: killed: context.mfa → true in permit sre-reboot (by tests/reboot.json: alice does not reboot without mfa)",
        "policies/ops.cedar:3:8: killed: context.mfa → false in permit sre-reboot (by tests/reboot.json: alice reboots a staging host with mfa)",
        r#"policies/ops.cedar:3:44: killed: resource.environment == "staging" → resource.environment != "staging" in permit sre-reboot (by tests/reboot.json: alice reboots a staging host with mfa)"#,
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
    assert_eq!(summary["equivalent"], 0);
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
    assert_eq!(survivor["test"], Value::Null);
    assert_eq!(survivor["note"], NO_CVC5.strip_prefix("note: ").unwrap());
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
        format!("{NO_CVC5}\ncedarcheck: mutation score 60.0% is below --min-score 61%")
    );
    let (code, _, _) = support::cedarcheck(&fixture(), &["mutants", "--min-score", "60"]);
    assert_eq!(code, 0);
    // A filter that matches nothing is an error, not a score of 100% over nothing.
    let (code, stdout, stderr) = support::cedarcheck(
        &fixture(),
        &["mutants", "--filter", "^nothing$", "--min-score", "100"],
    );
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr.lines().last().unwrap_or(""),
        "cedarcheck: error: nothing to mutate: no policy written in Cedar that the tests run \
         against matches --filter"
    );
}

#[test]
fn a_set_of_json_policies_has_nothing_to_mutate_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.cedar.json"),
        r#"{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tests.json"),
        r#"{"tests": [{"name": "anything goes", "request": {"principal": "U::\"a\"", "action": "Action::\"r\"", "resource": "D::\"d\"", "context": {}}, "decision": "allow"}]}"#,
    )
    .unwrap();
    let (code, _, stderr) = support::cedarcheck(dir.path(), &["test"]);
    assert_eq!(code, 0, "the tests pass: {stderr}");
    let (code, stdout, stderr) =
        support::cedarcheck(dir.path(), &["mutants", "--min-score", "100"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr.lines().last().unwrap_or(""),
        "cedarcheck: error: nothing to mutate: the tests run against no policy written in Cedar \
         (policies from JSON files are not mutated)"
    );
}

/// tests/fixtures/mutants-integration: an integration test file (Cedar's harness shape) names
/// its own policies, schema and entities; its two requests vary only `context.authenticated`.
fn integration_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mutants-integration")
}

#[test]
fn the_policies_an_integration_file_names_are_mutated_and_its_requests_rerun() {
    let (code, stdout, stderr) = support::cedarcheck(
        &integration_fixture(),
        &["mutants", "tests/views.json", "-v"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        without_time(&stdout),
        r#"tests/photos.cedar:2:9: survived: principal == User::"alice" → principal in permit alice-views (no test notices)
tests/photos.cedar:2:9: survived: principal == User::"alice" → principal in User::"alice" in permit alice-views (no test notices)
tests/photos.cedar:2:37: survived: action == Action::"view" → action in permit alice-views (no test notices)
tests/photos.cedar:2:37: survived: action == Action::"view" → action in Action::"view" in permit alice-views (no test notices)
tests/photos.cedar:3:1: killed: when { context.authenticated } → (removed) in permit alice-views (by tests/views.json: alice does not view a photo signed out)
tests/photos.cedar:3:8: killed: context.authenticated → false in permit alice-views (by tests/views.json: alice views a photo signed in)
tests/photos.cedar:3:8: killed: context.authenticated → true in permit alice-views (by tests/views.json: alice does not view a photo signed out)
7 mutants: 3 killed, 4 survived, 0 equivalent, 0 invalid; score 42.9% (9)"#
    );
    assert_eq!(stderr, format!("{NO_CVC5}\n"));
}

#[test]
fn the_solver_judges_an_integration_files_survivors_but_writes_no_native_test_for_them() {
    if !have_cvc5(
        "the_solver_judges_an_integration_files_survivors_but_writes_no_native_test_for_them",
    ) {
        return;
    }
    let (code, stdout, stderr) =
        with_solver(&integration_fixture(), &["mutants", "tests/views.json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        without_time(&stdout),
        r#"tests/photos.cedar:2:9: survived: principal == User::"alice" → principal in permit alice-views (no test notices)
  no test generated: the solver found a request that kills it, but tests are written only for the workspace's policy sets, not for an integration test file's
tests/photos.cedar:2:9: equivalent: principal == User::"alice" → principal in User::"alice" in permit alice-views (the solver proves it decides every request as the set does)
tests/photos.cedar:2:37: equivalent: action == Action::"view" → action in permit alice-views (the solver proves it decides every request as the set does)
tests/photos.cedar:2:37: equivalent: action == Action::"view" → action in Action::"view" in permit alice-views (the solver proves it decides every request as the set does)
7 mutants: 3 killed, 1 survived, 3 equivalent, 0 invalid; score 75.0% (9)"#
    );
}

/// tests/fixtures/mutants-templates: two templates with a link each; the tests name the links.
fn templates_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mutants-templates")
}

#[test]
fn a_templates_mutants_are_killed_by_the_tests_its_links_determine() {
    let (code, stdout, stderr) = support::cedarcheck(
        &templates_fixture(),
        &["mutants", "-v", "--filter", "^team-viewer$"],
    );
    assert_eq!(code, 0, "{stderr}");
    let slots: Vec<&str> = stdout.lines().filter(|l| l.contains("?")).collect();
    // Widening a slot takes its entity out of the links too, as a person widening the
    // template would; the link `fam-album` still loads, and "bob not beach" notices.
    assert_eq!(
        slots,
        [
            r#"policies/share.cedar:6:9: killed: principal in ?principal → principal in template team-viewer (by tests/share.json: bob not beach)"#,
            r#"policies/share.cedar:6:9: killed: principal in ?principal → principal == ?principal in template team-viewer (by tests/share.json: ann views beach)"#,
            r#"policies/share.cedar:6:60: survived: resource in ?resource → resource in template team-viewer (no test notices)"#,
            r#"policies/share.cedar:6:60: killed: resource in ?resource → resource == ?resource in template team-viewer (by tests/share.json: ann views beach)"#,
        ]
    );
    assert_eq!(
        without_time(stdout.lines().last().unwrap()),
        "11 mutants: 4 killed, 6 survived, 0 equivalent, 1 invalid; score 40.0% (11)"
    );
}

#[test]
fn the_tests_written_for_a_templates_survivors_kill_them() {
    if !have_cvc5("the_tests_written_for_a_templates_survivors_kill_them") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "cedarcheck.toml",
        "policies/share.cedar",
        "policies/share.cedarschema",
        "policies/share.links.json",
        "tests/share.json",
    ] {
        let target = dir.path().join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(templates_fixture().join(file), target).unwrap();
    }
    let (code, _, stderr) =
        with_solver(dir.path(), &["mutants", "--write-tests", "tests/gen.json"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = with_solver(dir.path(), &["mutants", "--min-score", "100"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        without_time(stdout.lines().last().unwrap())
            .ends_with(" 0 survived, 5 equivalent, 3 invalid; score 100.0% (111)"),
        "{stdout}"
    );
}

/// Two permits allow every public photo to be viewed: weakening the narrower one changes no
/// decision, but it changes the reasons a test can assert.
#[test]
fn a_mutant_that_keeps_every_decision_but_drops_its_policy_from_the_reasons_is_not_equivalent() {
    if !have_cvc5("a_mutant_that_keeps_every_decision_but_drops_its_policy_from_the_reasons_is_not_equivalent") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "p.cedar",
        "@id(\"auth-view\")\npermit (principal, action == Action::\"view\", resource) when { context.authenticated && !resource.private };\n@id(\"public-any\")\npermit (principal, action, resource) when { !resource.private };\n",
    );
    write(
        "photo.cedarschema",
        "entity User;\nentity Photo { private: Bool };\naction view, delete appliesTo { principal: User, resource: Photo, context: { authenticated: Bool } };\n",
    );
    write(
        "tests/t.json",
        r#"{"entities": [{"uid": {"type": "User", "id": "u"}, "attrs": {}, "parents": []}, {"uid": {"type": "Photo", "id": "p"}, "attrs": {"private": false}, "parents": []}, {"uid": {"type": "Photo", "id": "q"}, "attrs": {"private": true}, "parents": []}],
 "tests": [
  {"name": "anyone views a public photo", "request": {"principal": "User::\"u\"", "action": "Action::\"view\"", "resource": "Photo::\"p\"", "context": {"authenticated": false}}, "decision": "allow", "reason": ["public-any"]},
  {"name": "nobody views a private photo", "request": {"principal": "User::\"u\"", "action": "Action::\"view\"", "resource": "Photo::\"q\"", "context": {"authenticated": true}}, "decision": "deny"}
 ]}"#,
    );
    let (code, stdout, stderr) = with_solver(dir.path(), &["mutants", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let status = |mutation: &str| -> (String, Value) {
        let m = json["mutants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["policy"] == "auth-view" && m["mutation"] == mutation)
            .unwrap_or_else(|| panic!("no mutant {mutation}: {stdout}"));
        (m["status"].as_str().unwrap().to_string(), m["test"].clone())
    };
    // Decisions unchanged, but an authenticated view of a public photo no longer names
    // `auth-view`: the written test asserts that it does.
    let (word, test) = status("context.authenticated → false");
    assert_eq!(word, "survived");
    assert_eq!(test["decision"], "allow");
    assert_eq!(test["reason"], json!(["auth-view", "public-any"]));
    assert_eq!(test["request"]["context"], json!({"authenticated": true}));
    // Only adds `auth-view` to the reasons (of unauthenticated public views): a test that
    // lists a subset of the reasons cannot notice.
    let (word, _) = status("context.authenticated → true");
    assert_eq!(word, "equivalent");
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
        format!("{NO_CVC5}\ncedarcheck: error: the tests fail before any mutation (1 failing, 0 file error(s)): make `cedarcheck test` pass first; tests/reboot.json: alice does not reboot without mfa fails")
    );
}

#[test]
fn a_set_that_does_not_parse_is_named_as_the_reason_the_tests_fail() {
    let dir = copy_of_fixture();
    let policies = dir.path().join("policies/ops.cedar");
    let mut text = std::fs::read_to_string(&policies).unwrap();
    text.push_str("permit (principal, action, resource) when { oops };\n");
    std::fs::write(&policies, text).unwrap();
    let (code, stdout, stderr) = support::cedarcheck(dir.path(), &["mutants"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr.lines().last().unwrap(),
        "cedarcheck: error: the tests fail before any mutation (2 failing, 0 file error(s)): make `cedarcheck test` pass first; policies/ops.cedar:4:45: invalid variable: oops; tests/reboot.json: alice reboots a staging host with mfa fails; tests/reboot.json: alice does not reboot without mfa fails"
    );
}

#[test]
fn write_tests_refuses_a_yaml_file_before_creating_it() {
    if !have_cvc5("write_tests_refuses_a_yaml_file_before_creating_it") {
        return;
    }
    let dir = copy_of_fixture();
    let (code, stdout, stderr) =
        with_solver(dir.path(), &["mutants", "--write-tests", "tests/gen.yaml"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "cedarcheck: error: tests/gen.yaml:1:1: --write-tests writes JSON: name a native test file ending in .json\n"
    );
    assert!(!dir.path().join("tests/gen.yaml").exists());
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

#[test]
fn without_cvc5_write_tests_is_an_error_and_writes_nothing() {
    let dir = copy_of_fixture();
    let (code, stdout, stderr) = support::cedarcheck(
        dir.path(),
        &["mutants", "--write-tests", "tests/generated.json"],
    );
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr.trim(),
        "cedarcheck: error: --write-tests: equivalence and generated tests need cvc5: install it with `apt-get install cvc5` or `brew install cvc5`, or set $CVC5 to a cvc5 binary"
    );
    assert!(!dir.path().join("tests/generated.json").exists());
}

/// The test the solver writes for `context.mfa && resource.environment == "staging"` →
/// `context.mfa`: a host outside staging, which the set denies and the mutant allows.
const KILLS_DROPPED_ENVIRONMENT: &str = r#"{
  "name": "sre-reboot: human RebootHost on host is denied",
  "request": {"principal": "Ops::Human::\"human\"", "action": "Ops::Action::\"RebootHost\"", "resource": "Ops::Host::\"host\"", "context": {"mfa": true}},
  "entities": [
    {"uid": {"type": "Ops::Host", "id": "host"}, "attrs": {"environment": ""}, "parents": []},
    {"uid": {"type": "Ops::Human", "id": "human"}, "attrs": {}, "parents": [{"type": "Ops::Team", "id": "sre"}]},
    {"uid": {"type": "Ops::Team", "id": "sre"}, "attrs": {}, "parents": []}
  ],
  "decision": "deny"
}"#;

/// The test for `principal in Ops::Team::"sre"` → `principal`: someone outside the team.
const KILLS_WIDENED_PRINCIPAL: &str = r#"{
  "name": "sre-reboot: human RebootHost on host is denied",
  "request": {"principal": "Ops::Human::\"human\"", "action": "Ops::Action::\"RebootHost\"", "resource": "Ops::Host::\"host\"", "context": {"mfa": true}},
  "entities": [
    {"uid": {"type": "Ops::Host", "id": "host"}, "attrs": {"environment": "staging"}, "parents": []},
    {"uid": {"type": "Ops::Human", "id": "human"}, "attrs": {}, "parents": []},
    {"uid": {"type": "Ops::Team", "id": "sre"}, "attrs": {}, "parents": []}
  ],
  "decision": "deny"
}"#;

fn indented(text: &str, by: &str) -> String {
    text.lines()
        .map(|line| format!("{by}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_solver_lists_equivalent_mutants_apart_and_gives_each_survivor_its_killing_test() {
    if !have_cvc5(
        "the_solver_lists_equivalent_mutants_apart_and_gives_each_survivor_its_killing_test",
    ) {
        return;
    }
    let (code, stdout, stderr) = with_solver(&fixture(), &["mutants"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
    assert_eq!(
        without_time(&stdout),
        format!(
            r#"policies/ops.cedar:2:9: survived: principal in Ops::Team::"sre" → principal in permit sre-reboot (no test notices)
  kill it with:
{}
policies/ops.cedar:3:8: survived: context.mfa && resource.environment == "staging" → context.mfa in permit sre-reboot (no test notices)
  kill it with:
{}
policies/ops.cedar:2:40: equivalent: action == Ops::Action::"RebootHost" → action in permit sre-reboot (the solver proves it decides every request as the set does)
policies/ops.cedar:2:40: equivalent: action == Ops::Action::"RebootHost" → action in Ops::Action::"RebootHost" in permit sre-reboot (the solver proves it decides every request as the set does)
10 mutants: 6 killed, 2 survived, 2 equivalent, 0 invalid; score 75.0% (13)"#,
            indented(KILLS_WIDENED_PRINCIPAL, "    "),
            indented(KILLS_DROPPED_ENVIRONMENT, "    "),
        )
    );
    // Compact: the survivors only, as before.
    let (_, stdout, _) = with_solver(&fixture(), &["mutants", "--format", "compact"]);
    assert_eq!(
        stdout,
        r#"policies/ops.cedar:2:9: survived: principal in Ops::Team::"sre" → principal in permit sre-reboot
policies/ops.cedar:3:8: survived: context.mfa && resource.environment == "staging" → context.mfa in permit sre-reboot
"#
    );
    // JSON: the equivalent ones by status, each survivor with its test.
    let (_, stdout, _) = with_solver(&fixture(), &["mutants", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let summary = &report["summary"];
    assert_eq!(
        (
            &summary["killed"],
            &summary["survived"],
            &summary["equivalent"],
            &summary["score"]
        ),
        (&6.into(), &2.into(), &2.into(), &75.0.into())
    );
    let mutants = report["mutants"].as_array().unwrap();
    let equivalent: Vec<&Value> = mutants
        .iter()
        .filter(|m| m["status"] == "equivalent")
        .map(|m| &m["replacement"])
        .collect();
    assert_eq!(
        equivalent,
        [
            &Value::from("action"),
            &Value::from(r#"action in Ops::Action::"RebootHost""#)
        ]
    );
    let survivor = mutants
        .iter()
        .find(|m| m["status"] == "survived" && m["operator"] == "drop-and-operand")
        .unwrap();
    assert_eq!(
        survivor["test"],
        serde_json::from_str::<Value>(KILLS_DROPPED_ENVIRONMENT).unwrap()
    );
    assert_eq!(survivor["note"], Value::Null);
}

#[test]
fn write_tests_appends_the_killing_tests_and_the_next_run_reports_those_mutants_killed() {
    if !have_cvc5(
        "write_tests_appends_the_killing_tests_and_the_next_run_reports_those_mutants_killed",
    ) {
        return;
    }
    let dir = copy_of_fixture();
    // A new file, created by the run.
    let (code, _, stderr) = with_solver(
        dir.path(),
        &[
            "mutants",
            "--format",
            "compact",
            "--write-tests",
            "tests/generated.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "cedarcheck: wrote 2 tests to tests/generated.json; `cedarcheck mutants` now reports their mutants killed"
    );
    let written = std::fs::read_to_string(dir.path().join("tests/generated.json")).unwrap();
    assert_eq!(
        written,
        format!(
            "{{\n  \"tests\": [\n{},\n{}\n  ]\n}}\n",
            indented(KILLS_WIDENED_PRINCIPAL, "    "),
            indented(
                &KILLS_DROPPED_ENVIRONMENT.replace("is denied\"", "is denied (2)\""),
                "    "
            ),
        )
    );
    // The tests pass on the set itself…
    let (code, stdout, stderr) = with_solver(dir.path(), &["test"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
    // …and kill the two survivors; the equivalent mutants stay apart.
    let (code, stdout, stderr) = with_solver(dir.path(), &["mutants", "--verbose"]);
    assert_eq!(code, 0, "{stderr}");
    for line in [
        r#"policies/ops.cedar:2:9: killed: principal in Ops::Team::"sre" → principal in permit sre-reboot (by tests/generated.json: sre-reboot: human RebootHost on host is denied)"#,
        r#"policies/ops.cedar:3:8: killed: context.mfa && resource.environment == "staging" → context.mfa in permit sre-reboot (by tests/generated.json: sre-reboot: human RebootHost on host is denied (2))"#,
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line}\nin\n{stdout}");
    }
    assert!(
        without_time(&stdout).ends_with(
            "10 mutants: 8 killed, 0 survived, 2 equivalent, 0 invalid; score 100.0% (17)"
        ),
        "{stdout}"
    );
}

#[test]
fn write_tests_appends_to_an_existing_test_file_without_touching_what_is_there() {
    if !have_cvc5("write_tests_appends_to_an_existing_test_file_without_touching_what_is_there") {
        return;
    }
    let dir = copy_of_fixture();
    let file = dir.path().join("tests/reboot.json");
    let before = std::fs::read_to_string(&file).unwrap();
    let (code, _, stderr) = with_solver(
        dir.path(),
        &[
            "mutants",
            "--format",
            "compact",
            "--write-tests",
            "tests/reboot.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let after = std::fs::read_to_string(&file).unwrap();
    // Everything up to the end of the last test is kept, and so is what follows the array.
    let last_test_end = before.rfind("}\n  ]").unwrap() + 1;
    assert_eq!(after[..last_test_end], before[..last_test_end]);
    assert!(after.ends_with("\n  ]\n}\n"), "{after}");
    assert!(
        after[last_test_end..].starts_with(
            ",\n    {\n      \"name\": \"sre-reboot: human RebootHost on host is denied\","
        ),
        "{after}"
    );
    let (code, stdout, _) = with_solver(dir.path(), &["mutants", "--format", "compact"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn write_tests_refuses_a_file_that_is_not_a_native_test_file_or_that_the_run_would_not_read() {
    if !have_cvc5(
        "write_tests_refuses_a_file_that_is_not_a_native_test_file_or_that_the_run_would_not_read",
    ) {
        return;
    }
    let dir = copy_of_fixture();
    let (code, stdout, stderr) = with_solver(
        dir.path(),
        &["mutants", "--write-tests", "tests/ops.entities.json"],
    );
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr.trim(),
        "cedarcheck: error: tests/ops.entities.json:1:1: not a native test file (it is an array of something other than tests (entities?)): --write-tests appends to a file of the form {\"tests\": [...]}"
    );
    // Outside the config's `tests` globs: the next run would not read it.
    let (code, _, stderr) = with_solver(
        dir.path(),
        &[
            "mutants",
            "--format",
            "compact",
            "--write-tests",
            "elsewhere/generated.json",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim(),
        "cedarcheck: error: --write-tests elsewhere/generated.json: not a test file of this run: name a file the set's `tests` (or the paths given) select, so that the next run reads the tests written there"
    );
    assert!(!dir.path().join("elsewhere/generated.json").exists());
}

/// The fixture in `app/` below a repository root (a `.git` directory): reports for other
/// tools give paths from the root.
fn fixture_in_a_repository() -> (tempfile::TempDir, PathBuf) {
    let dir = copy_of_fixture();
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    for entry in ["cedarcheck.toml", "policies", "tests"] {
        std::fs::rename(dir.path().join(entry), app.join(entry)).unwrap();
    }
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    (dir, app)
}

#[test]
fn junit_has_a_test_case_per_mutant_failed_when_it_survives() {
    let (code, stdout, stderr) = support::cedarcheck(&fixture(), &["mutants", "--format", "junit"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.trim(), NO_CVC5);
    let suite = "mutants of cedarcheck.toml";
    let case = |name: &str, line: usize| {
        format!(
            r#"    <testcase name="policies/ops.cedar:{name} in permit sre-reboot" classname="{suite}" file="policies/ops.cedar" line="{line}">"#
        )
    };
    let survived = |name: &str, line: usize, diff: &str| {
        format!(
            "{}\n      <failure message=\"survived: {diff} in permit sre-reboot (no test notices)\" type=\"surviving-mutant\"/>\n    </testcase>",
            case(name, line)
        )
    };
    let killed = |name: &str, line: usize, by: &str| {
        format!(
            "{}\n      <system-out>killed by tests/reboot.json: {by}</system-out>\n    </testcase>",
            case(name, line)
        )
    };
    let with = "alice reboots a staging host with mfa";
    let without = "alice does not reboot without mfa";
    let cases = [
        survived(
            "2:9: principal in Ops::Team::&quot;sre&quot; → principal",
            2,
            "principal in Ops::Team::&quot;sre&quot; → principal",
        ),
        killed(
            "2:9: principal in Ops::Team::&quot;sre&quot; → principal == Ops::Team::&quot;sre&quot;",
            2,
            with,
        ),
        survived(
            "2:40: action == Ops::Action::&quot;RebootHost&quot; → action",
            2,
            "action == Ops::Action::&quot;RebootHost&quot; → action",
        ),
        survived(
            "2:40: action == Ops::Action::&quot;RebootHost&quot; → action in Ops::Action::&quot;RebootHost&quot;",
            2,
            "action == Ops::Action::&quot;RebootHost&quot; → action in Ops::Action::&quot;RebootHost&quot;",
        ),
        killed(
            "3:1: when { context.mfa &amp;&amp; resource.environment == &quot;staging&quot; } → (removed)",
            3,
            without,
        ),
        killed("3:8: context.mfa → false", 3, with),
        killed("3:8: context.mfa → true", 3, without),
        killed(
            "3:8: context.mfa &amp;&amp; resource.environment == &quot;staging&quot; → (resource.environment == &quot;staging&quot;)",
            3,
            without,
        ),
        survived(
            "3:8: context.mfa &amp;&amp; resource.environment == &quot;staging&quot; → context.mfa",
            3,
            "context.mfa &amp;&amp; resource.environment == &quot;staging&quot; → context.mfa",
        ),
        killed(
            "3:44: resource.environment == &quot;staging&quot; → resource.environment != &quot;staging&quot;",
            3,
            with,
        ),
    ];
    assert_eq!(
        stdout,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"cedarcheck mutants\" tests=\"10\" failures=\"4\" errors=\"0\" skipped=\"0\">\n  \
             <testsuite name=\"{suite}\" tests=\"10\" failures=\"4\" errors=\"0\" skipped=\"0\">\n{}\n  \
             </testsuite>\n</testsuites>\n",
            cases.join("\n")
        )
    );
}

#[test]
fn github_annotates_each_survivor_with_a_warning_at_the_mutated_text() {
    let (_dir, app) = fixture_in_a_repository();
    let (code, stdout, stderr) = support::cedarcheck(&app, &["mutants", "--format", "github"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.trim(), NO_CVC5);
    assert_eq!(
        stdout,
        r#"::warning file=app/policies/ops.cedar,line=2,col=9,title=cedarcheck surviving-mutant::principal in Ops::Team::"sre" → principal in permit sre-reboot (no test notices)
::warning file=app/policies/ops.cedar,line=2,col=40,title=cedarcheck surviving-mutant::action == Ops::Action::"RebootHost" → action in permit sre-reboot (no test notices)
::warning file=app/policies/ops.cedar,line=2,col=40,title=cedarcheck surviving-mutant::action == Ops::Action::"RebootHost" → action in Ops::Action::"RebootHost" in permit sre-reboot (no test notices)
::warning file=app/policies/ops.cedar,line=3,col=8,title=cedarcheck surviving-mutant::context.mfa && resource.environment == "staging" → context.mfa in permit sre-reboot (no test notices)
"#
    );
}

#[test]
fn sarif_is_valid_and_has_a_surviving_mutant_result_per_survivor() {
    let (_dir, app) = fixture_in_a_repository();
    let (code, stdout, stderr) = support::cedarcheck(&app, &["mutants", "--format", "sarif"]);
    assert_eq!(code, 0, "{stderr}");
    let sarif: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["id"], "surviving-mutant");
    assert_eq!(rules[0]["defaultConfiguration"]["level"], "warning");
    // Not a lint rule: `check` does not know it.
    assert!(cedarcheck_analyzer::rule("surviving-mutant").is_none());
    assert_eq!(
        run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"],
        NO_CVC5.strip_prefix("note: ").unwrap()
    );
    let results: Vec<(String, String, String, String, u64, u64)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
                r["message"]["text"].as_str().unwrap().to_string(),
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                location["region"]["startLine"].as_u64().unwrap(),
                location["region"]["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = |message: &str, line: u64, column: u64| {
        (
            "surviving-mutant".to_string(),
            "warning".to_string(),
            format!("{message} in permit sre-reboot (no test notices)"),
            "app/policies/ops.cedar".to_string(),
            line,
            column,
        )
    };
    assert_eq!(
        results,
        [
            expected(r#"principal in Ops::Team::"sre" → principal"#, 2, 9),
            expected(r#"action == Ops::Action::"RebootHost" → action"#, 2, 40),
            expected(
                r#"action == Ops::Action::"RebootHost" → action in Ops::Action::"RebootHost""#,
                2,
                40
            ),
            expected(
                r#"context.mfa && resource.environment == "staging" → context.mfa"#,
                3,
                8
            ),
        ]
    );
}

#[test]
fn with_the_solver_junit_skips_equivalent_mutants_and_gives_survivors_their_killing_test() {
    if !have_cvc5(
        "with_the_solver_junit_skips_equivalent_mutants_and_gives_survivors_their_killing_test",
    ) {
        return;
    }
    let (code, stdout, stderr) = with_solver(&fixture(), &["mutants", "--format", "junit"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(r#"<testsuites name="cedarcheck mutants" tests="10" failures="2" errors="0" skipped="2">"#),
        "{stdout}"
    );
    let equivalent = r#"line="2">
      <skipped message="equivalent: the solver proves it decides every request as the set does"/>
    </testcase>"#;
    assert_eq!(stdout.matches(equivalent).count(), 2, "{stdout}");
    assert!(
        stdout.contains(
            "type=\"surviving-mutant\">kill it with:\n{\n  \"name\": \"sre-reboot: human RebootHost on host is denied\","
        ),
        "{stdout}"
    );
    // Only survivors are findings for other tools.
    let (_, stdout, _) = with_solver(&fixture(), &["mutants", "--format", "github"]);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

#[test]
fn deep_flags_decide_whether_the_solver_is_asked_as_for_check() {
    // Without cvc5 (the helper hides it): --deep demands it.
    let (code, stdout, stderr) = support::cedarcheck(&fixture(), &["mutants", "--deep"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with(
            "cedarcheck: error: the solver was demanded (--deep or [analysis] deep = \"on\"), but \
             equivalence and generated tests need cvc5: "
        ),
        "{stderr}"
    );
    // --no-deep turns it off quietly: the survivors stay survivors.
    let (code, stdout, stderr) = support::cedarcheck(&fixture(), &["mutants", "--no-deep"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(
        stdout.contains("10 mutants: 6 killed, 4 survived, 0 equivalent, 0 invalid; score 60.0%"),
        "{stdout}"
    );
    let (code, _, stderr) = support::cedarcheck(
        &fixture(),
        &["mutants", "--no-deep", "--write-tests", "tests/new.json"],
    );
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim(),
        "cedarcheck: error: --write-tests needs the solver, and --no-deep turns it off"
    );
    assert!(!fixture().join("tests/new.json").exists());
}

#[test]
fn sarif_says_cvc5_is_missing_only_when_the_solver_is_not_turned_off() {
    let notifications = |args: &[&str]| {
        let (code, stdout, stderr) = support::cedarcheck(&fixture(), args);
        assert_eq!(code, 0, "{stderr}");
        let sarif: Value = serde_json::from_str(&stdout).unwrap();
        sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(notifications(&["mutants", "--format", "sarif"]), 1);
    assert_eq!(
        notifications(&["mutants", "--format", "sarif", "--no-deep"]),
        0
    );
}
