//! End-to-end tests of `cedarcheck test`: the three test-file shapes, every kind of broken
//! input, the output formats, `--filter`, `--coverage`, exit codes, the bundled `testcases/`,
//! and equivalence with the Cedar CLI's `run-tests` and with the Cedar integration-test
//! harness.
//!
//! Workspaces are written (or fixtures copied) into fresh temporary directories, outside this
//! repository's cedarcheck.toml, and the binary runs there so that paths are relative.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::assert::Assert;
use assert_cmd::Command;
use serde_json::{json, Value};
use tempfile::TempDir;

const TIMEOUT: Duration = Duration::from_secs(60);

const SCHEMA: &str = r#"namespace Ops {
  entity Team;
  entity User in [Team] { name: String };
  entity Doc { owner: User, secret: Bool };
  action Read, Write appliesTo { principal: User, resource: Doc, context: { mfa: Bool } };
}
"#;

const POLICIES: &str = r#"@id("owner-reads")
permit (principal, action == Ops::Action::"Read", resource)
when { resource.owner == principal };

@id("team-reads")
permit (principal in Ops::Team::"eng", action == Ops::Action::"Read", resource)
when { !resource.secret };

@id("no-secrets-without-mfa")
forbid (principal, action, resource)
when { resource.secret && !context.mfa };

@id("unused-writer")
permit (principal == Ops::User::"root", action == Ops::Action::"Write", resource);
"#;

const ENTITIES: &str = r#"[
  {"uid": {"type": "Ops::Team", "id": "eng"}, "attrs": {}, "parents": []},
  {"uid": {"type": "Ops::User", "id": "alice"}, "attrs": {"name": "Alice"}, "parents": [{"type": "Ops::Team", "id": "eng"}]},
  {"uid": {"type": "Ops::User", "id": "bob"}, "attrs": {"name": "Bob"}, "parents": []},
  {"uid": {"type": "Ops::Doc", "id": "plan"}, "attrs": {"owner": {"__entity": {"type": "Ops::User", "id": "bob"}}, "secret": false}, "parents": []},
  {"uid": {"type": "Ops::Doc", "id": "keys"}, "attrs": {"owner": {"__entity": {"type": "Ops::User", "id": "bob"}}, "secret": true}, "parents": []}
]
"#;

/// A native test: `who` reads `doc` with MFA.
fn read(name: &str, who: &str, doc: &str, decision: &str, reason: &[&str]) -> Value {
    json!({
        "name": name,
        "request": {
            "principal": format!("Ops::User::\"{who}\""),
            "action": "Ops::Action::\"Read\"",
            "resource": format!("Ops::Doc::\"{doc}\""),
            "context": {"mfa": true}
        },
        "decision": decision,
        "reason": reason,
    })
}

fn native(tests: &[Value]) -> String {
    let tests: Vec<String> = tests.iter().map(|t| format!("    {t}")).collect();
    format!(
        "{{\n  \"entities\": \"docs.entities.json\",\n  \"tests\": [\n{}\n  ]\n}}\n",
        tests.join(",\n")
    )
}

fn write(dir: &Path, path: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// A workspace with the docs policy set and entities, plus `files`.
fn workspace(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cedarcheck.toml",
        "policies = [\"policies/*.cedar\"]\nschema = \"policies/docs.cedarschema\"\ntests = [\"tests/**/*.json\"]\n",
    );
    write(dir.path(), "policies/docs.cedar", POLICIES);
    write(dir.path(), "policies/docs.cedarschema", SCHEMA);
    write(dir.path(), "tests/docs.entities.json", ENTITIES);
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

fn passing_suite() -> String {
    native(&[
        read(
            "alice reads the plan as a team member",
            "alice",
            "plan",
            "allow",
            &["team-reads"],
        ),
        read(
            "bob reads his own plan",
            "bob",
            "plan",
            "allow",
            &["owner-reads"],
        ),
        read("alice cannot read the keys", "alice", "keys", "deny", &[]),
    ])
}

fn cedarcheck(dir: &Path, args: &[&str]) -> Assert {
    let assert = Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        // Static behaviour only: no solver, so results do not depend on cvc5 being installed.
        .env("CVC5", "/nonexistent/cvc5")
        .env("NO_COLOR", "1")
        .timeout(TIMEOUT)
        .assert();
    let status = assert.get_output().status;
    assert!(
        matches!(status.code(), Some(0..=2)),
        "cedarcheck exited with {status}: it crashed or ran over {TIMEOUT:?}\nstderr:\n{}",
        stderr(&assert)
    );
    assert!(!stderr(&assert).contains("panicked"), "{}", stderr(&assert));
    assert
}

fn test(dir: &Path, args: &[&str]) -> Assert {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    cedarcheck(dir, &all)
}

fn test_json(dir: &Path, args: &[&str]) -> (Assert, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let assert = test(dir, &all);
    let json = serde_json::from_str(&stdout(&assert))
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(&assert)));
    (assert, json)
}

