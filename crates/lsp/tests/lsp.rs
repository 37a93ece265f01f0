//! The language server, driven in-process by a mock editor over real JSON-RPC framing.

mod support;

use serde_json::{json, Value};
use support::{codes, uri, write, Editor};

const SCHEMA: &str = "namespace App {\n  entity User { admin: Bool };\n  entity Doc;\n  action read appliesTo { principal: [User], resource: [Doc] };\n}\n";
const A: &str = "@id(\"all\")\npermit(principal, action, resource);\nforbid(principal, action == App::Action::\"read\", resource) when { principal.admin };\n";
const B: &str =
    "@id(\"all\")\npermit(principal == App::User::\"x\", action, resource is App::Doc);\n";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "cedarcheck.toml",
                "policies = [\"policies/*.cedar\"]\nschema = \"policies/app.cedarschema\"\n\n[rules]\nmissing-policy-id = \"error\"\n",
            ),
            ("policies/app.cedarschema", SCHEMA),
            ("policies/a.cedar", A),
            ("policies/b.cedar", B),
        ],
    );
    dir
}

async fn editor(dir: &tempfile::TempDir) -> Editor {
    Editor::start(dir.path(), json!({"deep": false})).await
}

fn with(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |d| codes(d).iter().any(|c| c == code)
}

