//! Deep findings in the editor: computed in the background, merged into the static ones, and
//! retired by the next edit; a run that a newer edit or shutdown supersedes is cancelled.
//! Needs cvc5: skips without it, fails under CI.

mod support;

use cedarcheck_test_support::{require_tool, Tool};
use serde_json::json;
use support::{codes, write, Editor};

/// `$CVC5` names the solver the server runs; the tests that put a fake one there run alone.
static SOLVER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SCHEMA: &str = "namespace App {\n  entity User;\n  entity Doc;\n  action read appliesTo { principal: [User], resource: [Doc] };\n}\n";
const POLICIES: &str = "@id(\"read\")\npermit(principal is App::User, action == App::Action::\"read\", resource is App::Doc);\n@id(\"deny\")\nforbid(principal, action, resource);\npermit(principal is App::User, action, resource is App::Doc);\n";

#[tokio::test]
async fn deep_findings_arrive_in_the_background_and_the_next_edit_retires_them() {
    if require_tool(
        "deep_findings_arrive_in_the_background_and_the_next_edit_retires_them",
        Tool::Cvc5,
    )
    .is_none()
    {
        return;
    }
    let _solver = SOLVER.lock().await;
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
    // Decided (an error, with its message), not an undecided `unknown` one.
    assert_eq!(overridden["severity"], 1, "{overridden}");
    assert!(
        overridden["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("permit `")
                && m.contains("` is dead: every request it matches is denied by forbid")),
        "{overridden}"
    );
    // On the permit's head, where static findings on it stand, as `cedarcheck check` reports it.
    assert_eq!(overridden["range"]["start"]["line"], 1, "{overridden}");
    // The forbid that overrides it is related information, on its head too.
    assert_eq!(
        overridden["relatedInformation"][0]["location"]["range"]["start"]["line"], 3,
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

const OPS_SCHEMA: &str = "namespace Ops {\n  entity Operator;\n  entity Host;\n  action RebootHost appliesTo { principal: [Operator], resource: [Host] };\n  action ExportAll appliesTo { principal: [Operator], resource: [Host] };\n  action PurgeAll appliesTo { principal: [Operator], resource: [Host] };\n}\n";
const OPS_POLICIES: &str = "@id(\"operators-reboot\")\npermit (principal == Ops::Operator::\"alice\", action == Ops::Action::\"RebootHost\", resource is Ops::Host);\n";

/// A workspace whose `[analysis] intentionally-denied` is `entry`.
fn ops_workspace(entry: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "policies = [\"policies.cedar\"]\nschema = \"ops.cedarschema\"\n\n[analysis]\nintentionally-denied = ['{entry}']\n"
    );
    write(
        dir.path(),
        &[
            ("cedarcheck.toml", &config),
            ("ops.cedarschema", OPS_SCHEMA),
            ("policies.cedar", OPS_POLICIES),
        ],
    );
    dir
}

/// `[analysis] intentionally-denied` as `cedarcheck check` reads it: the action it names gets
/// no `unreachable-action` finding in the editor, while another action nobody can perform
/// does; an entry that names no action of the schema is the config error `check` stops at.
#[tokio::test]
async fn an_intentionally_denied_action_gets_no_unreachable_action_finding_as_in_the_cli() {
    if require_tool(
        "an_intentionally_denied_action_gets_no_unreachable_action_finding_as_in_the_cli",
        Tool::Cvc5,
    )
    .is_none()
    {
        return;
    }
    let _solver = SOLVER.lock().await;
    let dir = ops_workspace("Ops::Action::\"ExportAll\"");
    let mut editor = Editor::start(dir.path(), json!({"deep": true})).await;
    editor
        .open(&dir.path().join("policies.cedar"), OPS_POLICIES)
        .await;
    let schema = support::uri(&dir.path().join("ops.cedarschema"));
    let published = editor
        .diagnostics(&schema, |d| {
            codes(d).iter().any(|c| c == "unreachable-action")
        })
        .await;
    let unreachable: Vec<(&serde_json::Value, &str)> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unreachable-action")
        .map(|d| (&d["range"]["start"], d["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        unreachable,
        [(
            &json!({"line": 5, "character": 9}),
            "no request can perform `Ops::Action::\"PurgeAll\"`: no permit applies to it, in its \
             one request environment (Ops::Operator, Ops::Action::\"PurgeAll\", Ops::Host)\n\
             help: add a permit for it, or list it in cedarcheck.toml if it is denied by design: \
             [analysis] intentionally-denied = ['Ops::Action::\"PurgeAll\"']"
        )],
        "{published}"
    );
    assert_eq!(editor.shutdown().await, 0);

    let dir = ops_workspace("Ops::Action::\"Export\"");
    let mut editor = Editor::start(dir.path(), json!({"deep": true})).await;
    editor
        .open(&dir.path().join("policies.cedar"), OPS_POLICIES)
        .await;
    let logged = editor
        .wait_for(|m| {
            m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("intentionally-denied"))
        })
        .await;
    let message = logged["params"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("cedarcheck: deep analysis failed: ")
            && message.ends_with(
                "cedarcheck.toml:5:25: `Ops::Action::\"Export\"` in [analysis] \
                 intentionally-denied is not an action of the schema (its actions: \
                 Ops::Action::\"ExportAll\", Ops::Action::\"PurgeAll\", \
                 Ops::Action::\"RebootHost\")"
            ),
        "{message}"
    );
    assert_eq!(editor.shutdown().await, 0);
}

/// Cancellation, seen from outside: a fake solver that hangs shows whether a superseded run
/// stops (its process is killed) or holds the set.
#[cfg(target_os = "linux")]
mod cancel {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use serde_json::{json, Value};

    use super::support::{self, codes, write, Editor};
    use super::{SCHEMA, SOLVER};
    use cedarcheck_test_support::{require_tool, Tool};

    /// A fake cvc5 in `dir`: it records its process id in `dir/solver-pids`, then hangs (for a
    /// minute, longer than any of these tests) while `dir/hang` exists and is the real cvc5
    /// otherwise. `$CVC5` names it until the guard drops.
    struct FakeSolver {
        dir: PathBuf,
        previous: Option<std::ffi::OsString>,
    }

    impl FakeSolver {
        fn install(dir: &Path) -> Self {
            use std::os::unix::fs::PermissionsExt;
            let real = cedarcheck_prover::find_cvc5().unwrap();
            let script = dir.join("fake-cvc5");
            std::fs::write(
                &script,
                format!(
                    "#!/bin/sh\necho $$ >> '{dir}/solver-pids'\nif [ -e '{dir}/hang' ]; then exec sleep 60; fi\nexec '{real}' \"$@\"\n",
                    dir = dir.display(),
                    real = real.display()
                ),
            )
            .unwrap();
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::write(dir.join("hang"), "").unwrap();
            let previous = std::env::var_os("CVC5");
            std::env::set_var("CVC5", &script);
            Self {
                dir: dir.to_path_buf(),
                previous,
            }
        }

        /// The solver processes started so far.
        fn pids(&self) -> Vec<u32> {
            std::fs::read_to_string(self.dir.join("solver-pids"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect()
        }

        /// Waits until a solver process has started and returns its id.
        async fn first_started(&self) -> u32 {
            let deadline = Instant::now() + support::TIMEOUT;
            loop {
                if let Some(&pid) = self.pids().first() {
                    return pid;
                }
                assert!(Instant::now() < deadline, "no solver process started");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }

        /// From now on, the real solver answers.
        fn stop_hanging(&self) {
            std::fs::remove_file(self.dir.join("hang")).unwrap();
        }
    }

    impl Drop for FakeSolver {
        fn drop(&mut self) {
            // A failed test leaves no hanging solver behind.
            for pid in self.pids().into_iter().filter(|&pid| running(pid)) {
                let _ = std::process::Command::new("kill")
                    .arg(pid.to_string())
                    .status();
            }
            match &self.previous {
                Some(previous) => std::env::set_var("CVC5", previous),
                None => std::env::remove_var("CVC5"),
            }
        }
    }

    fn is_deep(code: &str) -> bool {
        cedarcheck_analyzer::rule(code)
            .is_some_and(|rule| matches!(rule.source, cedarcheck_analyzer::Source::Deep))
    }

    /// Whether process `pid` still runs (a zombie has ended).
    fn running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    }

    /// Waits up to `limit` for process `pid` to end; whether it did.
    async fn ends_within(pid: u32, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while running(pid) {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Conditions only the solver decides: `senior` is overridden by `block`.
    const CONDITIONAL: &str = "@id(\"senior\")\npermit(principal is App::User, action == App::Action::\"read\", resource is App::Doc) when { principal.level > 5 };\n@id(\"block\")\nforbid(principal, action, resource) when { principal.level > 3 };\n";

    /// A workspace whose solver queries may take ten minutes each, on one worker.
    fn slow_workspace() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "cedarcheck.toml",
                    "policies = [\"policies.cedar\"]\nschema = \"app.cedarschema\"\n\n[analysis]\ntimeout-ms = 600000\njobs = 1\n",
                ),
                (
                    "app.cedarschema",
                    &SCHEMA.replace("entity User;", "entity User { level: Long };"),
                ),
                ("policies.cedar", CONDITIONAL),
            ],
        );
        dir
    }

    fn published_for<'a>(messages: &'a [Value], uri: &str) -> Vec<&'a Value> {
        messages
            .iter()
            .filter(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            })
            .collect()
    }

    #[tokio::test]
    async fn an_edit_cancels_the_running_deep_analysis_and_its_findings_are_never_shown() {
        if require_tool(
            "an_edit_cancels_the_running_deep_analysis_and_its_findings_are_never_shown",
            Tool::Cvc5,
        )
        .is_none()
        {
            return;
        }
        let _solver = SOLVER.lock().await;
        let dir = slow_workspace();
        let fake = FakeSolver::install(dir.path());
        let mut editor = Editor::start(dir.path(), json!({"deep": true})).await;
        let uri = editor
            .open(&dir.path().join("policies.cedar"), CONDITIONAL)
            .await;
        // The first run's first query hangs: without cancellation it would hold the set for ten
        // minutes.
        let stale = fake.first_started().await;
        assert!(running(stale));
        fake.stop_hanging();
        let edited = Instant::now();
        editor
            .notify(
                "textDocument/didChange",
                json!({
                    "textDocument": {"uri": uri, "version": 2},
                    "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "// edited\n"}],
                }),
            )
            .await;
        // The stale query is cut off: its solver process is killed right away.
        assert!(
            ends_within(stale, Duration::from_secs(5)).await,
            "the superseded run's solver still runs {:?} after the edit",
            edited.elapsed()
        );
        // The new run, free to start, publishes the findings of the new text.
        let deep = editor
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && m["params"]["version"] == 2
                    && codes(m["params"]["diagnostics"].as_array().unwrap())
                        .iter()
                        .any(|c| c == "overridden-permit")
            })
            .await;
        let overridden = deep["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == "overridden-permit")
            .unwrap();
        // On the permit's head, one line lower than before the edit.
        assert_eq!(overridden["range"]["start"]["line"], 2, "{overridden}");
        assert!(fake.pids().len() > 1, "the new run asked the solver");
        // Nothing of the cancelled run was ever shown: no deep finding on the first version, no
        // query left undecided because of the cancellation.
        for message in published_for(&editor.received, &uri)
            .into_iter()
            .chain([&deep])
        {
            let diagnostics = message["params"]["diagnostics"].as_array().unwrap();
            for diagnostic in diagnostics {
                let text = diagnostic["message"].as_str().unwrap();
                assert!(!text.contains("cancelled"), "{message}");
                assert!(!text.starts_with("unknown:"), "{message}");
            }
            if message["params"]["version"] == 1 {
                assert!(!codes(diagnostics).iter().any(|c| is_deep(c)), "{message}");
            }
        }
        assert_eq!(editor.shutdown().await, 0);
    }

    #[tokio::test]
    async fn shutdown_cancels_the_running_deep_analysis() {
        if require_tool("shutdown_cancels_the_running_deep_analysis", Tool::Cvc5).is_none() {
            return;
        }
        let _solver = SOLVER.lock().await;
        let dir = slow_workspace();
        let fake = FakeSolver::install(dir.path());
        let mut editor = Editor::start(dir.path(), json!({"deep": true})).await;
        editor
            .open(&dir.path().join("policies.cedar"), CONDITIONAL)
            .await;
        let hanging = fake.first_started().await;
        assert_eq!(editor.shutdown().await, 0);
        assert!(
            ends_within(hanging, Duration::from_secs(5)).await,
            "the solver of a run still runs after shutdown"
        );
    }
}
