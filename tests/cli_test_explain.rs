//! `cedarcheck test` says which condition made a test fail (README "Tests", "Why a test
//! failed"), reads YAML test files, entities written in a test's request, and the expected
//! decisions `forbidden` and `not-permitted`. The fixture is tests/fixtures/test_explain: a
//! permit whose condition compares the agent's team with the host's owner, a permit for humans
//! and a forbid with an `unless`.

mod support;

use std::path::PathBuf;

use serde_json::{json, Value};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test_explain")
}

/// `cedarcheck test ARGS` in the fixture: exit code and stdout without its last line (the
/// summary, which has the time the run took), and that line.
fn test(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["test", "--color", "never"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = support::cedarcheck(&fixture(), &all);
    let mut lines: Vec<&str> = stdout.lines().collect();
    let summary = lines
        .pop()
        .unwrap_or_else(|| panic!("no output; stderr:\n{stderr}"));
    let mut body = lines.join("\n");
    body.push('\n');
    (code, body, summary.to_string())
}

fn json_of(args: &[&str]) -> Value {
    json_in(&fixture(), args)
}

fn json_in(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["test", "--format", "json"];
    all.extend_from_slice(args);
    let (_, stdout, stderr) = support::cedarcheck(dir, &all);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"))
}

/// `cedarcheck test --color never ARGS` in `dir`: exit code, stdout without the summary
/// line (it has the time the run took), that line, and stderr.
fn test_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String, String) {
    let mut all = vec!["test", "--color", "never"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = support::cedarcheck(dir, &all);
    let (body, summary) = stdout
        .trim_end()
        .rsplit_once('\n')
        .map_or(("", stdout.trim_end()), |(body, summary)| (body, summary));
    let mut body = body.to_string();
    if !body.is_empty() {
        body.push('\n');
    }
    (code, body, summary.to_string(), stderr)
}

fn write_files(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn a_wrong_decision_names_the_condition_its_place_and_the_values_it_read() {
    let (code, stdout, summary) = test(&["tests/explain.json"]);
    assert_eq!(code, 1);
    assert!(
        summary.starts_with("0 passed, 3 failed (1 file, "),
        "{summary}"
    );
    // Expected allow, got deny: each permit, by its scope or its first false condition with
    // the operands it compared; expected deny, got allow: the permit that allowed and the
    // forbid whose `unless` held.
    assert_eq!(stdout, EXPLAIN, "{stdout}");
}

const EXPLAIN: &str = r#"FAIL tests/explain.json:4: openclaw reads nginx logs on a host its team does not own
  request   principal Ops::Agent::"openclaw"
            action    Ops::Action::"ReadLogs"
            resource  Ops::LogDirectory::"web-01-nginx"
            context   {"mfa":false}
  decision  expected allow, got deny
  reasons   (none expected, none determined)
  because   permit agent-read-managed-logs: policies/ops.cedar:3:8: when `principal.team == resource.host.owner` is false
                principal.team      = Ops::Team::"sre"
                resource.host.owner = Ops::Team::"netsec"
            permits whose scope does not match: human-read-logs (principal is Ops::Human)
  why       expected allow, got deny

FAIL tests/explain.json:14: openclaw reads auth logs without mfa
  request   principal Ops::Agent::"openclaw"
            action    Ops::Action::"ReadLogs"
            resource  Ops::LogDirectory::"db-01-auth"
            context   {"mfa":false}
  decision  expected allow, got deny
  reasons   + forbid-sensitive-without-mfa  determined the decision
  because   permit agent-read-managed-logs: policies/ops.cedar:3:49: when `!resource.sensitive` is false
                resource.sensitive = true
            permits whose scope does not match: human-read-logs (principal is Ops::Human)
  why       expected allow, got deny

FAIL tests/explain.json:24: dana never reads auth logs
  request   principal Ops::Human::"dana"
            action    Ops::Action::"ReadLogs"
            resource  Ops::LogDirectory::"db-01-auth"
            context   {"mfa":true}
  decision  expected deny, got allow
  reasons   + human-read-logs  determined the decision
  because   permit human-read-logs: scope matches and every condition holds
            forbid forbid-sensitive-without-mfa: policies/ops.cedar:12:10: unless `context.mfa` is true
  why       expected deny, got allow

"#;

#[test]
fn json_carries_the_explanation_as_data() {
    let json = json_of(&["tests/explain.json"]);
    let tests = &json["files"][0]["tests"];
    assert_eq!(
        tests[0]["explanation"],
        json!([
            {
                "policy": "agent-read-managed-logs",
                "effect": "permit",
                "outcome": "condition",
                "clause": "when",
                "text": "principal.team == resource.host.owner",
                "at": {"file": "policies/ops.cedar", "line": 3, "column": 8},
                "value": "false",
                "error": null,
                "values": [
                    {"text": "principal.team", "value": "Ops::Team::\"sre\"", "error": null},
                    {"text": "resource.host.owner", "value": "Ops::Team::\"netsec\"", "error": null}
                ]
            },
            {
                "policy": "human-read-logs",
                "effect": "permit",
                "outcome": "scope-mismatch",
                "element": "principal",
                "scope": "principal is Ops::Human",
                "at": {"file": "policies/ops.cedar", "line": 6, "column": 9}
            }
        ])
    );
    assert_eq!(
        tests[2]["explanation"],
        json!([
            {"policy": "human-read-logs", "effect": "permit", "outcome": "applied"},
            {
                "policy": "forbid-sensitive-without-mfa",
                "effect": "forbid",
                "outcome": "condition",
                "clause": "unless",
                "text": "context.mfa",
                "at": {"file": "policies/ops.cedar", "line": 12, "column": 10},
                "value": "true",
                "error": null,
                "values": []
            }
        ])
    );
}

#[test]
fn a_passing_test_has_no_explanation() {
    let json = json_of(&["tests/decisions.json"]);
    for test in json["files"][0]["tests"].as_array().unwrap() {
        assert_eq!(test["passed"], true, "{test:#}");
        assert_eq!(test["explanation"], json!([]), "{test:#}");
    }
}

#[test]
fn forbidden_and_not_permitted_tell_the_two_denies_apart() {
    let (code, _, summary) = test(&["tests/decisions.json"]);
    assert_eq!(code, 0);
    assert!(
        summary.starts_with("2 passed, 0 failed (1 file, "),
        "{summary}"
    );
    let json = json_of(&["tests/decisions.json"]);
    assert_eq!(
        json["files"][0]["tests"][0]["expected"]["decision"],
        "forbidden"
    );
    assert_eq!(
        json["files"][0]["tests"][1]["expected"]["decision"],
        "not-permitted"
    );

    let (code, stdout, _) = test(&["tests/decisions-failing.json"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, DECISIONS_FAILING, "{stdout}");
}

const DECISIONS_FAILING: &str = r#"FAIL tests/decisions-failing.json:4: nginx logs on a host of another team are forbidden
  request   principal Ops::Agent::"openclaw"
            action    Ops::Action::"ReadLogs"
            resource  Ops::LogDirectory::"web-01-nginx"
            context   {"mfa":false}
  decision  expected forbidden, got not-permitted
  reasons   (none expected, none determined)
  because   forbid forbid-sensitive-without-mfa: policies/ops.cedar:11:8: when `resource.sensitive` is false
  why       expected forbidden, got not-permitted

FAIL tests/decisions-failing.json:14: auth logs without mfa are merely not permitted
  request   principal Ops::Agent::"openclaw"
            action    Ops::Action::"ReadLogs"
            resource  Ops::LogDirectory::"db-01-auth"
            context   {"mfa":false}
  decision  expected not-permitted, got forbidden
  reasons   + forbid-sensitive-without-mfa  determined the decision
  because   forbid forbid-sensitive-without-mfa: scope matches and every condition holds
  why       expected not-permitted, got forbidden

"#;

#[test]
fn a_test_writes_its_principal_and_resource_in_place() {
    // No entities file at all.
    let (code, _, summary) = test(&["-v", "tests/inline.json"]);
    assert_eq!(code, 0);
    assert!(
        summary.starts_with("2 passed, 0 failed (1 file, "),
        "{summary}"
    );
    // Added to an entities file: a new agent, and one the file has, written the same.
    let (code, _, summary) = test(&["tests/inline-with-file.json"]);
    assert_eq!(code, 0);
    assert!(
        summary.starts_with("2 passed, 0 failed (1 file, "),
        "{summary}"
    );
    // The same entity given differently is an error at the test's mention of it.
    let (code, stdout, _) = test(&["tests/inline-conflict.json"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, INLINE_CONFLICT, "{stdout}");
}

const INLINE_CONFLICT: &str = r#"FAIL tests/inline-conflict.json:4: openclaw moved to netsec, but the entities file says sre
  request   principal Ops::Agent::"openclaw"
            action    Ops::Action::"ReadLogs"
            resource  Ops::LogDirectory::"web-01-nginx"
            context   {"mfa":false}
  decision  expected allow, but the request was not evaluated
  why       tests/inline-conflict.json:7:51: invalid entities in the request: entity `Ops::Agent::"openclaw"` is given twice with different contents: `attrs` {"team":{"__entity":{"type":"Ops::Team","id":"netsec"}}} in the request, {"team":{"__entity":{"type":"Ops::Team","id":"sre"}}} in the test's entities; `parents` [] in the request, [{"type":"Ops::Team","id":"sre"}] in the test's entities

"#;

#[test]
fn yaml_test_files_pass_fail_and_are_located_in_the_yaml() {
    let (code, _, summary) = test(&["tests/ops.yaml"]);
    assert_eq!(code, 0);
    assert!(
        summary.starts_with("3 passed, 0 failed (1 file, "),
        "{summary}"
    );
    let (code, stdout, summary) = test(&["tests/failing.yaml"]);
    assert_eq!(code, 1);
    assert!(
        summary.starts_with("1 passed, 2 failed (1 file, "),
        "{summary}"
    );
    assert_eq!(stdout, FAILING_YAML, "{stdout}");
}

const FAILING_YAML: &str = r#"FAIL tests/failing.yaml:11: openclaw reads nginx logs on web-01
  request   principal Ops::Agent::"openclaw"
            action    Ops::Action::"ReadLogs"
            resource  Ops::LogDirectory::"web-01-nginx"
            context   {"mfa":false}
  decision  expected allow, got deny
  reasons   (none expected, none determined)
  because   permit agent-read-managed-logs: policies/ops.cedar:3:8: when `principal.team == resource.host.owner` is false
                principal.team      = Ops::Team::"sre"
                resource.host.owner = Ops::Team::"netsec"
            permits whose scope does not match: human-read-logs (principal is Ops::Human)
  why       expected allow, got deny

FAIL tests/failing.yaml:19: a typo in a key
  why       tests/failing.yaml:25:5: invalid test: unknown field `reasons`, expected one of `name`, `request`, `entities`, `decision`, `reason`, `num_errors`, `validate_request`

"#;

#[test]
fn yaml_files_are_found_by_the_tests_globs_beside_the_json_ones() {
    let json = json_of(&[]);
    let files: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"tests/ops.yaml"), "{files:?}");
    assert!(files.contains(&"tests/explain.json"), "{files:?}");
}

#[test]
fn broken_yaml_is_an_error_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        (
            "cedarcheck.toml",
            "policies = [\"*.cedar\"]\ntests = [\"*.yaml\"]\n",
        ),
        ("p.cedar", "permit (principal, action, resource);\n"),
        (
            "t.yaml",
            "tests:\n  - name: a\n    request: {principal: User::\"a\"\n",
        ),
    ] {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let (code, stdout, _) = support::cedarcheck(dir.path(), &["test", "t.yaml"]);
    assert_eq!(code, 1);
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with("ERROR t.yaml:4:1: invalid YAML: "),
        "{stdout}"
    );
}

