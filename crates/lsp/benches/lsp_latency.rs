//! didChange → publishDiagnostics latency for a 1,000-policy document in a workspace with a
//! schema (parse, strict validation and every static rule of the whole set), p50 and p95.
//! `cargo bench -p cedarcheck-lsp --bench lsp_latency`

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use serde_json::json;

const SCHEMA: &str = "namespace App {\n  entity User { admin: Bool, level: Long };\n  entity Doc { owner: User };\n  action read, write appliesTo { principal: [User], resource: [Doc] };\n}\n";

fn policies(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "@id(\"p{i}\")\npermit(principal is App::User, action == App::Action::\"read\", resource is App::Doc)\nwhen {{ resource.owner == principal && principal.level > {i} }};\n"
            )
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = policies(1000);
    support::write(
        dir.path(),
        &[("app.cedarschema", SCHEMA), ("policies.cedar", &text)],
    );
    let mut editor = support::Editor::start(dir.path(), json!({"deep": false})).await;
    let uri = editor.open(&dir.path().join("policies.cedar"), &text).await;
    editor.diagnostics(&uri, |_| true).await;
    let mut samples = Vec::new();
    for version in 2..=101 {
        // Type one character into the last policy's condition, as an editor sends it.
        let line = 3 * 1000 - 1;
        let started = Instant::now();
        editor
            .notify(
                "textDocument/didChange",
                json!({
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": " "}],
                }),
            )
            .await;
        editor
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["version"] == version
            })
            .await;
        samples.push(started.elapsed());
        editor.received.clear();
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "didChange -> publishDiagnostics, 1,000 policies, {} edits: p50 {:.1} ms, p95 {:.1} ms",
        samples.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3
    );
    editor.shutdown().await;
}