#[tokio::test]
async fn opening_a_policy_publishes_the_whole_sets_findings_with_config_levels() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let a = editor.open(&dir.path().join("policies/a.cedar"), A).await;
    let published = editor.diagnostics(&a, with("permit-all")).await;
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    let permit_all = diagnostics
        .iter()
        .find(|d| d["code"] == "permit-all")
        .unwrap();
    assert_eq!(
        permit_all["range"]["start"],
        json!({"line": 1, "character": 0})
    );
    assert_eq!(permit_all["severity"], 1);
    assert_eq!(permit_all["source"], "cedarcheck");
    // cedarcheck.toml raises missing-policy-id from warn to error.
    let missing = diagnostics
        .iter()
        .find(|d| d["code"] == "missing-policy-id")
        .unwrap();
    assert_eq!(missing["severity"], 1);
    assert_eq!(missing["range"]["start"]["line"], 2);

    // b.cedar is not open: its findings come from disk, related to a.cedar.
    let b = uri(&dir.path().join("policies/b.cedar"));
    let published = editor.diagnostics(&b, with("duplicate-policy-id")).await;
    let duplicate = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "duplicate-policy-id")
        .unwrap()
        .clone();
    let related = &duplicate["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], a);
    assert_eq!(
        related["location"]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn incremental_edits_are_checked_unsaved_and_published_with_their_version() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let a = editor.open(&dir.path().join("policies/a.cedar"), A).await;
    editor.diagnostics(&a, with("permit-all")).await;
    // Give the permit a condition: `permit(…) when { principal.admin };`.
    editor
        .notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": a, "version": 2},
                "contentChanges": [{"range": {"start": {"line": 1, "character": 35}, "end": {"line": 1, "character": 35}}, "text": " when { principal.nope }"}],
            }),
        )
        .await;
    let published = editor.diagnostics(&a, |d| !with("permit-all")(d)).await;
    assert_eq!(published["version"], 2);
    // The unsaved text is what was validated: `nope` is no attribute of User.
    assert!(
        with("schema-error")(published["diagnostics"].as_array().unwrap()),
        "{published}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("policies/a.cedar")).unwrap(),
        A
    );
    editor
        .notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": a, "version": 3},
                "contentChanges": [{"range": {"start": {"line": 1, "character": 53}, "end": {"line": 1, "character": 57}}, "text": "admin"}],
            }),
        )
        .await;
    let published = editor
        .diagnostics(&a, |d| !with("schema-error")(d) && !with("permit-all")(d))
        .await;
    assert_eq!(published["version"], 3);
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn a_schema_edit_republishes_the_policies_it_breaks() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let schema_path = dir.path().join("policies/app.cedarschema");
    let schema = editor.open(&schema_path, SCHEMA).await;
    let a = uri(&dir.path().join("policies/a.cedar"));
    editor.diagnostics(&a, |d| !with("schema-error")(d)).await;
    editor
        .notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": schema, "version": 2},
                "contentChanges": [{"text": SCHEMA.replace("admin: Bool", "admin: Long")}],
            }),
        )
        .await;
    // `when { principal.admin }` needs a Bool.
    editor.diagnostics(&a, with("schema-error")).await;
    // A syntax error in the schema is shown in the schema.
    editor
        .notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": schema, "version": 3},
                "contentChanges": [{"text": "namespace App { entity"}],
            }),
        )
        .await;
    let published = editor.diagnostics(&schema, with("parse-error")).await;
    assert_eq!(published["version"], 3);
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn hover_shows_rule_docs_on_a_finding_and_the_schema_on_a_type() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let a = editor.open(&dir.path().join("policies/a.cedar"), A).await;
    editor.diagnostics(&a, with("permit-all")).await;
    let hover = editor
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": a}, "position": {"line": 1, "character": 3}}),
        )
        .await;
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        text.starts_with("**permit-all** (security, default error)"),
        "{text}"
    );
    assert!(text.contains("## Why is this bad?"), "{text}");

    // On `App::Action::"read"` in the forbid: its declaration in the schema.
    let hover = editor
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": a}, "position": {"line": 2, "character": 44}}),
        )
        .await;
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("action `\"read\"`"), "{text}");
    // The forbid's own finding follows.
    assert!(text.contains("**missing-policy-id**"), "{text}");
    assert!(
        text.contains("action read appliesTo { principal: [User], resource: [Doc] };"),
        "{text}"
    );
    // Nothing to say on an annotation without findings.
    let hover = editor
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": a}, "position": {"line": 0, "character": 1}}),
        )
        .await;
    assert_eq!(hover["result"], Value::Null);
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn go_to_definition_jumps_to_the_schema_declaration() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let b = editor.open(&dir.path().join("policies/b.cedar"), B).await;
    // On `User` of `App::User::"x"`.
    let response = editor
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": b}, "position": {"line": 1, "character": 27}}),
        )
        .await;
    let location = &response["result"];
    assert_eq!(
        location["uri"],
        uri(&dir.path().join("policies/app.cedarschema"))
    );
    assert_eq!(
        location["range"],
        json!({"start": {"line": 1, "character": 9}, "end": {"line": 1, "character": 13}})
    );
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn document_symbols_list_policies_by_id_and_effect() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let a = editor.open(&dir.path().join("policies/a.cedar"), A).await;
    let response = editor
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": a}}),
        )
        .await;
    let symbols: Vec<(String, String, u64)> = response["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["detail"].as_str().unwrap().to_string(),
                s["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        symbols,
        [
            ("all".to_string(), "permit".to_string(), 0),
            ("policy1".to_string(), "forbid".to_string(), 2)
        ]
    );
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn formatting_uses_the_cedar_formatter_and_leaves_broken_text_alone() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let path = dir.path().join("policies/a.cedar");
    let messy = "permit(principal,action,resource)when{principal.admin};";
    let a = editor.open(&path, messy).await;
    let response = editor
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": a}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    let edits = response["result"].as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["newText"],
        "permit (principal, action, resource)\nwhen { principal.admin };\n"
    );
    assert_eq!(
        edits[0]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": messy.len()}})
    );
    editor
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": a, "version": 2}, "contentChanges": [{"text": "permit(principal"}]}),
        )
        .await;
    let response = editor
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": a}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    assert_eq!(response["result"], Value::Null, "{response}");
    assert_eq!(editor.shutdown().await, 0);
}

/// Applies the edits of a code action's workspace edit to `text` (one file, from the end).
fn apply(text: &str, edits: &[Value]) -> String {
    let index = cedarcheck_analyzer::LineIndex::new(text);
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize + 1;
        index.offset(text, line, p["character"].as_u64().unwrap() as usize + 1)
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, new);
    }
    out
}

