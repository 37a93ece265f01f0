//! In the editor (README, Language server): the Evaluate lens and its command, the quick fix
//! of `in-non-entity`, "Ignore this rule in cedarcheck.toml", "Show documentation for this
//! rule" and "Create a test from this request" — each edit applied to the text and the result
//! checked again.

mod support;

use std::str::FromStr;

use serde_json::{json, Value};
use support::{apply_edits, codes, uri, write, Editor};

const SCHEMA: &str = "namespace App {\n  entity User { admin: Bool, contractor: Bool };\n  entity Doc;\n  action read appliesTo { principal: [User], resource: [Doc] };\n}\n";
const POLICIES: &str = "@id(\"admins-read\")\npermit(principal, action == App::Action::\"read\", resource) when { principal.admin };\n\n@id(\"no-contractors\")\nforbid(principal, action == App::Action::\"read\", resource) when { principal.contractor };\n\n@id(\"nobody\")\npermit(principal == App::User::\"nobody\", action == App::Action::\"read\", resource);\n";
const ENTITIES: &str = r#"[
  {"uid": {"type": "App::User", "id": "alice"}, "attrs": {"admin": true, "contractor": false}, "parents": []},
  {"uid": {"type": "App::User", "id": "carol"}, "attrs": {"admin": true, "contractor": true}, "parents": []},
  {"uid": {"type": "App::User", "id": "erin"}, "attrs": {"admin": true, "contractor": false}, "parents": []},
  {"uid": {"type": "App::Doc", "id": "plan"}, "attrs": {}, "parents": []}
]
"#;
const TESTS: &str = r#"{
  "entities": "app.entities.json",
  "tests": [
    {
      "name": "alice reads the plan",
      "request": {"principal": "App::User::\"alice\"", "action": "App::Action::\"read\"", "resource": "App::Doc::\"plan\""},
      "decision": "allow"
    },
    {
      "name": "carol reads the plan",
      "request": {"principal": "App::User::\"carol\"", "action": "App::Action::\"read\"", "resource": "App::Doc::\"plan\""},
      "decision": "deny"
    },
    {
      "name": "erin reads the plan",
      "request": {"principal": "App::User::\"erin\"", "action": "App::Action::\"read\"", "resource": "App::Doc::\"plan\""},
      "decision": "deny"
    }
  ]
}
"#;
const CONFIG: &str = "policies = [\"policies/*.cedar\"]\nschema = \"policies/app.cedarschema\"\ntests = [\"tests/*.json\"]\n\n# Levels we agreed on (OPS-7).\n[rules]\nmissing-policy-id = \"error\"  # every policy gets an id\n";

fn tested_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("cedarcheck.toml", CONFIG),
            ("policies/app.cedarschema", SCHEMA),
            ("policies/read.cedar", POLICIES),
            ("tests/app.entities.json", ENTITIES),
            ("tests/reads.json", TESTS),
        ],
    );
    dir
}

