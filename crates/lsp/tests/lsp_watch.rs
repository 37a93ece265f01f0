//! Files created, changed or deleted outside the editor (README "Language server"): with a
//! client that registers file watchers for the server (`workspace/didChangeWatchedFiles`), and
//! with one that does not (the server polls the directories of the sets it knows). Either
//! way the diagnostics follow; a file open in the editor keeps its buffer's.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{uri, write, Editor};

const CONFIG: &str = "policies = [\"policies/*.cedar\"]\nschema = \"policies/app.cedarschema\"\ntests = [\"tests/*.json\"]\n";
const SCHEMA: &str = "namespace App {\n  entity User;\n  entity Doc;\n  action read appliesTo { principal: [User], resource: [Doc] };\n}\n";
/// Open in the editor throughout.
const A: &str = "@id(\"a\")\npermit(principal, action == App::Action::\"read\", resource);\n";
/// On disk only: its id is taken.
const B: &str =
    "@id(\"a\")\npermit(principal == App::User::\"x\", action, resource is App::Doc);\n";
/// What b.cedar becomes: a policy of its own.
const B_FIXED: &str =
    "@id(\"b\")\npermit(principal == App::User::\"x\", action == App::Action::\"read\", resource);\n";
const C: &str = "permit(principal, action, resource);\n";
const PASSING: &str = "{\"tests\": [\n  {\"name\": \"x reads\", \"request\": {\"principal\": \"App::User::\\\"x\\\"\", \"action\": \"App::Action::\\\"read\\\"\", \"resource\": \"App::Doc::\\\"d\\\"\", \"context\": {}}, \"decision\": \"allow\"}\n]}\n";

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("cedarcheck.toml", CONFIG),
            ("policies/app.cedarschema", SCHEMA),
            ("policies/a.cedar", A),
            ("policies/b.cedar", B),
            ("tests/ok.json", PASSING),
        ],
    );
    dir
}

type Summary = Vec<(u64, u64, String, String)>;

/// Each diagnostic as (line, severity, code, first line of the message), sorted.
fn summary(published: &Value) -> Summary {
    let mut list: Summary = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["severity"].as_u64().unwrap(),
                d["code"].as_str().unwrap_or_default().to_string(),
                d["message"]
                    .as_str()
                    .unwrap()
                    .lines()
                    .next()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    list.sort();
    list
}

fn row(line: u64, severity: u64, code: &str, message: &str) -> (u64, u64, String, String) {
    (line, severity, code.into(), message.into())
}

fn has(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |d| d.iter().any(|d| d["code"] == code)
}

/// What b.cedar shows once it is [`B_FIXED`].
fn b_fixed() -> Summary {
    vec![row(
        1,
        3,
        "unscoped-resource",
        "permit `b` applies to every resource",
    )]
}

/// What a failing test file created on disk shows: the test, at its name.
fn failing_test() -> Summary {
    vec![row(1, 1, "", "expected deny, got allow")]
}

fn c_with(missing_id_severity: u64) -> Summary {
    let mut rows = vec![
        row(
            0,
            1,
            "permit-all",
            "policy `policies/c.cedar#policy0` permits every principal to perform every action on every resource",
        ),
        row(
            0,
            missing_id_severity,
            "missing-policy-id",
            "policy has no @id; it is known as `policies/c.cedar#policy0`",
        ),
    ];
    rows.sort();
    rows
}

/// a.cedar's buffer once the schema on disk renames `read`.
fn a_without_read() -> Summary {
    vec![
        row(
            1,
            1,
            "schema-error",
            "unrecognized action `App::Action::\"read\"`",
        ),
        row(
            1,
            3,
            "unscoped-principal",
            "permit `a` applies to every principal",
        ),
    ]
}

const QUIET: Duration = Duration::from_millis(300);

/// Sends the client's `workspace/didChangeWatchedFiles` (1 created, 2 changed, 3 deleted).
async fn tell(editor: &mut Editor, events: &[(&Path, u8)]) {
    let changes: Vec<Value> = events
        .iter()
        .map(|(path, typ)| json!({"uri": uri(path), "type": typ}))
        .collect();
    editor
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": changes}),
        )
        .await;
}