#[test]
fn junit_failures_carry_the_explanation() {
    let (code, stdout, _) = support::cedarcheck(
        &fixture(),
        &["test", "--format", "junit", "tests/explain.json"],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "because: permit agent-read-managed-logs: policies/ops.cedar:3:8: when `principal.team == resource.host.owner` is false\n      principal.team      = Ops::Team::\"sre\"\n      resource.host.owner = Ops::Team::\"netsec\"\n  permits whose scope does not match: human-read-logs (principal is Ops::Human)\n"
        ),
        "{stdout}"
    );
}

#[test]
fn without_a_config_yaml_tests_are_found_and_other_yaml_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    for (path, text) in [
        ("p.cedar", "permit (principal == User::\"a\", action, resource);\n"),
        ("docker-compose.yml", "services:\n  web:\n    image: nginx\n"),
        (
            "tests/reads.yaml",
            "tests:\n  - name: a is allowed\n    request: {principal: User::\"a\", action: Action::\"r\", resource: Doc::\"d\"}\n    decision: allow\n  - name: b is not permitted\n    request: {principal: User::\"b\", action: Action::\"r\", resource: Doc::\"d\"}\n    decision: not-permitted\n",
        ),
    ] {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let (code, stdout, stderr) = support::cedarcheck(dir.path(), &["test", "-v", "."]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with(
            "ok   tests/reads.yaml:2: a is allowed\nok   tests/reads.yaml:5: b is not permitted\n2 passed, 0 failed (1 file, "
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains("skipped docker-compose.yml: not a test file"),
        "{stderr}"
    );
}

/// tests/fixtures/test_explain_links: a template with a condition and one link of it, a
/// permit that a forbid overrides, and a permit that reads an entity literal's attribute.
fn links_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test_explain_links")
}