async fn editor(dir: &tempfile::TempDir) -> Editor {
    Editor::start(dir.path(), json!({"deep": false})).await
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[tokio::test]
async fn the_evaluate_lens_counts_each_policys_tests_and_its_command_lists_them() {
    let dir = tested_workspace();
    let mut editor = Editor::start_with(
        dir.path(),
        json!({"deep": false}),
        json!({"workspace": {"codeLens": {"refreshSupport": true}}}),
    )
    .await;
    let policies = editor
        .open(&dir.path().join("policies/read.cedar"), POLICIES)
        .await;
    let response = editor
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": policies}}),
        )
        .await;
    let lenses = response["result"].as_array().unwrap();
    let shown: Vec<(u64, &str)> = lenses
        .iter()
        .map(|l| {
            (
                l["range"]["start"]["line"].as_u64().unwrap(),
                l["command"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    // `nobody` decides no test: no lens.
    assert_eq!(
        shown,
        [(0, "▶ 2 tests: 2 allow"), (3, "▶ 1 test: 1 deny")],
        "{response}"
    );
    let command = &lenses[0]["command"];
    assert_eq!(command["command"], "cedarcheck.evaluate");
    assert_eq!(
        command["arguments"],
        json!([{"uri": policies, "policy": "admins-read"}])
    );

    let response = editor
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await;
    let alice = line_of(TESTS, "{") + 3; // the file's `{`, "entities", "tests": [, then the test
    assert_eq!(alice, line_of(TESTS, "alice") - 1);
    let erin = line_of(TESTS, "erin reads") - 1;
    let expected = format!(
        "`admins-read`: 2 tests: 2 allow\n\
         tests/reads.json:{alice} \"alice reads the plan\": allow, determined by admins-read\n\
         tests/reads.json:{erin} \"erin reads the plan\": allow, determined by admins-read \
         (fails: expected deny, got allow)"
    );
    assert_eq!(response["result"], expected.as_str(), "{response}");
    // Shown as a message too: what VS Code and Neovim show of a lens's command.
    let shown = editor
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    assert_eq!(shown["params"], json!({"type": 3, "message": expected}));

    let forbid = &lenses[1]["command"];
    let response = editor
        .request(
            "workspace/executeCommand",
            json!({"command": forbid["command"], "arguments": forbid["arguments"]}),
        )
        .await;
    let carol = line_of(TESTS, "carol reads") - 1;
    assert_eq!(
        response["result"],
        format!(
            "`no-contractors`: 1 test: 1 deny\n\
             tests/reads.json:{carol} \"carol reads the plan\": deny, determined by no-contractors"
        )
    );

    // An unsaved edit is what the lenses count next: carol is no contractor any more.
    let unsaved = TESTS.replacen("App::User::\\\"carol\\\"", "App::User::\\\"alice\\\"", 1);
    assert_ne!(unsaved, TESTS);
    let tests = editor
        .open(&dir.path().join("tests/reads.json"), &unsaved)
        .await;
    // The client is asked to ask for lenses again: they may have changed.
    let refresh = editor
        .wait_for(|m| m["method"] == "workspace/codeLens/refresh")
        .await;
    let reply = json!({"jsonrpc": "2.0", "id": refresh["id"], "result": null});
    editor.send_raw(reply.to_string().as_bytes()).await;
    editor.diagnostics(&tests, |_| true).await;
    let response = editor
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": policies}}),
        )
        .await;
    let titles: Vec<&str> = response["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["▶ 3 tests: 3 allow"], "{response}");
    assert_eq!(editor.shutdown().await, 0);
}

const AGENT: &str = "@id(\"no-shell\")\nforbid (principal, action, resource)\nwhen { context has tool && context.tool in [\"shell\", \"exec\"] };\n\n@id(\"no-root\")\nforbid (principal, action, resource)\nwhen { context has user && (context.user in \"root\") };\n\n@id(\"small\")\npermit (principal, action, resource)\nwhen { context has n && context.n + 1 in [1, 2] };\n";

#[tokio::test]
async fn the_in_non_entity_fix_puts_the_set_left_of_contains_and_the_finding_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("agent.cedar", AGENT)]);
    let mut editor = editor(&dir).await;
    let agent = editor.open(&dir.path().join("agent.cedar"), AGENT).await;
    let published = editor
        .diagnostics(&agent, |d| {
            codes(d).iter().filter(|c| *c == "in-non-entity").count() == 3
        })
        .await;
    let findings: Vec<&Value> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "in-non-entity")
        .collect();
    let line = line_of(AGENT, "\"shell\"") as u64 - 1;
    let column = AGENT
        .lines()
        .nth(line as usize)
        .unwrap()
        .find("context.tool")
        .unwrap();
    let shell = findings[0];
    assert_eq!(
        shell["range"],
        json!({"start": {"line": line, "character": column}, "end": {"line": line, "character": column + "context.tool in [\"shell\", \"exec\"]".len()}})
    );
    assert_eq!(shell["severity"], 1);
    assert!(
        shell["message"]
            .as_str()
            .unwrap()
            .starts_with("`context.tool in [\"shell\", \"exec\"]`: `in` works on entities only"),
        "{shell}"
    );

    let mut fixed = AGENT.to_string();
    let mut published = published;
    // Each fix is computed on the text as it is after the previous ones.
    for (version, title) in [
        (2, "Use `[\"shell\", \"exec\"].contains(context.tool)`"),
        (3, "Use `context.user == \"root\"`"),
        (4, "Use `[1, 2].contains(context.n + 1)`"),
    ] {
        let finding = published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "in-non-entity")
            .unwrap()
            .clone();
        let response = editor
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": agent}, "range": finding["range"], "context": {"diagnostics": [finding]}}),
            )
            .await;
        let action = response["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("no `{title}` in {response}"))
            .clone();
        assert_eq!(action["kind"], "quickfix");
        assert_eq!(action["isPreferred"], true);
        fixed = apply_edits(
            &fixed,
            action["edit"]["changes"][&agent].as_array().unwrap(),
        );
        editor
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": agent, "version": version}, "contentChanges": [{"text": fixed}]}),
            )
            .await;
        published = editor
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == agent
                    && m["params"]["version"] == version
            })
            .await["params"]
            .clone();
    }
    let left = codes(published["diagnostics"].as_array().unwrap());
    assert!(
        !left
            .iter()
            .any(|c| c == "in-non-entity" || c == "parse-error"),
        "{left:?}"
    );
    assert_eq!(
        fixed,
        AGENT
            .replace(
                "context.tool in [\"shell\", \"exec\"]",
                "[\"shell\", \"exec\"].contains(context.tool)"
            )
            .replace("(context.user in \"root\")", "(context.user == \"root\")")
            .replace("context.n + 1 in [1, 2]", "[1, 2].contains(context.n + 1)")
    );
    let report = cedarcheck_analyzer::check(
        &cedarcheck_analyzer::PolicySetInput {
            policies: vec![cedarcheck_analyzer::SourceFile::new(
                "agent.cedar",
                fixed.as_str(),
            )],
            ..Default::default()
        },
        &cedarcheck_analyzer::Settings::default(),
    );
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert!(!rules.contains(&"in-non-entity"), "{rules:?}");
    assert!(!rules.contains(&"parse-error"), "{rules:?}");

    // Cedar's authorizer agrees: the fixed forbid now stops a shell call that the original
    // let through (it errored, and Cedar skipped it).
    let decide = |policies: &str, tool: &str| {
        let mut set = cedar_policy::PolicySet::from_str(policies).unwrap();
        set.add(
            cedar_policy::Policy::parse(
                Some(cedar_policy::PolicyId::new("everyone")),
                "permit (principal, action, resource);",
            )
            .unwrap(),
        )
        .unwrap();
        let uid = |s: &str| cedar_policy::EntityUid::from_str(s).unwrap();
        let request = cedar_policy::Request::new(
            uid("User::\"agent\""),
            uid("Action::\"call\""),
            uid("Tool::\"t\""),
            cedar_policy::Context::from_json_value(json!({"tool": tool}), None).unwrap(),
            None,
        )
        .unwrap();
        cedar_policy::Authorizer::new()
            .is_authorized(&request, &set, &cedar_policy::Entities::empty())
            .decision()
    };
    assert_eq!(decide(AGENT, "shell"), cedar_policy::Decision::Allow);
    assert_eq!(decide(&fixed, "shell"), cedar_policy::Decision::Deny);
    assert_eq!(decide(&fixed, "ls"), cedar_policy::Decision::Allow);
    assert_eq!(editor.shutdown().await, 0);
}

