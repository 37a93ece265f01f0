//! Formatting through the protocol: the server formats with the core's `ide::format`, behind
//! the same "does it parse" gate as `cedarcheck fmt`.

mod support;

use serde_json::{json, Value};
use support::{write, Editor};

/// A document nested deeper than `check` parses is left alone, as `cedarcheck fmt` leaves
/// it (before, the server handed it to Cedar's recursive parser and the formatter).
#[tokio::test]
async fn a_document_nested_too_deep_to_check_is_not_formatted() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("cedarcheck.toml", "policies = [\"policies/*.cedar\"]\n")],
    );
    let mut editor = Editor::start(dir.path(), json!({"deep": false})).await;
    let depth = 1_001;
    let deep = format!(
        "permit(principal,action,resource)when{{{}true{}}};",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let a = editor
        .open(&dir.path().join("policies/a.cedar"), &deep)
        .await;
    let response = editor
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": a}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    assert_eq!(response["result"], Value::Null, "{response}");
    // The same text within the limit is formatted.
    let shallow = "permit(principal,action,resource)when{((true))};";
    let b = editor
        .open(&dir.path().join("policies/b.cedar"), shallow)
        .await;
    let response = editor
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": b}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    let edits = response["result"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{response}");
    assert_eq!(
        edits[0]["newText"],
        "permit (principal, action, resource)\nwhen { ((true)) };\n"
    );
    assert_eq!(editor.shutdown().await, 0);
}