/// Opens a.cedar and waits for the set's first diagnostics.
async fn open_a(editor: &mut Editor, root: &Path) -> (String, String) {
    let a = editor.open(&root.join("policies/a.cedar"), A).await;
    let b = uri(&root.join("policies/b.cedar"));
    let published = editor.diagnostics(&a, has("unscoped-principal")).await;
    assert_eq!(
        summary(&published),
        vec![row(
            1,
            3,
            "unscoped-principal",
            "permit `a` applies to every principal"
        )]
    );
    let published = editor.diagnostics(&b, has("duplicate-policy-id")).await;
    assert_eq!(
        summary(&published),
        vec![
            row(0, 1, "duplicate-policy-id", "policy id `a` is already used"),
            row(
                1,
                2,
                "unscoped-action",
                "permit `a` applies to every action"
            ),
        ]
    );
    (a, b)
}

#[tokio::test]
async fn a_client_that_watches_files_tells_of_changes_on_disk_and_the_diagnostics_follow() {
    let dir = workspace();
    let root = dir.path();
    let mut editor = Editor::start_with(
        root,
        json!({"deep": false}),
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    )
    .await;
    let request = editor
        .wait_for(|m| m["method"] == "client/registerCapability")
        .await;
    assert_eq!(
        request["params"],
        json!({"registrations": [{
            "id": "cedarcheck-watched-files",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": {"watchers": [
                {"globPattern": "**/*.cedar"},
                {"globPattern": "**/*.cedarschema"},
                {"globPattern": "**/*.json"},
                {"globPattern": "**/cedarcheck.toml"},
            ]},
        }]})
    );
    editor.respond(&request["id"], Value::Null).await;
    let (a, b) = open_a(&mut editor, root).await;
    editor.settle(QUIET).await;

    // The client watches: the server does not poll, so an untold change shows nothing.
    let b_path = root.join("policies/b.cedar");
    std::fs::write(&b_path, B_FIXED).unwrap();
    let untold = editor.collect_for(Duration::from_millis(1500)).await;
    assert_eq!(untold, Vec::<Value>::new());
    tell(&mut editor, &[(&b_path, 2)]).await;
    let published = editor.diagnostics(&b, |d| d.len() == 1).await;
    assert_eq!(summary(&published), b_fixed());
    editor.settle(QUIET).await;

    // A test file created on disk runs.
    let fail = root.join("tests/fail.json");
    std::fs::write(&fail, PASSING.replace("allow", "deny")).unwrap();
    tell(&mut editor, &[(&fail, 1)]).await;
    let published = editor.diagnostics(&uri(&fail), |d| !d.is_empty()).await;
    assert_eq!(summary(&published), failing_test());
    editor.settle(QUIET).await;

    // A policy file created on disk joins the set.
    let c_path = root.join("policies/c.cedar");
    std::fs::write(&c_path, C).unwrap();
    tell(&mut editor, &[(&c_path, 1)]).await;
    let c = uri(&c_path);
    let published = editor.diagnostics(&c, |d| !d.is_empty()).await;
    assert_eq!(summary(&published), c_with(3));
    editor.settle(QUIET).await;

    // The schema changed on disk: the open policy is validated against the new one.
    let schema = root.join("policies/app.cedarschema");
    std::fs::write(&schema, SCHEMA.replace("read", "view")).unwrap();
    tell(&mut editor, &[(&schema, 2)]).await;
    let published = editor.diagnostics(&a, |d| d.len() == 2).await;
    assert_eq!(summary(&published), a_without_read());
    assert_eq!(published["version"], 1);
    editor.settle(QUIET).await;

    // A deleted file loses its diagnostics; a config change sets the levels; the open
    // a.cedar, overwritten on disk, keeps its buffer's diagnostics.
    std::fs::remove_file(&b_path).unwrap();
    let config = root.join("cedarcheck.toml");
    std::fs::write(
        &config,
        format!("{CONFIG}\n[rules]\nmissing-policy-id = \"error\"\n"),
    )
    .unwrap();
    let a_path = root.join("policies/a.cedar");
    std::fs::write(&a_path, "garbage").unwrap();
    tell(&mut editor, &[(&b_path, 3), (&config, 2), (&a_path, 2)]).await;
    let published = editor.diagnostics(&b, |_| true).await;
    assert_eq!(summary(&published), vec![]);
    let published = editor.diagnostics(&c, |_| true).await;
    assert_eq!(summary(&published), c_with(1));
    let published = editor.diagnostics(&a, |_| true).await;
    assert_eq!(summary(&published), a_without_read());
    assert_eq!(editor.shutdown().await, 0);
}

