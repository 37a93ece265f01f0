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
    // cedarcheck.toml raises missing-policy-id from info to error.
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

/// The diagnostics published for `uri` at `version`: (code, first line, message) of each.
async fn published_at(editor: &mut Editor, uri: &str, version: i32) -> Vec<(String, u64, String)> {
    let published = editor
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        })
        .await;
    let mut found: Vec<(String, u64, String)> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

async fn edit(editor: &mut Editor, uri: &str, version: i32, at: (u32, u32, u32, u32), text: &str) {
    editor
        .notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": at.0, "character": at.1}, "end": {"line": at.2, "character": at.3}}, "text": text}],
            }),
        )
        .await;
}

#[tokio::test]
async fn findings_follow_edits_above_them_through_a_syntax_error_and_its_fix() {
    let dir = workspace();
    let mut editor = editor(&dir).await;
    let a = editor.open(&dir.path().join("policies/a.cedar"), A).await;
    let at = |list: Vec<(String, u64, String)>| -> Vec<(String, u64)> {
        list.into_iter()
            .map(|(code, line, _)| (code, line))
            .collect()
    };
    let found = |list: &[(&str, u64)]| -> Vec<(String, u64)> {
        let mut list: Vec<(String, u64)> = list.iter().map(|(c, l)| (c.to_string(), *l)).collect();
        list.sort();
        list
    };
    let initially = found(&[("missing-policy-id", 2), ("permit-all", 1)]);
    assert_eq!(at(published_at(&mut editor, &a, 1).await), initially);
    // Two lines above everything: every finding moves down two lines.
    edit(&mut editor, &a, 2, (0, 0, 0, 0), "// a note; \"quoted\n\n").await;
    let moved = found(&[("missing-policy-id", 4), ("permit-all", 3)]);
    assert_eq!(at(published_at(&mut editor, &a, 2).await), moved);
    // Delete the permit's `;`: the file no longer parses, and says where.
    edit(&mut editor, &a, 3, (3, 35, 3, 36), "").await;
    let broken = published_at(&mut editor, &a, 3).await;
    assert!(
        !broken.is_empty() && broken.iter().all(|(code, _, _)| code == "parse-error"),
        "{broken:?}"
    );
    // Put it back: the findings of before, where they were.
    edit(&mut editor, &a, 4, (3, 35, 3, 35), ";").await;
    assert_eq!(at(published_at(&mut editor, &a, 4).await), moved);
    // A new policy above the others renumbers the ones without `@id` (`a.cedar#policy2`,
    // not `#policy1`) and is reported itself.
    edit(
        &mut editor,
        &a,
        5,
        (2, 0, 2, 0),
        "permit(principal, action, resource);\n",
    )
    .await;
    let added = published_at(&mut editor, &a, 5).await;
    let forbid = added
        .iter()
        .find(|(code, line, _)| code == "missing-policy-id" && *line == 5);
    assert!(
        forbid.is_some_and(|(_, _, message)| message.contains("a.cedar#policy2`")),
        "{added:?}"
    );
    assert_eq!(
        at(added),
        found(&[
            ("missing-policy-id", 2),
            ("missing-policy-id", 5),
            ("permit-all", 2),
            ("permit-all", 4),
        ])
    );
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
    // On `admin` of `principal.admin` in the forbid: what the schema declares, on the type the
    // action gives the principal.
    let line = A.lines().nth(2).unwrap();
    let column = line.find("admin").unwrap();
    let hover = editor
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": a}, "position": {"line": 2, "character": column + 2}}),
        )
        .await;
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        text.starts_with(
            "attribute `admin`: `Bool`, required, declared on entity type `App::User`"
        ),
        "{text}"
    );
    assert_eq!(
        hover["result"]["range"],
        json!({"start": {"line": 2, "character": column}, "end": {"line": 2, "character": column + 5}})
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
        [
            "Ignore `permit-all` for this policy (@cedarcheck_ignore)",
            "Ignore `permit-all` in cedarcheck.toml",
            "Show documentation for `permit-all`"
        ]
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

const TESTED_SCHEMA: &str = "namespace App {\n  entity User { admin: Bool };\n  entity Doc;\n  action read appliesTo { principal: [User], resource: [Doc] };\n}\n";
const TESTED_POLICY: &str = "@id(\"admins-read\")\npermit(principal, action == App::Action::\"read\", resource) when { principal.admin };\n";
const ENTITIES: &str = r#"[
  {"uid": {"type": "App::User", "id": "alice"}, "attrs": {"admin": true}, "parents": []},
  {"uid": {"type": "App::User", "id": "bob"}, "attrs": {"admin": false}, "parents": []},
  {"uid": {"type": "App::Doc", "id": "plan"}, "attrs": {}, "parents": []}
]
"#;
const TESTS: &str = r#"{
  "entities": "app.entities.json",
  "tests": [
    {
      "name": "alice reads the plan",
      "request": {"principal": "App::User::\"alice\"", "action": "App::Action::\"read\"", "resource": "App::Doc::\"plan\""},
      "decision": "allow",
      "reason": ["admins-read"]
    },
    {
      "name": "bob reads the plan",
      "request": {"principal": "App::User::\"bob\"", "action": "App::Action::\"read\"", "resource": "App::Doc::\"plan\""},
      "decision": "allow",
      "reason": ["admins-read"]
    }
  ]
}
"#;