#[test]
fn a_template_link_is_explained_at_its_template_in_the_template_file() {
    let (code, stdout, summary, _) = test_in(&links_fixture(), &[]);
    assert_eq!(code, 1);
    assert!(
        summary.starts_with("0 passed, 4 failed (1 file, "),
        "{summary}"
    );
    assert_eq!(stdout, LINKS, "{stdout}");
    // In JSON, the link names its template; `at` is in the template's file (links.json has
    // 3 lines), at the condition and at the scope element as the template writes them.
    let json = json_in(&links_fixture(), &[]);
    let tests = &json["files"][0]["tests"];
    assert_eq!(
        tests[0]["explanation"][2],
        json!({
            "policy": "alice-views-q3",
            "effect": "permit",
            "template": "viewer",
            "outcome": "condition",
            "clause": "when",
            "text": "!resource.archived",
            "at": {"file": "policies.cedar", "line": 7, "column": 8},
            "value": "false",
            "error": null,
            "values": [{"text": "resource.archived", "value": "true", "error": null}]
        })
    );
    assert_eq!(
        tests[1]["explanation"][2],
        json!({
            "policy": "alice-views-q3",
            "effect": "permit",
            "template": "viewer",
            "outcome": "scope-mismatch",
            "element": "principal",
            "scope": "principal == User::\"alice\"",
            "at": {"file": "policies.cedar", "line": 6, "column": 9}
        })
    );
}

