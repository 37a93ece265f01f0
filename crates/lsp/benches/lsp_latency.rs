//! didChange → publishDiagnostics latency for a 1,000-policy document in a workspace with a
//! schema (parse, strict validation and every static rule of the whole set), p50 and p95:
//! the time from sending an edit to receiving the diagnostics of the edited version, as an
//! editor shows them.
//! `cargo bench -p cedarcheck-lsp --bench lsp_latency`
//!
//! Three kinds of edits: typing a character into a policy condition, each time into another
//! policy across the file (so every policy after it moves); deleting a policy's `;` (the file
//! no longer parses); typing it back.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

const SCHEMA: &str = "namespace App {\n  entity User { admin: Bool, level: Long };\n  entity Doc { owner: User };\n  action read, write appliesTo { principal: [User], resource: [Doc] };\n}\n";

const POLICIES: usize = 1000;

fn policies(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "@id(\"p{i}\")\npermit(principal is App::User, action == App::Action::\"read\", resource is App::Doc)\nwhen {{ resource.owner == principal && principal.level > {i} }};\n"
            )
        })
        .collect()
}

/// The `when { … };` line of policy `i`.
fn condition_line(i: usize) -> usize {
    3 * i + 2
}

struct Session {
    editor: support::Editor,
    uri: String,
    /// The document as the server has it, line by line.
    lines: Vec<String>,
    version: i32,
}

impl Session {
    /// Replaces `line[start..end]` (ASCII) with `text` and returns the time until the
    /// diagnostics of that version are published, and them.
    async fn edit(
        &mut self,
        line: usize,
        start: usize,
        end: usize,
        text: &str,
    ) -> (Duration, Value) {
        self.version += 1;
        let version = self.version;
        self.lines[line].replace_range(start..end, text);
        let started = Instant::now();
        self.editor
            .notify(
                "textDocument/didChange",
                json!({
                    "textDocument": {"uri": self.uri, "version": version},
                    "contentChanges": [{"range": {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}}, "text": text}],
                }),
            )
            .await;
        // The server publishes each result with the version of the text it checked.
        let uri = self.uri.clone();
        let published = self
            .editor
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && m["params"]["version"] == version
            })
            .await;
        let elapsed = started.elapsed();
        self.editor.received.clear();
        (elapsed, published["params"]["diagnostics"].clone())
    }
}

fn codes(diagnostics: &Value) -> Vec<String> {
    support::codes(diagnostics.as_array().map_or(&[], Vec::as_slice))
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what}, {} edits: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        samples.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = policies(POLICIES);
    support::write(
        dir.path(),
        &[("app.cedarschema", SCHEMA), ("policies.cedar", &text)],
    );
    let mut editor = support::Editor::start(dir.path(), json!({"deep": false})).await;
    let uri = editor.open(&dir.path().join("policies.cedar"), &text).await;
    let opened = editor
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == 1
        })
        .await;
    assert_eq!(
        codes(&opened["params"]["diagnostics"]),
        Vec::<String>::new()
    );
    editor.received.clear();
    let mut session = Session {
        editor,
        uri,
        lines: text.lines().map(str::to_string).collect(),
        version: 1,
    };

    let mut typing = Vec::new();
    for edit in 0..100 {
        // Type a space before the condition of a policy somewhere in the file.
        let line = condition_line(edit * 389 % POLICIES);
        let (elapsed, diagnostics) = session.edit(line, 0, 0, " ").await;
        assert_eq!(codes(&diagnostics), Vec::<String>::new());
        typing.push(elapsed);
    }
    let (mut breaking, mut fixing) = (Vec::new(), Vec::new());
    for edit in 0..50 {
        let line = condition_line((edit * 211 + 7) % POLICIES);
        let end = session.lines[line].len();
        let (elapsed, diagnostics) = session.edit(line, end - 1, end, "").await;
        assert!(codes(&diagnostics).contains(&"parse-error".to_string()));
        breaking.push(elapsed);
        let (elapsed, diagnostics) = session.edit(line, end - 1, end - 1, ";").await;
        assert_eq!(codes(&diagnostics), Vec::<String>::new());
        fixing.push(elapsed);
    }
    println!("didChange -> publishDiagnostics of that version, 1,000 policies:");
    report("  typing into a condition", typing);
    report("  deleting a policy's `;`", breaking);
    report("  typing the `;` back", fixing);
    session.editor.shutdown().await;
}