fn tested_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "cedarcheck.toml",
                "policies = [\"policies/*.cedar\"]\nschema = \"policies/app.cedarschema\"\ntests = [\"tests/*.json\"]\n",
            ),
            ("policies/app.cedarschema", TESTED_SCHEMA),
            ("policies/read.cedar", TESTED_POLICY),
            ("tests/app.entities.json", ENTITIES),
            ("tests/reads.json", TESTS),
        ],
    );
    dir
}

fn messages(published: &Value) -> Vec<String> {
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect()
}

async fn change(editor: &mut Editor, uri: &str, version: i32, text: &str) {
    editor
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        )
        .await;
}

#[tokio::test]
async fn a_failing_test_shows_at_its_name_with_the_words_of_cedarcheck_test() {
    let dir = tested_workspace();
    let mut editor = editor(&dir).await;
    let tests = editor
        .open(&dir.path().join("tests/reads.json"), TESTS)
        .await;
    let published = editor.diagnostics(&tests, |d| !d.is_empty()).await;
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    // Alice passes; Bob is no admin.
    assert_eq!(diagnostics.len(), 1, "{published}");
    let failed = &diagnostics[0];
    let line = TESTS.lines().position(|l| l.contains("bob reads")).unwrap();
    let column = TESTS.lines().nth(line).unwrap().find("\"bob").unwrap();
    assert_eq!(
        failed["range"],
        json!({"start": {"line": line, "character": column}, "end": {"line": line, "character": column + "\"bob reads the plan\"".len()}})
    );
    assert_eq!(failed["severity"], 1);
    assert_eq!(
        failed["message"],
        "expected allow, got deny\n\
         decision  expected allow, got deny\n\
         reasons   - admins-read  expected, but did not determine the decision\n\
         because   permit admins-read: policies/read.cedar:2:67: when `principal.admin` is false"
    );
    // The policy the test expected is related information.
    let related = &failed["relatedInformation"][0];
    assert_eq!(
        related["location"]["uri"],
        uri(&dir.path().join("policies/read.cedar"))
    );
    assert_eq!(related["location"]["range"]["start"]["line"], 0);

    // While typing: broken JSON is located where it breaks.
    let broken = TESTS.replacen("\"decision\": \"allow\",", "\"decision\": \"allow\"", 1);
    change(&mut editor, &tests, 2, &broken).await;
    let published = editor.diagnostics(&tests, |_| true).await;
    assert_eq!(published["version"], 2);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published}");
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON: expected `,` or `}`"),
        "{published}"
    );
    let line = broken
        .lines()
        .position(|l| l.contains("\"reason\": [\"admins-read\"]"))
        .unwrap();
    assert_eq!(
        diagnostics[0]["range"]["start"]["line"], line,
        "{published}"
    );

    // A typo in a test's fields fails that test alone, at the typo.
    let typo = TESTS.replacen("\"reason\"", "\"reasons\"", 1);
    change(&mut editor, &tests, 3, &typo).await;
    let published = editor.diagnostics(&tests, |_| true).await;
    assert_eq!(published["version"], 3);
    let messages = messages(&published);
    assert_eq!(messages.len(), 2, "{published}");
    assert!(
        messages[0].starts_with("invalid test: unknown field `reasons`"),
        "{published}"
    );

    // Fixed (unsaved): Bob is denied, as the test now says. Nothing left to show.
    let fixed = TESTS.replacen(
        "\"decision\": \"allow\",\n      \"reason\": [\"admins-read\"]\n    }\n  ]",
        "\"decision\": \"deny\"\n    }\n  ]",
        1,
    );
    assert_ne!(fixed, TESTS);
    change(&mut editor, &tests, 4, &fixed).await;
    let published = editor.diagnostics(&tests, |_| true).await;
    assert_eq!(published["version"], 4);
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tests/reads.json")).unwrap(),
        TESTS
    );
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn unsaved_policy_and_entities_edits_rerun_the_open_tests() {
    let dir = tested_workspace();
    let mut editor = editor(&dir).await;
    let fixed = TESTS.replacen(
        "\"decision\": \"allow\",\n      \"reason\": [\"admins-read\"]\n    }\n  ]",
        "\"decision\": \"deny\"\n    }\n  ]",
        1,
    );
    let tests = editor
        .open(&dir.path().join("tests/reads.json"), &fixed)
        .await;
    let published = editor.diagnostics(&tests, |_| true).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");

    // Everyone may read now: Bob's test fails, where the set's policy changed unsaved.
    let policy = editor
        .open(&dir.path().join("policies/read.cedar"), TESTED_POLICY)
        .await;
    change(
        &mut editor,
        &policy,
        2,
        &TESTED_POLICY.replace("principal.admin", "true"),
    )
    .await;
    let published = editor.diagnostics(&tests, |d| !d.is_empty()).await;
    assert_eq!(
        messages(&published),
        ["expected deny, got allow\n\
          decision  expected deny, got allow\n\
          reasons   + admins-read  determined the decision\n\
          because   permit admins-read: scope matches and every condition holds"]
    );
    // Undone: the failure goes away.
    change(&mut editor, &policy, 3, TESTED_POLICY).await;
    let published = editor.diagnostics(&tests, |_| true).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");

    // Alice loses her admin flag in the unsaved entities file.
    let entities = editor
        .open(&dir.path().join("tests/app.entities.json"), ENTITIES)
        .await;
    change(
        &mut editor,
        &entities,
        2,
        &ENTITIES.replacen("\"admin\": true", "\"admin\": false", 1),
    )
    .await;
    let published = editor.diagnostics(&tests, |d| !d.is_empty()).await;
    let messages = messages(&published);
    assert_eq!(messages.len(), 1, "{published}");
    assert!(
        messages[0].starts_with("expected allow, got deny\n"),
        "{published}"
    );
    let line = fixed
        .lines()
        .position(|l| l.contains("alice reads"))
        .unwrap();
    assert_eq!(
        published["diagnostics"][0]["range"]["start"]["line"], line,
        "{published}"
    );
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn a_set_that_cannot_be_tested_fails_its_tests_pointing_at_the_errors() {
    let dir = tested_workspace();
    let mut editor = editor(&dir).await;
    let schema = editor
        .open(&dir.path().join("policies/app.cedarschema"), TESTED_SCHEMA)
        .await;
    let tests = editor
        .open(&dir.path().join("tests/reads.json"), TESTS)
        .await;
    editor.diagnostics(&tests, |d| d.len() == 1).await;
    // `admin` is no longer a Bool: the policy no longer validates.
    change(
        &mut editor,
        &schema,
        2,
        &TESTED_SCHEMA.replace("admin: Bool", "admin: Long"),
    )
    .await;
    let published = editor.diagnostics(&tests, |d| d.len() == 2).await;
    for diagnostic in published["diagnostics"].as_array().unwrap() {
        assert!(
            diagnostic["message"]
                .as_str()
                .unwrap()
                .starts_with("cannot run: the policy set `cedarcheck.toml` has 1 error(s)"),
            "{published}"
        );
        let related = &diagnostic["relatedInformation"][0];
        assert_eq!(
            related["location"]["uri"],
            uri(&dir.path().join("policies/read.cedar")),
            "{published}"
        );
    }
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn typing_a_test_file_never_breaks_the_server() {
    let dir = tested_workspace();
    let mut editor = editor(&dir).await;
    let tests = editor.open(&dir.path().join("tests/reads.json"), "").await;
    let published = editor.diagnostics(&tests, |d| !d.is_empty()).await;
    // An empty file is not a test yet (`cedarcheck test` skips it when searching).
    assert!(
        messages(&published)[0].starts_with("not a test file: this is an empty file"),
        "{published}"
    );
    // Prefixes of the file, as if typed: each gets its diagnostics.
    let cuts: Vec<usize> = (0..TESTS.len()).step_by(3).collect();
    for (n, &cut) in cuts.iter().enumerate() {
        let version = n as i32 + 2;
        change(&mut editor, &tests, version, &TESTS[..cut]).await;
        let published = editor
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == tests
                    && m["params"]["version"] == version
            })
            .await;
        let diagnostics = published["params"]["diagnostics"].as_array().unwrap();
        assert!(!diagnostics.is_empty(), "{published}");
    }
    let last = cuts.len() as i32 + 2;
    change(&mut editor, &tests, last, TESTS).await;
    let published = editor.diagnostics(&tests, |d| d.len() == 1).await;
    assert_eq!(published["version"], last, "{published}");
    // No analysis failed on the way.
    let failures: Vec<&Value> = editor
        .received
        .iter()
        .filter(|m| m["method"] == "window/logMessage")
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(editor.shutdown().await, 0);
}