#[test]
fn a_permit_a_forbid_overrode_names_the_forbid() {
    let json = json_in(&links_fixture(), &[]);
    assert_eq!(
        json["files"][0]["tests"][2]["explanation"][0],
        json!({
            "policy": "owner-edits",
            "effect": "permit",
            "outcome": "applied",
            "overridden_by": ["no-edits-when-frozen"]
        })
    );
    // The pretty line is in LINKS: "permit owner-edits: scope matches and every condition
    // holds, but forbid no-edits-when-frozen overrode it".
}

#[test]
fn an_entity_literal_attribute_shows_its_value_or_its_error() {
    let json = json_in(&links_fixture(), &[]);
    assert_eq!(
        json["files"][0]["tests"][3]["explanation"][1],
        json!({
            "policy": "managers-delete",
            "effect": "permit",
            "outcome": "condition",
            "clause": "when",
            "text": "Group::\"admins\".manager == principal",
            "at": {"file": "policies.cedar", "line": 15, "column": 8},
            "value": null,
            "error": "entity `Group::\"admins\"` does not exist",
            "values": [
                {"text": "Group::\"admins\".manager", "value": null, "error": "entity `Group::\"admins\"` does not exist"},
                {"text": "principal", "value": "User::\"bob\"", "error": null}
            ]
        })
    );
}