async fn actions_on(editor: &mut Editor, uri: &str, diagnostic: &Value) -> Vec<Value> {
    let response = editor
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
        )
        .await;
    response["result"].as_array().unwrap().clone()
}

fn titled<'a>(actions: &'a [Value], title: &str) -> Option<&'a Value> {
    actions.iter().find(|a| a["title"] == title)
}

const OPEN_PERMIT: &str = "@id(\"open\")\npermit (principal, action, resource);\n";

#[tokio::test]
async fn ignoring_a_rule_in_cedarcheck_toml_inserts_one_line_and_the_finding_goes_away() {
    let dir = tested_workspace();
    write(dir.path(), &[("policies/open.cedar", OPEN_PERMIT)]);
    let mut editor = editor(&dir).await;
    let open = editor
        .open(&dir.path().join("policies/open.cedar"), OPEN_PERMIT)
        .await;
    let published = editor
        .diagnostics(&open, |d| codes(d).iter().any(|c| c == "permit-all"))
        .await;
    let finding = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "permit-all")
        .unwrap()
        .clone();
    let actions = actions_on(&mut editor, &open, &finding).await;
    let ignore = titled(&actions, "Ignore `permit-all` in cedarcheck.toml")
        .unwrap_or_else(|| panic!("{actions:#?}"));
    assert_eq!(ignore["kind"], "quickfix");
    let config = uri(&dir.path().join("cedarcheck.toml"));
    let changes = ignore["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.keys().collect::<Vec<_>>(), [&config]);
    let edited = apply_edits(CONFIG, changes[&config].as_array().unwrap());
    assert_eq!(
        edited,
        CONFIG.replace("[rules]\n", "[rules]\npermit-all = \"off\"\n")
    );
    // Saved, the workspace no longer reports the rule.
    std::fs::write(dir.path().join("cedarcheck.toml"), &edited).unwrap();
    editor.received.clear();
    editor
        .notify(
            "textDocument/didSave",
            json!({"textDocument": {"uri": open}}),
        )
        .await;
    let published = editor.diagnostics(&open, |_| true).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn without_a_config_the_ignore_action_creates_one_if_the_client_can() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("open.cedar", OPEN_PERMIT)]);
    let creating = json!({"workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create"]}}});
    for (capabilities, offered) in [(json!({}), false), (creating, true)] {
        let mut editor = Editor::start_with(dir.path(), json!({"deep": false}), capabilities).await;
        let open = editor
            .open(&dir.path().join("open.cedar"), OPEN_PERMIT)
            .await;
        let published = editor
            .diagnostics(&open, |d| codes(d).iter().any(|c| c == "permit-all"))
            .await;
        let finding = published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "permit-all")
            .unwrap()
            .clone();
        let actions = actions_on(&mut editor, &open, &finding).await;
        let ignore = titled(&actions, "Ignore `permit-all` in cedarcheck.toml");
        assert_eq!(ignore.is_some(), offered, "{actions:#?}");
        if let Some(ignore) = ignore {
            let config = uri(&dir.path().join("cedarcheck.toml"));
            assert_eq!(
                ignore["edit"]["documentChanges"],
                json!([
                    {"kind": "create", "uri": config, "options": {"overwrite": false, "ignoreIfExists": true}},
                    {"textDocument": {"uri": config, "version": null}, "edits": [
                        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                         "newText": "[rules]\npermit-all = \"off\"\n"}
                    ]}
                ])
            );
        }
        assert_eq!(editor.shutdown().await, 0);
    }
}

