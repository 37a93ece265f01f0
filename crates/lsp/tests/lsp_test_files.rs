//! Test-file diagnostics say why a test got the wrong decision (README "Tests", "Why a test
//! failed"): the condition that kept each permit from applying, with the values it read, in
//! the message, and at its place in the policy file as related information.

mod support;

use serde_json::{json, Value};
use support::{uri, write, Editor};

const SCHEMA: &str = include_str!("../../../tests/fixtures/test_explain/policies/ops.cedarschema");
const POLICIES: &str = include_str!("../../../tests/fixtures/test_explain/policies/ops.cedar");
const ENTITIES: &str = include_str!("../../../tests/fixtures/test_explain/tests/ops.entities.json");
const TESTS: &str = include_str!("../../../tests/fixtures/test_explain/tests/explain.json");

#[tokio::test]
async fn a_failing_test_shows_the_condition_that_denied_it_and_the_values_it_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "cedarcheck.toml",
                "policies = [\"policies/*.cedar\"]\nschema = \"policies/ops.cedarschema\"\ntests = [\"tests/*.json\"]\n",
            ),
            ("policies/ops.cedarschema", SCHEMA),
            ("policies/ops.cedar", POLICIES),
            ("tests/ops.entities.json", ENTITIES),
            ("tests/explain.json", TESTS),
        ],
    );
    let mut editor = Editor::start(dir.path(), json!({"deep": false})).await;
    let tests = editor
        .open(&dir.path().join("tests/explain.json"), TESTS)
        .await;
    let published = editor.diagnostics(&tests, |d| d.len() == 3).await;
    let first = &published["diagnostics"][0];
    // At the test's name, line 5 (0-based 4).
    assert_eq!(first["range"]["start"]["line"], 4, "{first:#}");
    let message = first["message"].as_str().unwrap();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines[0], "expected allow, got deny", "{message}");
    let because: Vec<&str> = lines
        .iter()
        .copied()
        .skip_while(|l| !l.starts_with("because"))
        .collect();
    assert_eq!(
        because,
        [
            "because   permit agent-read-managed-logs: policies/ops.cedar:3:8: when `principal.team == resource.host.owner` is false",
            "              principal.team      = Ops::Team::\"sre\"",
            "              resource.host.owner = Ops::Team::\"netsec\"",
            "          permits whose scope does not match: human-read-logs (principal is Ops::Human)",
        ],
        "{message}"
    );
    // The condition, at its place in the policy file.
    let policy_uri = uri(&dir.path().join("policies/ops.cedar"));
    let related: Vec<&Value> = first["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["location"]["uri"] == policy_uri.as_str())
        .collect();
    let condition = related
        .iter()
        .find(|r| r["message"].as_str().unwrap().contains("is false"))
        .unwrap_or_else(|| panic!("{related:#?}"));
    assert_eq!(
        condition["location"]["range"]["start"],
        json!({"line": 2, "character": 7}),
        "{condition:#}"
    );
    assert!(
        condition["message"]
            .as_str()
            .unwrap()
            .contains("resource.host.owner = Ops::Team::\"netsec\""),
        "{condition:#}"
    );
    // An unexpected allow names the forbid's `unless` that held.
    let third = published["diagnostics"][2]["message"].as_str().unwrap();
    assert!(
        third.contains(
            "forbid forbid-sensitive-without-mfa: policies/ops.cedar:12:10: unless `context.mfa` is true"
        ),
        "{third}"
    );
    assert_eq!(editor.shutdown().await, 0);
}

const FAILING_YAML: &str = include_str!("../../../tests/fixtures/test_explain/tests/failing.yaml");

#[tokio::test]
async fn a_yaml_test_file_gets_its_diagnostics_at_its_tests() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "cedarcheck.toml",
                "policies = [\"policies/*.cedar\"]\nschema = \"policies/ops.cedarschema\"\ntests = [\"tests/*.yaml\"]\n",
            ),
            ("policies/ops.cedarschema", SCHEMA),
            ("policies/ops.cedar", POLICIES),
            ("tests/ops.entities.json", ENTITIES),
            ("tests/failing.yaml", FAILING_YAML),
        ],
    );
    let mut editor = Editor::start(dir.path(), json!({"deep": false})).await;
    let tests = editor
        .open(&dir.path().join("tests/failing.yaml"), FAILING_YAML)
        .await;
    let published = editor.diagnostics(&tests, |d| d.len() == 2).await;
    let diagnostics = published["diagnostics"].as_array().unwrap();
    // The failing test, at its `-` item (line 11, 0-based 10), with the explanation.
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 10, "character": 2}),
        "{published:#}"
    );
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(
        message.contains("because   permit agent-read-managed-logs: policies/ops.cedar:3:8: when `principal.team == resource.host.owner` is false"),
        "{message}"
    );
    // The malformed test, at the unknown key (line 25, column 5).
    assert_eq!(
        diagnostics[1]["range"]["start"],
        json!({"line": 24, "character": 4}),
        "{published:#}"
    );
    assert!(
        diagnostics[1]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid test: unknown field `reasons`"),
        "{published:#}"
    );
    assert_eq!(editor.shutdown().await, 0);
}
