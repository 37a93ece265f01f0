//! Deep findings in the editor: computed in the background, merged into the static ones, and
//! retired by the next edit. Needs cvc5: skips without it, fails under CI=true.

mod support;

use serde_json::json;
use support::{codes, write, Editor};

const SCHEMA: &str = "namespace App {\n  entity User;\n  entity Doc;\n  action read appliesTo { principal: [User], resource: [Doc] };\n}\n";
const POLICIES: &str = "@id(\"read\")\npermit(principal is App::User, action == App::Action::\"read\", resource is App::Doc);\n@id(\"deny\")\nforbid(principal, action, resource);\npermit(principal is App::User, action, resource is App::Doc);\n";

fn solver_present() -> bool {
    if cedarcheck_prover::find_cvc5().is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "cvc5 is required under CI (set $CVC5 or put it on PATH)"
    );
    eprintln!("skipped: cvc5 not found (set $CVC5 or put it on PATH)");
    false
}

#[tokio::test]
async fn deep_findings_arrive_in_the_background_and_the_next_edit_retires_them() {
    if !solver_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("app.cedarschema", SCHEMA), ("policies.cedar", POLICIES)],
    );
    let mut editor = Editor::start(dir.path(), json!({"deep": true})).await;
    let uri = editor
        .open(&dir.path().join("policies.cedar"), POLICIES)
        .await;
    let published = editor
        .diagnostics(&uri, |d| codes(d).iter().any(|c| c == "overridden-permit"))
        .await;
    assert_eq!(published["version"], 1);
    let overridden = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "overridden-permit")
        .unwrap()
        .clone();
    // At the permit's `@id`, as `cedarcheck check` reports it.
    assert_eq!(overridden["range"]["start"]["line"], 0, "{overridden}");
    // The forbid that overrides it is related information.
    assert_eq!(
        overridden["relatedInformation"][0]["location"]["range"]["start"]["line"], 2,
        "{overridden}"
    );
    // Static findings are still there, merged.
    assert!(
        codes(published["diagnostics"].as_array().unwrap())
            .iter()
            .any(|c| c == "missing-policy-id"),
        "{published}"
    );
    // Delete the forbid: the next publication no longer carries the deep finding of the old
    // text, even before the new deep run ends.
    editor
        .notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 4, "character": 0}}, "text": ""}],
            }),
        )
        .await;
    let published = editor
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 2
        })
        .await;
    assert!(
        !codes(published["params"]["diagnostics"].as_array().unwrap())
            .iter()
            .any(|c| c == "overridden-permit"),
        "{published}"
    );
    assert_eq!(editor.shutdown().await, 0);
}