#[tokio::test]
async fn show_documentation_answers_with_what_cedarcheck_rules_prints() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("open.cedar", OPEN_PERMIT)]);
    let mut editor = editor(&dir).await;
    let open = editor
        .open(&dir.path().join("open.cedar"), OPEN_PERMIT)
        .await;
    let published = editor
        .diagnostics(&open, |d| codes(d).iter().any(|c| c == "permit-all"))
        .await;
    let finding = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "permit-all")
        .unwrap()
        .clone();
    let actions = actions_on(&mut editor, &open, &finding).await;
    let docs = titled(&actions, "Show documentation for `permit-all`")
        .unwrap_or_else(|| panic!("{actions:#?}"));
    let command = &docs["command"];
    assert_eq!(command["command"], "cedarcheck.ruleDocumentation");
    assert_eq!(command["arguments"], json!(["permit-all"]));
    let response = editor
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await;
    let rule = cedarcheck_analyzer::rule("permit-all").unwrap();
    let expected = format!(
        "# permit-all\n\nCategory: security · default level: error\n\n{}\n\n{}",
        rule.summary,
        rule.doc.trim_end()
    );
    assert_eq!(response["result"], expected.as_str());
    let shown = editor
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    assert_eq!(shown["params"]["message"], expected.as_str());

    let response = editor
        .request(
            "workspace/executeCommand",
            json!({"command": "cedarcheck.nothing", "arguments": []}),
        )
        .await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn a_counterexample_becomes_a_test_appended_to_the_sets_test_file_that_passes() {
    let dir = tested_workspace();
    // A test file whose tests all pass, to see the new one pass too.
    let passing = TESTS.replacen(
        "\"erin reads the plan\",\n      \"request\": {\"principal\": \"App::User::\\\"erin\\\"\", \"action\": \"App::Action::\\\"read\\\"\", \"resource\": \"App::Doc::\\\"plan\\\"\"},\n      \"decision\": \"deny\"",
        "\"erin reads the plan\",\n      \"request\": {\"principal\": \"App::User::\\\"erin\\\"\", \"action\": \"App::Action::\\\"read\\\"\", \"resource\": \"App::Doc::\\\"plan\\\"\"},\n      \"decision\": \"allow\"",
        1,
    );
    assert_ne!(passing, TESTS);
    write(dir.path(), &[("tests/reads.json", passing.as_str())]);
    let mut editor = editor(&dir).await;
    let policies = editor
        .open(&dir.path().join("policies/read.cedar"), POLICIES)
        .await;
    editor.diagnostics(&policies, |_| true).await;
    // A deep finding as the server publishes it: its counterexample in `data`, in the
    // shape of a `run-tests` entry with what the policies decide today.
    let case = json!({
        "name": "alice reads the plan",
        "request": {"principal": {"type": "App::User", "id": "dana"}, "action": {"type": "App::Action", "id": "read"}, "resource": {"type": "App::Doc", "id": "x"}, "context": {}},
        "entities": [
            {"uid": {"type": "App::Doc", "id": "x"}, "attrs": {}, "parents": []},
            {"uid": {"type": "App::User", "id": "dana"}, "attrs": {"admin": true, "contractor": true}, "parents": []}
        ],
        "decision": "deny",
        "reason": ["no-contractors"],
        "num_errors": 0
    });
    let finding = json!({
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 6}},
        "severity": 1,
        "code": "overridden-permit",
        "source": "cedarcheck",
        "message": "permit `admins-read` …",
        "data": {"rule": "overridden-permit", "policy": "admins-read", "counterexample": case},
    });
    let actions = actions_on(&mut editor, &policies, &finding).await;
    let create = titled(
        &actions,
        "Create a test from this request in tests/reads.json",
    )
    .unwrap_or_else(|| panic!("{actions:#?}"));
    let tests = uri(&dir.path().join("tests/reads.json"));
    let changes = create["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.keys().collect::<Vec<_>>(), [&tests]);
    let appended = apply_edits(&passing, changes[&tests].as_array().unwrap());
    // Only inserted: the file as it was is still there, up to its last test.
    let last = passing.rfind('}').unwrap();
    let before_last = passing[..last].rfind('}').unwrap() + 1;
    assert!(appended.starts_with(&passing[..before_last]), "{appended}");
    assert!(appended.ends_with(&passing[before_last..]), "{appended}");
    let value: Value = serde_json::from_str(&appended).unwrap();
    let added = &value["tests"][3];
    // The name is taken: the new test gets its own.
    let mut expected = case.clone();
    expected["name"] = "alice reads the plan (2)".into();
    assert_eq!(added, &expected);
    assert_eq!(value["tests"].as_array().unwrap().len(), 4);

    // Run: it passes, as do the others (a failing test would show a diagnostic).
    let opened = editor
        .open(&dir.path().join("tests/reads.json"), &appended)
        .await;
    assert_eq!(opened, tests);
    let published = editor.diagnostics(&tests, |_| true).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    // And with the decision turned around it fails: the run did see the new test.
    let turned = appended.replacen(
        "\"decision\": \"deny\",\n      \"reason\": [\n        \"no-contractors\"",
        "\"decision\": \"allow\",\n      \"reason\": [\n        \"no-contractors\"",
        1,
    );
    assert_ne!(turned, appended, "{appended}");
    editor
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": tests, "version": 2}, "contentChanges": [{"text": turned}]}),
        )
        .await;
    let published = editor.diagnostics(&tests, |d| !d.is_empty()).await;
    assert!(
        published["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("expected allow, got deny"),
        "{published}"
    );
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn a_policy_without_an_id_in_a_set_of_several_files_gets_its_lens_too() {
    let dir = tested_workspace();
    let extra =
        "permit(principal == App::User::\"alice\", action == App::Action::\"read\", resource);\n";
    write(dir.path(), &[("policies/extra.cedar", extra)]);
    let mut editor = editor(&dir).await;
    let opened = editor
        .open(&dir.path().join("policies/extra.cedar"), extra)
        .await;
    let response = editor
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": opened}}),
        )
        .await;
    let lens = &response["result"][0];
    assert_eq!(lens["command"]["title"], "▶ 1 test: 1 allow", "{response}");
    assert_eq!(response["result"].as_array().unwrap().len(), 1);
    let response = editor
        .request(
            "workspace/executeCommand",
            json!({"command": lens["command"]["command"], "arguments": lens["command"]["arguments"]}),
        )
        .await;
    let alice = line_of(TESTS, "alice") - 1;
    // The ids are those tests use: a policy without @id is named with its file.
    assert_eq!(
        response["result"],
        format!(
            "`policy0`: 1 test: 1 allow\n\
             tests/reads.json:{alice} \"alice reads the plan\": allow, determined by \
             admins-read, policies/extra.cedar#policy0"
        )
    );
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn a_policys_request_becomes_a_test_with_what_the_policies_decide_today() {
    let dir = tested_workspace();
    let passing = TESTS.replacen(
        "\"erin reads the plan\",\n      \"request\": {\"principal\": \"App::User::\\\"erin\\\"\", \"action\": \"App::Action::\\\"read\\\"\", \"resource\": \"App::Doc::\\\"plan\\\"\"},\n      \"decision\": \"deny\"",
        "\"erin reads the plan\",\n      \"request\": {\"principal\": \"App::User::\\\"erin\\\"\", \"action\": \"App::Action::\\\"read\\\"\", \"resource\": \"App::Doc::\\\"plan\\\"\"},\n      \"decision\": \"allow\"",
        1,
    );
    assert_ne!(passing, TESTS);
    write(dir.path(), &[("tests/reads.json", passing.as_str())]);
    let mut editor = editor(&dir).await;
    let policies = editor
        .open(&dir.path().join("policies/read.cedar"), POLICIES)
        .await;
    editor.diagnostics(&policies, |_| true).await;
    // The cursor on `nobody`'s head, no finding there.
    let line = line_of(POLICIES, "App::User::\"nobody\"") - 1;
    let at = json!({"line": line, "character": 3});
    let response = editor
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": policies}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}),
        )
        .await;
    let actions = response["result"].as_array().unwrap();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Create a test from the request of `nobody` in tests/reads.json"],
        "{response}"
    );
    let tests = uri(&dir.path().join("tests/reads.json"));
    let appended = apply_edits(
        &passing,
        actions[0]["edit"]["changes"][&tests].as_array().unwrap(),
    );
    let value: Value = serde_json::from_str(&appended).unwrap();
    assert_eq!(value["tests"].as_array().unwrap().len(), 4);
    // Its scope names the principal; the resource is an example of the action's resource
    // type. Nobody is not in the entities: the two policies reading principal attributes
    // raise errors, and `nobody` allows.
    assert_eq!(
        value["tests"][3],
        json!({
            "name": "nobody: App::User::\"nobody\" App::Action::\"read\" App::Doc::\"example\"",
            "request": {
                "principal": {"type": "App::User", "id": "nobody"},
                "action": {"type": "App::Action", "id": "read"},
                "resource": {"type": "App::Doc", "id": "example"},
                "context": {}
            },
            "entities": [],
            "decision": "allow",
            "reason": ["nobody"],
            "num_errors": 2
        })
    );
    let opened = editor
        .open(&dir.path().join("tests/reads.json"), &appended)
        .await;
    let published = editor.diagnostics(&opened, |_| true).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn no_test_is_offered_for_a_request_the_schema_rejects() {
    let dir = tested_workspace();
    let schema = SCHEMA.replace(
        "  action read appliesTo { principal: [User], resource: [Doc] };\n",
        "  action read appliesTo { principal: [User], resource: [Doc] };\n  action write appliesTo { principal: [User], resource: [Doc], context: { mfa: Bool } };\n",
    );
    let policies = "@id(\"x-writes\")\npermit(principal == App::User::\"x\", action == App::Action::\"write\", resource);\n";
    write(
        dir.path(),
        &[
            ("policies/app.cedarschema", schema.as_str()),
            ("policies/read.cedar", policies),
        ],
    );
    let mut editor = editor(&dir).await;
    let opened = editor
        .open(&dir.path().join("policies/read.cedar"), policies)
        .await;
    editor.diagnostics(&opened, |_| true).await;
    let at = json!({"line": 1, "character": 3});
    let response = editor
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": opened}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}),
        )
        .await;
    // `write` needs `context.mfa`: an empty context is no valid request.
    assert_eq!(response["result"], json!([]), "{response}");
    assert_eq!(editor.shutdown().await, 0);
}