fn stdout(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

fn code(assert: &Assert) -> i32 {
    assert.get_output().status.code().unwrap_or(-1)
}

/// Every test of a JSON report, with its file.
fn tests_of(json: &Value) -> Vec<(String, Value)> {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let file = f["file"].as_str().unwrap().to_string();
            f["tests"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |t| (file.clone(), t.clone()))
        })
        .collect()
}

fn test_named<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["tests"].as_array().unwrap())
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no test `{name}` in {json:#}"))
}

fn failures(test: &Value) -> String {
    test["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test")
}

// ---- a passing suite and wrong expectations ------------------------------------------------

#[test]
fn a_passing_suite_passes() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    assert!(
        stdout(&assert).starts_with("3 passed, 0 failed (1 file, "),
        "{}",
        stdout(&assert)
    );
}

#[test]
fn wrong_expectations_show_the_request_the_decisions_and_a_reason_diff() {
    let suite = native(&[
        read(
            "alice reads the plan as a team member",
            "alice",
            "plan",
            "allow",
            &["team-reads"],
        ),
        read("wrong decision", "alice", "keys", "allow", &[]),
        read("wrong reason", "bob", "plan", "allow", &["team-reads"]),
    ]);
    let dir = workspace(&[("tests/docs.json", &suite)]);
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    let out = stdout(&assert);
    assert!(
        out.contains(
            "FAIL tests/docs.json:5: wrong decision\n  request   principal Ops::User::\"alice\"\n            action    Ops::Action::\"Read\"\n            resource  Ops::Doc::\"keys\"\n            context   {\"mfa\":true}\n  decision  expected allow, got deny\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("FAIL tests/docs.json:6: wrong reason"),
        "{out}"
    );
    assert!(
        out.contains("  reasons   + owner-reads  also determined the decision (fine: `reason` lists a subset)\n            - team-reads   expected, but did not determine the decision\n"),
        "{out}"
    );
    assert!(
        out.contains("  why       missing reason(s): `team-reads`"),
        "{out}"
    );
    assert!(
        out.ends_with("s)\n") && out.contains("1 passed, 2 failed (1 file, "),
        "{out}"
    );

    let (_, json) = test_json(dir.path(), &[]);
    let wrong = test_named(&json, "wrong decision");
    assert_eq!(wrong["line"], 5);
    assert_eq!(wrong["expected"]["decision"], "allow");
    assert_eq!(wrong["actual"]["decision"], "deny");
    assert_eq!(failures(wrong), "expected allow, got deny");
    let reason = test_named(&json, "wrong reason");
    assert_eq!(
        reason["reasons"],
        json!([{"policy": "owner-reads", "mark": "unexpected"}, {"policy": "team-reads", "mark": "missing"}])
    );
}

#[test]
fn erroring_policies_are_shown_with_their_errors() {
    let policies = "@id(\"overflow\")\npermit (principal, action, resource)\nwhen { context.n + 9223372036854775807 > 0 };\n";
    let schema =
        "entity U; action A appliesTo { principal: U, resource: U, context: { n: Long } };\n";
    let tests = r#"{"tests": [
  {"name": "n = 1 overflows", "request": {"principal": "U::\"a\"", "action": "Action::\"A\"", "resource": "U::\"a\"", "context": {"n": 1}}, "decision": "deny"}
]}"#;
    let dir = workspace(&[]);
    write(dir.path(), "policies/docs.cedar", policies);
    write(dir.path(), "policies/docs.cedarschema", schema);
    write(dir.path(), "tests/t.json", tests);
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    let out = stdout(&assert);
    assert!(
        out.contains("  errors    1 (0 expected):\n            overflow: integer overflow while attempting to add the values `1` and `9223372036854775807`"),
        "{out}"
    );
    assert!(
        out.contains("  why       expected 0 error(s), got 1"),
        "{out}"
    );
}

// ---- broken input -------------------------------------------------------------------------

#[test]
fn malformed_json_is_an_error_at_file_line_and_column() {
    let dir = workspace(&[
        ("tests/docs.json", &passing_suite()),
        (
            "tests/broken.json",
            "{\n  \"tests\": [\n    {\"name\": \"x\",}\n  ]\n}\n",
        ),
    ]);
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 1, "a broken test file fails the run");
    let out = stdout(&assert);
    assert!(
        out.contains("ERROR tests/broken.json:3:18: invalid JSON: trailing comma"),
        "{out}"
    );
    // The other file still ran.
    assert!(
        out.contains("3 passed, 0 failed, 1 file error (2 files, "),
        "{out}"
    );
}