const LINKS: &str = r#"FAIL tests/links.json:9: alice views an archived report in q3
  request   principal User::"alice"
            action    Action::"view"
            resource  Doc::"old-report"
            context   {}
  decision  expected allow, got deny
  reasons   (none expected, none determined)
  because   permit alice-views-q3 (a link of template viewer): policies.cedar:7:8: when `!resource.archived` is false
                resource.archived = true
            permits whose scope does not match: owner-edits (action == Action::"edit"), managers-delete (action == Action::"delete")
  why       expected allow, got deny

FAIL tests/links.json:14: bob views the report
  request   principal User::"bob"
            action    Action::"view"
            resource  Doc::"old-report"
            context   {}
  decision  expected allow, got deny
  reasons   (none expected, none determined)
  because   permits whose scope does not match: owner-edits (action == Action::"edit"), managers-delete (action == Action::"delete"), alice-views-q3 (a link of template viewer: principal == User::"alice")
  why       expected allow, got deny

FAIL tests/links.json:19: bob edits his frozen report
  request   principal User::"bob"
            action    Action::"edit"
            resource  Doc::"old-report"
            context   {}
  decision  expected allow, got deny
  reasons   + no-edits-when-frozen  determined the decision
  because   permit owner-edits: scope matches and every condition holds, but forbid no-edits-when-frozen overrode it
            permits whose scope does not match: managers-delete (action == Action::"delete"), alice-views-q3 (a link of template viewer: principal == User::"alice")
  why       expected allow, got deny

FAIL tests/links.json:24: bob deletes the report
  request   principal User::"bob"
            action    Action::"delete"
            resource  Doc::"old-report"
            context   {}
  decision  expected allow, got deny
  reasons   (none expected, none determined)
  errors    1 (0 expected):
            managers-delete: entity `Group::"admins"` does not exist
  because   permit managers-delete: policies.cedar:15:8: when `Group::"admins".manager == principal` raised an error: entity `Group::"admins"` does not exist
                Group::"admins".manager = error: entity `Group::"admins"` does not exist
                principal               = User::"bob"
            permits whose scope does not match: owner-edits (action == Action::"edit"), alice-views-q3 (a link of template viewer: principal == User::"alice")
  why       expected allow, got deny

"#;

/// tests/fixtures/test_explain_json_policies: a policy set in Cedar's JSON format, with a
/// forbid whose `when` is a `>` and whose `unless` reads the context.
#[test]
fn a_json_policy_is_explained_as_written_at_its_condition_in_the_json() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test_explain_json_policies");
    let (code, stdout, summary, _) = test_in(&dir, &[]);
    assert_eq!(code, 1);
    assert!(
        summary.starts_with("0 passed, 3 failed (1 file, "),
        "{summary}"
    );
    assert_eq!(stdout, JSON_POLICIES, "{stdout}");
    let json = json_in(&dir, &[]);
    assert_eq!(
        json["files"][0]["tests"][0]["explanation"][1],
        json!({
            "policy": "big-uploads",
            "effect": "forbid",
            "outcome": "condition",
            "clause": "when",
            "text": "(context.mb * 1024) > 4096",
            "at": {"file": "policies/api.cedar.json", "line": 16, "column": 9},
            "value": "false",
            "error": null,
            "values": [{"text": "context.mb * 1024", "value": "3072", "error": null}]
        })
    );
    assert_eq!(
        json["files"][0]["tests"][2]["explanation"][0]["at"],
        json!({"file": "policies/api.cedar.json", "line": 6, "column": 17})
    );
}