#[tokio::test]
async fn code_actions_ignore_the_rule_or_add_an_id_and_the_finding_goes_away() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let a = editor.open(&dir.path().join("policies/a.cedar"), A).await;
    let published = editor.diagnostics(&a, with("missing-policy-id")).await;
    let diagnostics = published["diagnostics"].as_array().unwrap().clone();
    let permit_all = diagnostics
        .iter()
        .find(|d| d["code"] == "permit-all")
        .unwrap();
    let missing = diagnostics
        .iter()
        .find(|d| d["code"] == "missing-policy-id")
        .unwrap();
    let actions = |diagnostic: &Value| json!({"textDocument": {"uri": a}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}});
    let response = editor
        .request("textDocument/codeAction", actions(permit_all))
        .await;
    let titles: Vec<&str> = response["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Ignore `permit-all` for this policy (@cedarcheck_ignore)"]
    );
    let edits = &response["result"][0]["edit"]["changes"][&a];
    let ignored = apply(A, edits.as_array().unwrap());
    assert!(
        ignored.starts_with("@cedarcheck_ignore(\"permit-all\")\n@id(\"all\")\npermit"),
        "{ignored}"
    );

    let response = editor
        .request("textDocument/codeAction", actions(missing))
        .await;
    let add_id = response["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Add @id(\"a-forbid-1\")")
        .unwrap_or_else(|| panic!("{response}"));
    let with_id = apply(&ignored, add_id["edit"]["changes"][&a].as_array().unwrap());
    // Edits are computed on A; the added annotation line shifts nothing they touch.
    let with_id = with_id.replacen("@id(\"a-forbid-1\")\n", "", 0);
    editor
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": a, "version": 2}, "contentChanges": [{"text": with_id}]}),
        )
        .await;
    let published = editor
        .diagnostics(&a, |d| {
            !with("permit-all")(d) && !with("missing-policy-id")(d)
        })
        .await;
    assert_eq!(published["version"], 2);
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn files_outside_any_set_and_huge_files_get_a_note_not_a_crash() {
    let dir = workspace();
    let outside = tempfile::tempdir().unwrap();
    let mut editor = editor(&dir).await;
    // A policy file with no cedarcheck.toml and no schema around it.
    let lone = editor
        .open(
            &outside.path().join("lone.cedar"),
            "permit(principal, action, resource);",
        )
        .await;
    let published = editor.diagnostics(&lone, with("permit-all")).await;
    assert_eq!(published["version"], 1);
    // A file the config's globs do not list.
    let stray = editor
        .open(
            &dir.path().join("stray.cedar"),
            "permit(principal, action, resource);",
        )
        .await;
    let published = editor
        .diagnostics(&stray, |d| {
            d.iter().any(|d| {
                d["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("not part of any policy set")
            })
        })
        .await;
    assert!(with("permit-all")(
        published["diagnostics"].as_array().unwrap()
    ));
    let huge = "permit(principal, action, resource);\n".repeat(300_000);
    let big = editor.open(&outside.path().join("big.cedar"), &huge).await;
    let published = editor.diagnostics(&big, |d| !d.is_empty()).await;
    assert!(published["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("too large"));
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn malformed_messages_and_unknown_documents_never_crash_the_server() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    for garbage in [
        &b"{this is not json"[..],
        b"[1, 2]",
        b"{\"jsonrpc\": \"2.0\"}",
    ] {
        editor.send_raw(garbage).await;
        let log = editor
            .wait_for(|m| {
                m["method"] == "window/logMessage"
                    && m["params"]["message"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("cedarcheck: ignored")
            })
            .await;
        assert_eq!(log["params"]["type"], 1, "{log}");
    }
    // A header without a length.
    editor.send_raw_header(b"Content-Type: x\r\n\r\n").await;
    editor
        .wait_for(|m| {
            m["params"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("Content-Length")
        })
        .await;
    // Wrong parameters are an error answer, not a crash.
    let response = editor
        .request("textDocument/hover", json!({"nonsense": true}))
        .await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    // Requests about documents that exist nowhere answer null.
    let nowhere = uri(&dir.path().join("nowhere.cedar"));
    for method in ["textDocument/hover", "textDocument/definition"] {
        let response = editor
            .request(
                method,
                json!({"textDocument": {"uri": nowhere}, "position": {"line": 0, "character": 0}}),
            )
            .await;
        assert_eq!(response["result"], Value::Null, "{method}: {response}");
    }
    let response = editor
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": nowhere}}),
        )
        .await;
    assert_eq!(response["result"], Value::Null);
    // A change to a document that was never opened is logged and ignored.
    editor
        .notify("textDocument/didChange", json!({"textDocument": {"uri": nowhere, "version": 2}, "contentChanges": [{"text": "x"}]}))
        .await;
    editor
        .wait_for(|m| m["method"] == "window/logMessage")
        .await;
    // Positions far outside the text are clamped.
    let a = editor.open(&dir.path().join("policies/a.cedar"), A).await;
    let response = editor
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": a}, "position": {"line": 999, "character": 999}}),
        )
        .await;
    assert!(response.get("error").is_none(), "{response}");
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn exit_without_shutdown_ends_with_code_1() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    editor.notify("exit", Value::Null).await;
    let code = tokio::time::timeout(support::TIMEOUT, editor.server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code, 1);
}