#[test]
fn a_malformed_test_fails_alone_at_its_location() {
    let suite = native(&[
        read("fine", "alice", "plan", "allow", &["team-reads"]),
        json!({"name": "no decision", "request": {"principal": "Ops::User::\"a\"", "action": "Ops::Action::\"Read\"", "resource": "Ops::Doc::\"plan\""}}),
        json!({"name": "typo", "request": {"principal": "Ops::User::\"a\"", "action": "Ops::Action::\"Read\"", "resource": "Ops::Doc::\"plan\""}, "decision": "deny", "reasons": []}),
    ]);
    let dir = workspace(&[("tests/docs.json", &suite)]);
    let (assert, json) = test_json(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    assert!(
        failures(test_named(&json, "no decision"))
            .starts_with("tests/docs.json:5:134: invalid test: missing field `decision`"),
        "{json:#}"
    );
    assert!(
        failures(test_named(&json, "typo")).contains("unknown field `reasons`"),
        "{json:#}"
    );
    assert_eq!(json["summary"]["passed"], 1);
}

#[test]
fn a_missing_entities_file_fails_the_tests_that_need_it() {
    let suite = passing_suite().replace("docs.entities.json", "gone.entities.json");
    let dir = workspace(&[("tests/docs.json", &suite)]);
    let (assert, json) = test_json(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    for (_, t) in tests_of(&json) {
        assert_eq!(
            failures(&t),
            "entities file `gone.entities.json` not found (looked for `tests/gone.entities.json`)"
        );
    }
}

#[test]
fn an_entities_path_escaping_the_test_directory_is_rejected() {
    let dir = workspace(&[("secret.entities.json", ENTITIES)]);
    let suite = passing_suite().replace("docs.entities.json", "../secret.entities.json");
    write(dir.path(), "tests/docs.json", suite);
    // Also through a symbolic link that points out of the directory.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            dir.path().join("secret.entities.json"),
            dir.path().join("tests/link.entities.json"),
        )
        .unwrap();
        let linked = passing_suite().replace("docs.entities.json", "link.entities.json");
        write(dir.path(), "tests/linked.json", linked);
    }
    let (assert, json) = test_json(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    let all = tests_of(&json);
    assert!(!all.is_empty());
    for (file, t) in all {
        let escaping = if file.ends_with("linked.json") {
            "link.entities.json"
        } else {
            "../secret.entities.json"
        };
        assert_eq!(
            failures(&t),
            format!("entities path `{escaping}` is outside the test file's directory `tests`: entities files must lie in it or below it")
        );
    }
}

#[test]
fn an_unknown_entity_type_is_a_located_failure() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    write(
        dir.path(),
        "tests/docs.entities.json",
        ENTITIES.replace(
            "\"Ops::Doc\", \"id\": \"keys\"",
            "\"Ops::Dok\", \"id\": \"keys\"",
        ),
    );
    let (assert, json) = test_json(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    let message = failures(test_named(&json, "bob reads his own plan"));
    assert!(
        message.starts_with("tests/docs.entities.json:6:") && message.contains("`Ops::Dok`"),
        "{message}"
    );
}

#[test]
fn an_invalid_request_is_a_failure_that_says_why() {
    let mut wrong_type = read("a document as principal", "x", "plan", "deny", &[]);
    wrong_type["request"]["principal"] = json!("Ops::Doc::\"plan\"");
    let mut bad_context = read("a context without mfa", "alice", "plan", "deny", &[]);
    bad_context["request"]["context"] = json!({});
    let mut unvalidated = wrong_type.clone();
    unvalidated["name"] = json!("the same request, unvalidated");
    unvalidated["validate_request"] = json!(false);
    let dir = workspace(&[(
        "tests/docs.json",
        &native(&[wrong_type, bad_context, unvalidated]),
    )]);
    let (assert, json) = test_json(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    assert_eq!(
        failures(test_named(&json, "a document as principal")),
        "invalid request: principal type `Ops::Doc` is not valid for `Ops::Action::\"Read\"`"
    );
    assert!(
        failures(test_named(&json, "a context without mfa"))
            .contains("invalid context `{}`: while parsing context, expected the record to have an attribute `mfa`"),
        "{json:#}"
    );
    assert_eq!(
        test_named(&json, "the same request, unvalidated")["passed"],
        true
    );
}

#[test]
fn a_policy_set_with_errors_fails_its_tests_and_is_reported_once() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    write(
        dir.path(),
        "policies/docs.cedar",
        format!("{POLICIES}\npermit (principal, action, resource) when {{ principal.age > 3 }};\n"),
    );
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    let out = stdout(&assert);
    assert_eq!(out.matches("ERROR policy set").count(), 1, "{out}");
    assert!(
        out.contains(
            "  policies/docs.cedar:16:45: attribute `age` on entity type `Ops::User` not found"
        ),
        "{out}"
    );
    assert!(out.contains("0 passed, 3 failed"), "{out}");
}

#[test]
fn a_test_file_that_is_not_utf8_is_located() {
    let dir = workspace(&[]);
    write(dir.path(), "tests/bad.json", b"[\n  \xff\n]\n");
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 1);
    assert!(
        stdout(&assert).contains(
            "ERROR tests/bad.json:2:3: file is not valid UTF-8 text (invalid byte at offset 4)"
        ),
        "{}",
        stdout(&assert)
    );
}

#[test]
fn a_named_file_that_is_not_a_test_is_an_error_and_a_found_one_is_skipped() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    write(
        dir.path(),
        "tests/data.json",
        "[{\"uid\": {\"type\": \"T\", \"id\": \"x\"}}]",
    );
    let assert = test(dir.path(), &["-v"]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    assert!(
        stderr(&assert).contains("skipped tests/data.json: not a test file"),
        "{}",
        stderr(&assert)
    );
    let assert = test(dir.path(), &["tests/data.json"]);
    assert_eq!(code(&assert), 1);
    assert!(
        stdout(&assert).contains("ERROR tests/data.json:1:1: not a test file"),
        "{}",
        stdout(&assert)
    );
}