const JSON_POLICIES: &str = r#"FAIL tests/uploads.json:4: a 3 GB upload is forbidden
  request   principal User::"u"
            action    Action::"get"
            resource  Route::"r"
            context   {"mb":3,"trusted":false}
  decision  expected forbidden, got allow
  reasons   + get-anything  determined the decision
  because   permit get-anything: scope matches and every condition holds
            forbid big-uploads: policies/api.cedar.json:16:9: when `(context.mb * 1024) > 4096` is false
                context.mb * 1024 = 3072
  why       expected forbidden, got allow

FAIL tests/uploads.json:9: a trusted 5000 GB upload is forbidden
  request   principal User::"u"
            action    Action::"get"
            resource  Route::"r"
            context   {"mb":5000,"trusted":true}
  decision  expected forbidden, got allow
  reasons   + get-anything  determined the decision
  because   permit get-anything: scope matches and every condition holds
            forbid big-uploads: policies/api.cedar.json:17:9: unless `context.trusted` is true
  why       expected forbidden, got allow

FAIL tests/uploads.json:14: posting is allowed
  request   principal User::"u"
            action    Action::"post"
            resource  Route::"r"
            context   {"mb":1,"trusted":true}
  decision  expected allow, got deny
  reasons   (none expected, none determined)
  because   permits whose scope does not match: get-anything (action == Action::"get")
  why       expected allow, got deny

"#;

#[test]
fn a_json_policy_among_the_test_files_is_a_policy_not_a_test() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            (
                "p.cedar",
                "permit (principal == User::\"a\", action, resource);\n",
            ),
            (
                "single.json",
                r#"{"effect": "forbid", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}"#,
            ),
            (
                "tests/t.json",
                r#"{"tests": [{"name": "b is denied", "request": {"principal": "User::\"b\"", "action": "Action::\"r\"", "resource": "Doc::\"d\""}, "decision": "deny"}]}"#,
            ),
        ],
    );
    // Found while searching: skipped, and `-v` says what it is.
    let (code, stdout, _, stderr) = test_in(dir.path(), &["-v", "."]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("skipped single.json: not a test file (a Cedar policy in JSON format)\n"),
        "{stderr}"
    );
    // Named on the command line: an error that says so.
    let (code, stdout, summary, _) = test_in(dir.path(), &["single.json"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "ERROR single.json:1:1: not a test file: this is a Cedar policy in JSON format; a test file is a `cedar run-tests` array, a Cedar integration test or a native `{\"tests\": […]}` file\n"
    );
    assert!(
        summary.starts_with("0 passed, 0 failed, 1 file error (1 file, "),
        "{summary}"
    );
}

#[test]
fn a_broken_yaml_file_fails_as_an_error_not_as_an_empty_run() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("p.cedar", "permit (principal, action == Action::\"a\", resource);\n"),
            (
                "t.yaml",
                "tests:\n  - name: x\n    request:\n      principal: User::\"u\"\n     action: Action::\"a\"\n",
            ),
        ],
    );
    for args in [&[][..], &["--allow-empty"][..]] {
        let (code, stdout, summary, stderr) = test_in(dir.path(), args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(
            stdout, "ERROR t.yaml:5:6: invalid YAML: did not find expected key\n",
            "{args:?}"
        );
        assert!(
            summary.starts_with("0 passed, 0 failed, 1 file error (1 file, "),
            "{summary}"
        );
        // Not "the test files hold no tests", nor "--allow-empty accepts that".
        assert_eq!(stderr, "", "{args:?}");
    }
}
