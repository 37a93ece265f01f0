//! `entity-literal-attribute` through the binary, as a user meets it in a schemaless set: the
//! finding at the read, and its counterexample as a `run-tests` entry in JSON.

mod support;

use support::cedarcheck;

const POLICIES: &str = r#"@id("marketing-manager-only")
forbid (principal, action == Action::"delete", resource)
when { Group::"Marketing".manager == principal };

@id("anyone")
permit (principal, action, resource);
"#;

#[test]
fn a_forbid_reading_an_entity_literal_is_reported_with_the_request_that_gets_through() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policies.cedar"), POLICIES).unwrap();

    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("[entity-literal-attribute]"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(
        line,
        "policies.cedar:3:8: error[entity-literal-attribute] `Group::\"Marketing\".manager` reads \
         an attribute of an entity literal: a request whose entities do not include \
         `Group::\"Marketing\"` makes this forbid error, and Cedar skips it (fails open); e.g. \
         the request (Principal::\"principal\", Action::\"delete\", Resource::\"resource\") with \
         no entities: with a permit that allows every request, Cedar allows it"
    );

    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "entity-literal-attribute")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(finding["counterexample"]["entities"], serde_json::json!([]));
    assert_eq!(finding["counterexample"]["decision"], "allow");
    assert_eq!(
        finding["counterexample"]["request"]["action"],
        "Action::\"delete\""
    );
}