#[test]
fn tool_errors_exit_2() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    let assert = test(dir.path(), &["nowhere.json"]);
    assert_eq!(code(&assert), 2);
    assert!(stderr(&assert).contains("nowhere.json: no such file or directory"));
    let assert = test(dir.path(), &["--filter", "("]);
    assert_eq!(code(&assert), 2);
    assert!(stderr(&assert).contains("--filter: invalid regular expression"));
    let assert = test(dir.path(), &["--format", "sarif"]);
    assert_eq!(code(&assert), 2);
    let assert = test(dir.path(), &["--min-coverage", "120"]);
    assert_eq!(code(&assert), 2);
    write(dir.path(), "cedarcheck.toml", "tests = [\"tests/*.json\"\n");
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 2);
    assert!(
        stderr(&assert).contains("cedarcheck.toml:"),
        "{}",
        stderr(&assert)
    );
}

// ---- selection, empty runs, formats --------------------------------------------------------

#[test]
fn filter_selects_tests_by_name() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    let (assert, json) = test_json(dir.path(), &["--filter", "^alice"]);
    assert_eq!(code(&assert), 0);
    let names: Vec<_> = tests_of(&json)
        .into_iter()
        .map(|(_, t)| t["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            "alice reads the plan as a team member",
            "alice cannot read the keys"
        ]
    );
}

#[test]
fn an_empty_run_fails_unless_allowed() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    let assert = test(dir.path(), &["--filter", "nothing matches this"]);
    assert_eq!(code(&assert), 1);
    assert!(
        stderr(&assert).contains("no tests ran: `--filter` matched no test; pass --allow-empty"),
        "{}",
        stderr(&assert)
    );
    let assert = test(
        dir.path(),
        &["--filter", "nothing matches this", "--allow-empty"],
    );
    assert_eq!(code(&assert), 0);
    let empty = workspace(&[]);
    let assert = test(empty.path(), &[]);
    assert_eq!(code(&assert), 1);
    assert!(stderr(&assert).contains("no test files were found"));
}

#[test]
fn junit_has_one_testcase_per_test_grouped_by_file_with_unique_names() {
    let suite = native(&[
        read("same name", "alice", "plan", "allow", &["team-reads"]),
        read("same name", "bob", "plan", "deny", &[]),
    ]);
    let dir = workspace(&[
        ("tests/a.json", &suite),
        ("tests/b.json", &passing_suite()),
        ("tests/broken.json", "[\n"),
    ]);
    let assert = test(dir.path(), &["--format", "junit"]);
    assert_eq!(code(&assert), 1);
    let xml = stdout(&assert);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (Vec::new(), Vec::new(), 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name).unwrap().map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                };
                match e.name().as_ref() {
                    b"testsuite" => suites.push(attr("name").unwrap()),
                    b"testcase" => cases.push((attr("classname").unwrap(), attr("name").unwrap())),
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        suites,
        ["tests/a.json", "tests/b.json", "tests/broken.json"]
    );
    assert_eq!(cases.len(), 6, "{cases:?}");
    let mut unique = cases.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), cases.len(), "{cases:?}");
    assert!(cases.contains(&("tests/a.json".into(), "same name (#2)".into())));
    assert!(cases.contains(&("tests/broken.json".into(), "(file)".into())));
    assert_eq!(failures, 1);
    assert!(stderr(&assert).contains("4 passed, 1 failed, 1 file error"));
}

#[test]
fn compact_output_has_one_line_per_failure() {
    let suite = native(&[
        read("good", "alice", "plan", "allow", &["team-reads"]),
        read("bad", "alice", "keys", "allow", &[]),
    ]);
    let dir = workspace(&[("tests/docs.json", &suite)]);
    let assert = test(dir.path(), &["--format", "compact"]);
    assert_eq!(code(&assert), 1);
    assert!(
        stdout(&assert).starts_with(
            "tests/docs.json:5:1: fail bad: expected allow, got deny\n1 passed, 1 failed (1 file, "
        ),
        "{}",
        stdout(&assert)
    );
}

// ---- coverage ------------------------------------------------------------------------------

#[test]
fn coverage_counts_tests_per_policy_and_names_uncovered_ones() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    let assert = test(dir.path(), &["--coverage"]);
    assert_eq!(code(&assert), 0);
    let out = stdout(&assert);
    assert!(
        out.contains("Coverage: 2 of 4 policies (50.0%) determined at least one test"),
        "{out}"
    );
    assert!(
        out.contains("\n      1  owner-reads             policies/docs.cedar:1\n"),
        "{out}"
    );
    assert!(
        out.contains("  Not exercised by any test:\n    policies/docs.cedar:9: no-secrets-without-mfa\n    policies/docs.cedar:13: unused-writer\n"),
        "{out}"
    );
    let (_, json) = test_json(dir.path(), &[]);
    assert_eq!(
        json["coverage"],
        json!({"covered": 2, "total": 4, "percent": 50.0})
    );
    assert_eq!(
        json["sets"][0]["policies"][1],
        json!({"id": "team-reads", "file": "policies/docs.cedar", "line": 5, "tests": 1})
    );
    let assert = test(dir.path(), &["--min-coverage", "50"]);
    assert_eq!(code(&assert), 0);
    let assert = test(dir.path(), &["--min-coverage", "75"]);
    assert_eq!(code(&assert), 1);
    assert!(
        stderr(&assert).contains("policy coverage 50.0% is below --min-coverage 75%"),
        "{}",
        stderr(&assert)
    );
}