/// Within a second of the poll finding it, on the shared test machine with room to spare.
const POLLED: Duration = Duration::from_secs(3);

#[tokio::test]
async fn without_client_watchers_the_server_polls_the_files_of_the_sets_it_knows() {
    let dir = workspace();
    let root = dir.path();
    let mut editor = Editor::start(root, json!({"deep": false})).await;
    let (a, b) = open_a(&mut editor, root).await;
    // The poller's first look at the set's directories.
    editor.settle(Duration::from_millis(1200)).await;

    let b_path = root.join("policies/b.cedar");
    std::fs::write(&b_path, B_FIXED).unwrap();
    let start = Instant::now();
    let published = editor
        .diagnostics_within(POLLED, &b, |d| d.len() == 1)
        .await;
    assert_eq!(summary(&published), b_fixed());
    eprintln!("b.cedar changed: diagnostics after {:?}", start.elapsed());
    editor.settle(QUIET).await;

    let fail = root.join("tests/fail.json");
    std::fs::write(&fail, PASSING.replace("allow", "deny")).unwrap();
    let published = editor
        .diagnostics_within(POLLED, &uri(&fail), |d| !d.is_empty())
        .await;
    assert_eq!(summary(&published), failing_test());
    editor.settle(QUIET).await;

    let c_path = root.join("policies/c.cedar");
    std::fs::write(&c_path, C).unwrap();
    let c = uri(&c_path);
    let published = editor
        .diagnostics_within(POLLED, &c, |d| !d.is_empty())
        .await;
    assert_eq!(summary(&published), c_with(3));
    editor.settle(QUIET).await;

    let schema = root.join("policies/app.cedarschema");
    std::fs::write(&schema, SCHEMA.replace("read", "view")).unwrap();
    let published = editor
        .diagnostics_within(POLLED, &a, |d| d.len() == 2)
        .await;
    assert_eq!(summary(&published), a_without_read());
    editor.settle(QUIET).await;

    std::fs::remove_file(&b_path).unwrap();
    std::fs::write(
        root.join("cedarcheck.toml"),
        format!("{CONFIG}\n[rules]\nmissing-policy-id = \"error\"\n"),
    )
    .unwrap();
    std::fs::write(root.join("policies/a.cedar"), "garbage").unwrap();
    let published = editor.diagnostics_within(POLLED, &b, |_| true).await;
    assert_eq!(summary(&published), vec![]);
    let published = editor.diagnostics_within(POLLED, &c, |_| true).await;
    assert_eq!(summary(&published), c_with(1));
    let published = editor.diagnostics_within(POLLED, &a, |_| true).await;
    assert_eq!(summary(&published), a_without_read());
    assert_eq!(editor.shutdown().await, 0);
}

/// Policies in subdirectories: a `git checkout` may add one.
const NESTED_CONFIG: &str = "policies = [\"policies/**/*.cedar\"]\nschema = \"policies/app.cedarschema\"\ntests = [\"tests/*.json\"]\n";
/// Created in a new subdirectory: its id is taken.
const NESTED: &str = "@id(\"a\")\npermit(principal == App::User::\"x\", action == App::Action::\"read\", resource == App::Doc::\"d\");\n";