/// `cedarcheck test ARGS` with the solver the environment has.
fn test_with_solver(dir: &Path, args: &[&str]) -> Assert {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    let assert = Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(&all)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(120))
        .assert();
    assert!(!stderr(&assert).contains("panicked"), "{}", stderr(&assert));
    assert
}

#[test]
fn suggest_writes_for_each_uncovered_policy_a_test_it_determines() {
    if cedarcheck_test_support::require_tool(
        "suggest_writes_for_each_uncovered_policy_a_test_it_determines",
        cedarcheck_test_support::Tool::Cvc5,
    )
    .is_none()
    {
        return;
    }
    // `shadowed` is satisfied only where the forbid denies: no request has it among the
    // reasons, and the run says so instead of writing a test.
    let shadowed = format!(
        "{POLICIES}\n@id(\"shadowed\")\npermit (principal, action == Ops::Action::\"Write\", resource)\nwhen {{ resource.secret && !context.mfa }};\n"
    );
    let dir = workspace(&[
        ("tests/docs.json", &passing_suite()),
        ("policies/docs.cedar", &shadowed),
    ]);
    let assert = test_with_solver(dir.path(), &["--suggest", "--format", "json"]);
    assert_eq!(code(&assert), 0, "{}", stderr(&assert));
    let json: Value = serde_json::from_str(&stdout(&assert)).unwrap();
    let policies = json["sets"][0]["policies"].as_array().unwrap();
    let by_id = |id: &str| policies.iter().find(|p| p["id"] == id).unwrap().clone();
    // Covered policies get nothing.
    assert_eq!(
        by_id("owner-reads"),
        json!({"id": "owner-reads", "file": "policies/docs.cedar", "line": 1, "tests": 1})
    );
    assert_eq!(
        by_id("shadowed")["no_suggestion"],
        "no request: wherever it is satisfied a forbid denies, or it is never satisfied"
    );
    assert!(by_id("shadowed").get("suggested_test").is_none());
    // The permit: root writes, allowed by it alone. The forbid: a read a permit allows that it
    // denies without MFA.
    let writer = by_id("unused-writer")["suggested_test"].clone();
    assert_eq!(writer["request"]["principal"], "Ops::User::\"root\"");
    assert_eq!(writer["request"]["action"], "Ops::Action::\"Write\"");
    assert_eq!(writer["decision"], "allow");
    assert_eq!(writer["reason"], json!(["unused-writer"]));
    assert!(
        writer["name"]
            .as_str()
            .unwrap()
            .starts_with("unused-writer: root Write on "),
        "{writer}"
    );
    let forbid = by_id("no-secrets-without-mfa")["suggested_test"].clone();
    assert_eq!(forbid["request"]["action"], "Ops::Action::\"Read\"");
    assert_eq!(forbid["request"]["context"]["mfa"], false);
    assert_eq!(forbid["decision"], "deny");
    assert_eq!(forbid["reason"], json!(["no-secrets-without-mfa"]));

    // The independent check: the suggested tests, added as they are, pass, and every policy
    // that can determine a request now does.
    let suggested = json!({"tests": [writer, forbid]});
    write(
        dir.path(),
        "tests/suggested.json",
        serde_json::to_string_pretty(&suggested).unwrap(),
    );
    let (assert, json) = test_json(dir.path(), &[]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    assert_eq!(json["summary"]["passed"], 5);
    assert_eq!(
        json["coverage"],
        json!({"covered": 4, "total": 5, "percent": 80.0})
    );

    // The pretty report shows the entry under the coverage, ready to paste.
    let assert = test_with_solver(dir.path(), &["--suggest"]);
    let out = stdout(&assert);
    assert!(
        out.contains("  Not exercised by any test:\n    policies/docs.cedar:16: shadowed\n  No suggested test for `shadowed`: no request: wherever it is satisfied a forbid denies, or it is never satisfied\n"),
        "{out}"
    );
}

#[test]
fn suggest_says_it_needs_the_solver() {
    let dir = workspace(&[("tests/docs.json", &passing_suite())]);
    let assert = test(dir.path(), &["--suggest"]);
    assert_eq!(code(&assert), 2);
    assert_eq!(
        stderr(&assert),
        "cedarcheck: error: --suggest: suggested tests need cvc5: install it with `apt-get install cvc5` or `brew install cvc5`, or set $CVC5 to a cvc5 binary\n"
    );
    let assert = test(dir.path(), &["--suggest", "--no-deep"]);
    assert_eq!(code(&assert), 2);
    assert_eq!(
        stderr(&assert),
        "cedarcheck: error: --suggest needs the solver, and --no-deep turns it off\n"
    );
}

/// `cedarcheck test --format json > tests/results.json`: the shell creates the empty file
/// before the run searches the directory.
#[test]
fn an_empty_json_file_found_while_searching_is_not_a_test() {
    let dir = workspace(&[
        ("tests/docs.json", &passing_suite()),
        ("tests/results.json", ""),
    ]);
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    assert!(
        stdout(&assert).starts_with("3 passed, 0 failed (1 file, "),
        "{}",
        stdout(&assert)
    );
    // Named, it is not a test: an error.
    let assert = test(dir.path(), &["tests/results.json"]);
    assert_eq!(code(&assert), 1);
    assert!(
        stdout(&assert).starts_with("ERROR tests/results.json:1:1: not a test file: this is an empty file; a test file is a `cedar run-tests` array, a Cedar integration test or a native `{\"tests\": […]}` file\n"),
        "{}",
        stdout(&assert)
    );
}

/// No cedarcheck.toml: `cedarcheck test tests/` runs the tests against the current directory's
/// policies, as `cedarcheck test tests/docs.json` does.
#[test]
fn a_directory_of_tests_without_a_config_runs_against_the_current_directorys_policies() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies/docs.cedar", POLICIES);
    write(dir.path(), "policies/docs.cedarschema", SCHEMA);
    write(dir.path(), "tests/docs.entities.json", ENTITIES);
    write(dir.path(), "tests/docs.json", passing_suite());
    for args in [&["tests/"][..], &["tests/docs.json"], &[]] {
        let assert = test(dir.path(), args);
        assert_eq!(code(&assert), 0, "{args:?}: {}", stderr(&assert));
        assert!(
            stdout(&assert).starts_with("3 passed, 0 failed (1 file, "),
            "{args:?}: {}",
            stdout(&assert)
        );
    }
}

#[test]
fn policies_without_id_are_covered_by_their_cedar_or_file_ids() {
    let dir = workspace(&[]);
    write(
        dir.path(),
        "policies/docs.cedar",
        "permit (principal, action == Ops::Action::\"Read\", resource) when { resource.owner == principal };\n",
    );
    write(
        dir.path(),
        "policies/more.cedar",
        "forbid (principal, action, resource) when { resource.secret };\n",
    );
    let suite = native(&[
        read(
            "bob reads his plan",
            "bob",
            "plan",
            "allow",
            &["policies/docs.cedar#policy0"],
        ),
        read(
            "bob cannot read the keys",
            "bob",
            "keys",
            "deny",
            &["policies/more.cedar#policy0"],
        ),
    ]);
    write(dir.path(), "tests/docs.json", suite);
    let assert = test(dir.path(), &["--min-coverage", "100"]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
}

// ---- discovery and the policy set of a test file -------------------------------------------

#[test]
fn a_relative_test_path_works_and_entities_resolve_beside_it() {
    // `cedar run-tests --tests sub/t.json` fails with "failed to canonicalize test file
    // directory"; the test file's directory is what entities paths are relative to.
    let dir = workspace(&[("tests/sub/docs.json", &passing_suite())]);
    write(dir.path(), "tests/sub/docs.entities.json", ENTITIES);
    let assert = test(dir.path(), &["tests/sub/docs.json"]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    let assert = test(&dir.path().join("tests/sub"), &["docs.json"]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
}

#[test]
fn without_config_a_test_file_uses_the_policies_of_its_workspace() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "docs.cedar", POLICIES);
    write(dir.path(), "docs.cedarschema", SCHEMA);
    write(dir.path(), "cases/docs.entities.json", ENTITIES);
    write(dir.path(), "cases/docs.json", passing_suite());
    let assert = test(dir.path(), &["cases/docs.json"]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    // A directory: every JSON test file below it.
    let assert = test(dir.path(), &[]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    assert!(
        stdout(&assert).starts_with("3 passed"),
        "{}",
        stdout(&assert)
    );
}

#[test]
fn each_set_runs_its_own_tests() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cedarcheck.toml",
        "[[set]]\nname = \"docs\"\npolicies = [\"docs/*.cedar\"]\nschema = \"docs/docs.cedarschema\"\ntests = [\"docs/tests/*.json\"]\n\n[[set]]\nname = \"open\"\npolicies = [\"open/*.cedar\"]\nschema = \"open/open.cedarschema\"\ntests = [\"open/tests/*.json\"]\n",
    );
    write(dir.path(), "docs/docs.cedar", POLICIES);
    write(dir.path(), "docs/docs.cedarschema", SCHEMA);
    write(dir.path(), "docs/tests/docs.entities.json", ENTITIES);
    write(dir.path(), "docs/tests/docs.json", passing_suite());
    write(
        dir.path(),
        "open/all.cedar",
        "permit (principal, action, resource);\n",
    );
    write(
        dir.path(),
        "open/open.cedarschema",
        "entity X; entity Y; action b appliesTo { principal: X, resource: Y };\n",
    );
    write(
        dir.path(),
        "open/tests/open.json",
        r#"{"tests": [{"name": "anyone", "request": {"principal": "X::\"a\"", "action": "Action::\"b\"", "resource": "Y::\"c\""}, "decision": "allow", "reason": ["policy0"]}]}"#,
    );
    let (assert, json) = test_json(dir.path(), &["--coverage"]);
    assert_eq!(code(&assert), 0, "{json:#}");
    let labels: Vec<_> = json["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].clone())
        .collect();
    assert_eq!(labels, ["docs", "open"]);
}

// ---- the bundled testcases/ ----------------------------------------------------------------

#[test]
fn the_bundled_testcases_pass_with_full_policy_coverage() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (assert, json) = test_json(repo, &["--min-coverage", "100"]);
    assert_eq!(code(&assert), 0, "{}", stderr(&assert));
    assert_eq!(json["summary"]["failed"], 0);
    assert_eq!(json["coverage"]["percent"], 100.0);
    // Every policy has a test it allows or denies, and the policy set is the one `check` sees.
    let policies = json["sets"][0]["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 23);
    let names: Vec<String> = tests_of(&json)
        .into_iter()
        .map(|(_, t)| t["name"].as_str().unwrap().to_string())
        .collect();
    // A negative test for every privileged action: no MFA, wrong network, and its grant or
    // window missing.
    for action in [
        "ReadSecret",
        "RotateSecret",
        "RunShellCommand",
        "RebootHost",
        "ModifyFirewall",
    ] {
        for negative in [
            "refused without MFA",
            "refused from outside the management network",
        ] {
            let name = format!("{action}: {negative}");
            assert!(names.contains(&name), "no test `{name}`");
        }
        let condition = if action.ends_with("Secret") {
            "refused with an expired JIT grant"
        } else {
            "refused on prod outside the change window"
        };
        let name = format!("{action}: {condition}");
        assert!(names.contains(&name), "no test `{name}`");
    }
    // Allow and deny tests for every policy.
    let (mut allowing, mut denying) = (Vec::new(), Vec::new());
    for (_, t) in tests_of(&json) {
        for id in t["actual"]["reason"].as_array().unwrap() {
            if t["actual"]["decision"] == "allow" {
                allowing.push(id.as_str().unwrap().to_string());
            } else {
                denying.push(id.as_str().unwrap().to_string());
            }
        }
    }
    for policy in policies {
        let id = policy["id"].as_str().unwrap().to_string();
        assert!(
            allowing.contains(&id) || denying.contains(&id),
            "{id} untested"
        );
    }
}

// ---- equivalence with the Cedar CLI's run-tests ---------------------------------------------

/// `cedar run-tests`' verdicts, as recorded next to a fixture.
fn recorded_verdicts(fixture: &Path) -> Vec<bool> {
    std::fs::read_to_string(fixture.join("cedar-verdicts.txt"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| match line.split_once('\t') {
            Some(("pass", _)) => true,
            Some(("fail", _)) => false,
            _ => panic!("bad line `{line}`"),
        })
        .collect()
}

/// Runs `cedar run-tests` on a fixture (with an absolute test path: a relative one fails) and
/// returns its verdicts, test by test.
fn cedar_verdicts(cedar: &Path, fixture: &Path) -> Vec<bool> {
    let output = StdCommand::new(cedar)
        .current_dir(fixture)
        .args([
            "run-tests",
            "--policies",
            "photos.cedar",
            "--schema",
            "photos.cedarschema",
            "--tests",
        ])
        .arg(fixture.join("tests.json"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("  test ")?;
            let (_, verdict) = rest.rsplit_once(" ... ")?;
            Some(verdict == "ok")
        })
        .collect()
}

/// A copy of a `run-tests` fixture, with the entities file it reaches outside its directory.
fn run_tests_fixture(fixture_name: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join(fixture_name);
    copy_dir(&fixtures().join(fixture_name), &fixture);
    std::fs::copy(
        fixtures().join("outside.entities.json"),
        dir.path().join("outside.entities.json"),
    )
    .unwrap();
    (dir, fixture)
}

fn assert_same_verdicts_as_cedar(fixture_name: &str) {
    let (_dir, fixture) = run_tests_fixture(fixture_name);
    let recorded = recorded_verdicts(&fixture);
    let (assert, json) = test_json(&fixture, &["tests.json"]);
    let ours: Vec<bool> = tests_of(&json)
        .iter()
        .map(|(_, t)| t["passed"].as_bool().unwrap())
        .collect();
    assert_eq!(
        ours, recorded,
        "cedarcheck and the recorded `cedar run-tests` verdicts differ"
    );
    let expected_code = if recorded.iter().all(|&p| p) { 0 } else { 1 };
    assert_eq!(code(&assert), expected_code);
}

#[test]
fn run_tests_files_give_the_verdicts_of_cedar_run_tests() {
    assert_same_verdicts_as_cedar("run-tests");
}

#[test]
fn a_policy_set_that_does_not_validate_fails_every_test_as_in_cedar_run_tests() {
    assert_same_verdicts_as_cedar("run-tests-invalid-set");
}

/// The recorded verdicts are still what `cedar run-tests` gives. CI compares with the
/// recording (above); this re-checks the recording against the Cedar CLI itself:
/// `cargo test --test cli_test -- --ignored` with `cedar` installed.
#[test]
#[ignore = "needs the `cedar` CLI (cargo install cedar-policy-cli --version 4.14.1)"]
fn the_recorded_verdicts_are_those_of_cedar_run_tests() {
    let Some(cedar) = cedarcheck_test_support::require_tool(
        "the_recorded_verdicts_are_those_of_cedar_run_tests",
        cedarcheck_test_support::Tool::Cedar,
    ) else {
        return;
    };
    for fixture_name in ["run-tests", "run-tests-invalid-set"] {
        let (_dir, fixture) = run_tests_fixture(fixture_name);
        assert_eq!(
            cedar_verdicts(&cedar, &fixture),
            recorded_verdicts(&fixture),
            "{fixture_name}: `cedar run-tests` no longer gives the recorded verdicts"
        );
    }
}

// ---- the Cedar integration-test format -----------------------------------------------------

/// A copy of the integration-repo fixture, laid out like a checkout of
/// cedar-policy/cedar-integration-tests with its corpus unpacked.
fn integration_checkout() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("integration-repo"), dir.path());
    dir
}

#[test]
fn integration_tests_pass_at_the_root_of_a_checkout() {
    let repo = integration_checkout();
    let (assert, json) = test_json(repo.path(), &["tests/"]);
    assert_eq!(code(&assert), 0, "{json:#}");
    assert_eq!(
        json["summary"],
        json!({"passed": 19, "failed": 0, "file_errors": 0, "files": 7})
    );
    // The JSON policy set and JSON schema among the tests are not tests.
    let files: Vec<_> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].clone())
        .collect();
    assert!(!files.contains(&json!("tests/example_use_cases/schema_2a.json")));
    let (assert, json) = test_json(repo.path(), &["corpus-tests/"]);
    assert_eq!(code(&assert), 0, "{json:#}");
    assert_eq!(json["summary"]["passed"], 6);
    // The entities files next to the corpus tests are data.
    assert_eq!(json["summary"]["files"], 2);
}