#[tokio::test]
async fn without_client_watchers_a_policy_in_a_new_subdirectory_is_polled() {
    let dir = workspace();
    let root = dir.path();
    std::fs::write(root.join("cedarcheck.toml"), NESTED_CONFIG).unwrap();
    let mut editor = Editor::start(root, json!({"deep": false})).await;
    open_a(&mut editor, root).await;
    editor.settle(Duration::from_millis(1200)).await;

    std::fs::create_dir_all(root.join("policies/sub/deeper")).unwrap();
    let nested = root.join("policies/sub/deeper/c.cedar");
    std::fs::write(&nested, NESTED).unwrap();
    let start = Instant::now();
    let published = editor
        .diagnostics_within(POLLED, &uri(&nested), |d| !d.is_empty())
        .await;
    assert_eq!(
        summary(&published),
        vec![row(
            0,
            1,
            "duplicate-policy-id",
            "policy id `a` is already used"
        )]
    );
    eprintln!("new subdirectory: diagnostics after {:?}", start.elapsed());
    editor.settle(QUIET).await;

    // The directory goes away with its file: the file's diagnostics are cleared, and a.cedar
    // is no longer a duplicate's neighbour.
    std::fs::remove_dir_all(root.join("policies/sub")).unwrap();
    let published = editor
        .diagnostics_within(POLLED, &uri(&nested), |_| true)
        .await;
    assert_eq!(summary(&published), vec![]);
    editor.settle(Duration::from_millis(800)).await;

    // A directory the globs skip (build output, dependencies, hidden ones) is not polled.
    for skipped in [
        "policies/target",
        "policies/node_modules/p",
        "policies/.cache",
    ] {
        std::fs::create_dir_all(root.join(skipped)).unwrap();
        std::fs::write(root.join(skipped).join("d.cedar"), NESTED).unwrap();
    }
    let later = editor.collect_for(Duration::from_millis(1500)).await;
    assert_eq!(later, Vec::<Value>::new());
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn a_watching_client_telling_of_json_outside_the_sets_makes_no_refresh() {
    let dir = workspace();
    let root = dir.path();
    let mut editor = Editor::start_with(
        root,
        json!({"deep": false}),
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    )
    .await;
    let request = editor
        .wait_for(|m| m["method"] == "client/registerCapability")
        .await;
    editor.respond(&request["id"], Value::Null).await;
    let (_, b) = open_a(&mut editor, root).await;
    editor.settle(QUIET).await;

    // Build output and dependencies, at the root and below the sets' directories, and hidden
    // directories: 20 writes, no refresh.
    let mut outside = Vec::new();
    for i in 0..12 {
        outside.push(root.join(format!("target/debug/.fingerprint/x-{i}/lib.json")));
    }
    outside.extend(
        [
            "node_modules/p/package.json",
            "node_modules/p/cedarcheck.toml",
            "tests/target/t.json",
            "tests/node_modules/p/index.json",
            "policies/.cache/a.cedar",
            "docs/examples.json",
            "docs/cedarcheck.toml",
            "other/x.cedar",
        ]
        .map(|f| root.join(f)),
    );
    for path in &outside {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "{}").unwrap();
    }
    assert_eq!(outside.len(), 20);
    let events: Vec<(&Path, u8)> = outside.iter().map(|p| (p.as_path(), 1)).collect();
    tell(&mut editor, &events).await;
    let untold = editor.collect_for(Duration::from_millis(1500)).await;
    assert_eq!(untold, Vec::<Value>::new());

    // A change to a set's file still counts.
    let b_path = root.join("policies/b.cedar");
    std::fs::write(&b_path, B_FIXED).unwrap();
    tell(&mut editor, &[(&b_path, 2)]).await;
    let published = editor.diagnostics(&b, |d| d.len() == 1).await;
    assert_eq!(summary(&published), b_fixed());
    assert_eq!(editor.shutdown().await, 0);
}

#[tokio::test]
async fn a_client_that_rejects_the_watcher_registration_is_polled() {
    let dir = workspace();
    let root = dir.path();
    let mut editor = Editor::start_with(
        root,
        json!({"deep": false}),
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    )
    .await;
    let request = editor
        .wait_for(|m| m["method"] == "client/registerCapability")
        .await;
    let rejection = json!({"jsonrpc": "2.0", "id": request["id"],
        "error": {"code": -32601, "message": "no watchers here"}});
    editor.send_raw(rejection.to_string().as_bytes()).await;
    let logged = editor
        .wait_for(|m| m["method"] == "window/logMessage")
        .await;
    assert_eq!(
        logged["params"],
        json!({"type": 2, "message": "cedarcheck: the client did not watch files (Method not found: no watchers here); polling instead"})
    );
    let (_, b) = open_a(&mut editor, root).await;
    editor.settle(Duration::from_millis(1200)).await;

    std::fs::write(root.join("policies/b.cedar"), B_FIXED).unwrap();
    let published = editor
        .diagnostics_within(POLLED, &b, |d| d.len() == 1)
        .await;
    assert_eq!(summary(&published), b_fixed());
    assert_eq!(editor.shutdown().await, 0);
}