#[test]
fn integration_paths_resolve_above_the_test_file_from_anywhere() {
    let repo = integration_checkout();
    let elsewhere = tempfile::tempdir().unwrap();
    let tests = repo.path().join("tests");
    let assert = test(elsewhere.path(), &[tests.to_str().unwrap()]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
    let assert = test(&repo.path().join("tests/multi"), &["1.json"]);
    assert_eq!(code(&assert), 0, "{}", stdout(&assert));
}

#[test]
fn integration_ids_are_cedar_positions_even_with_id_annotations() {
    let repo = integration_checkout();
    let (_, json) = test_json(repo.path(), &["tests/example_use_cases/1a.json"]);
    assert_eq!(
        test_named(&json, "alice should be able to view the photo")["actual"]["reason"],
        json!(["policy0"])
    );
}

/// What the Cedar test harness (cedar-testing's `perform_integration_test`) does with each
/// file of `harness-failures/`: it asserts the decision, `reason` and `errors` as exact sets,
/// asserts `shouldValidate` against strict validation, reads the context with the schema's
/// type for the action, and validates the request unless `validateRequest` is false.
#[test]
fn integration_files_fail_where_the_cedar_harness_fails() {
    let repo = integration_checkout();
    let (assert, json) = test_json(repo.path(), &["harness-failures/"]);
    assert_eq!(code(&assert), 1);
    let file = |name: &str| {
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"] == format!("harness-failures/{name}"))
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    let only_failure = |name: &str| {
        let f = file(name);
        assert_eq!(f["tests"].as_array().unwrap().len(), 1);
        failures(&f["tests"][0])
    };
    assert_eq!(
        only_failure("extra_reason.json"),
        "unexpected reason(s): `policy0`"
    );
    assert_eq!(
        only_failure("wrong_errors.json"),
        "unexpected error(s) from `policy0`"
    );
    assert_eq!(
        only_failure("invalid_request.json"),
        "invalid request: principal type `Administrator` is not valid for `Action::\"comment\"`"
    );
    assert!(
        only_failure("unknown_action.json")
            .contains("action `Action::\"fly\"` is not defined in the supplied schema"),
        "{json:#}"
    );
    let errors = |name: &str| -> String {
        file(name)["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}:{}: {}",
                    e["line"],
                    e["column"],
                    e["message"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        errors("should_validate_true.json"),
        "5:2: `shouldValidate` is true, but validation failed: for policy `policy0`, attribute `jobLevel` on entity type `Administrator` not found"
    );
    assert_eq!(
        errors("should_validate_false.json"),
        "5:2: `shouldValidate` is false, but the policies validate against the schema"
    );
    assert!(
        errors("missing_schema.json")
            .starts_with("4:2: `sample-data/sandbox_a/nope.cedarschema` not found"),
        "{}",
        errors("missing_schema.json")
    );
    // The requests of files whose validation expectation fails still ran, and passed.
    assert_eq!(
        file("should_validate_true.json")["tests"][0]["passed"],
        true
    );
}
