//! The "Evaluate" lens (as Regal's): above each policy that some test of its set exercises —
//! the policy determined the test's decision or raised an error in it — a lens says how many
//! tests and what they decided, `▶ 3 tests: 2 allow, 1 deny`. Its command,
//! [`EVALUATE`], answers with the decision and determining policies of each of those tests.
//!
//! Lenses are cheap: they come from the last run of the set's tests ([`LastRuns`]), which is
//! the run of the current text — tests run with Cedar's authorizer, never the solver — and is
//! run again only when a document changed, or was opened, saved or closed, since.

use serde_json::{json, Value};
use std::path::PathBuf;
use tower_lsp_server::ls_types::{CodeLens, Command, Uri};

use crate::analysis::{self, Overlay, PolicyItem};
use crate::test_runs::{LastRuns, Outcome};
use crate::{from_proto, to_proto};

/// The command of the lens: its argument is `{"uri": …, "policy": id}`.
pub const EVALUATE: &str = "cedarcheck.evaluate";

/// The policies of the document at `uri` with the tests that exercised each.
fn tested_policies(
    uri: &Uri,
    text: &str,
    overlay: &Overlay,
    folders: &[PathBuf],
    runs: &LastRuns,
    stamp: u64,
) -> Vec<(PolicyItem, Vec<Outcome>)> {
    let Some(path) = from_proto::file_path(uri) else {
        return Vec::new();
    };
    let Ok(membership) = overlay.cache.membership(&path, folders) else {
        return Vec::new();
    };
    let relative = &membership.relative;
    let items = analysis::policies_in(text).unwrap_or_default();
    let mut found: Vec<(PolicyItem, Vec<Outcome>)> = Vec::new();
    for (_, set) in &membership.sets {
        if set.tests.is_empty() || !set.policies.contains(relative) {
            continue;
        }
        let job = analysis::test_job(&membership.workspace, set, set.tests.clone());
        let run = runs.run(&job, overlay, stamp);
        for item in items.iter().filter(|item| !item.template) {
            let qualified = format!("{relative}#{}", item.id);
            let outcomes = run
                .policies
                .iter()
                .find(|(file, id, _)| file == relative && (*id == item.id || *id == qualified))
                .map(|(_, _, outcomes)| outcomes.clone())
                .unwrap_or_default();
            if outcomes.is_empty() {
                continue;
            }
            match found.iter_mut().find(|(known, _)| known.span == item.span) {
                Some((_, known)) => known.extend(outcomes),
                None => found.push((item.clone(), outcomes)),
            }
        }
    }
    found
}

/// `▶ 3 tests: 2 allow, 1 deny`.
fn title(outcomes: &[Outcome]) -> String {
    let count = |decision: &str| outcomes.iter().filter(|o| o.decision == decision).count();
    let decisions: Vec<String> = [("allow", count("allow")), ("deny", count("deny"))]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(decision, n)| format!("{n} {decision}"))
        .collect();
    let tests = if outcomes.len() == 1 { "test" } else { "tests" };
    format!("▶ {} {tests}: {}", outcomes.len(), decisions.join(", "))
}

/// The lenses of a policy file.
pub fn code_lenses(
    uri: &Uri,
    text: &str,
    overlay: &Overlay,
    folders: &[PathBuf],
    runs: &LastRuns,
    stamp: u64,
) -> Vec<CodeLens> {
    if !uri.path().as_str().ends_with(".cedar") {
        return Vec::new();
    }
    let index = cedarcheck_analyzer::LineIndex::new(text);
    tested_policies(uri, text, overlay, folders, runs, stamp)
        .into_iter()
        .map(|(policy, outcomes)| {
            let at = to_proto::position(text, &index, policy.span.start);
            CodeLens {
                range: tower_lsp_server::ls_types::Range::new(at, at),
                command: Some(Command {
                    title: title(&outcomes),
                    command: EVALUATE.into(),
                    arguments: Some(vec![json!({"uri": uri.as_str(), "policy": policy.id})]),
                }),
                data: None,
            }
        })
        .collect()
}

/// What [`EVALUATE`] answers: per test that exercised the policy, its decision and the
/// policies that determined it, the errors, and why it fails if it does.
pub fn evaluate(
    argument: &Value,
    text_of: impl Fn(&Uri) -> Option<String>,
    overlay: &Overlay,
    folders: &[PathBuf],
    runs: &LastRuns,
    stamp: u64,
) -> Option<String> {
    let uri: Uri = argument["uri"].as_str()?.parse().ok()?;
    let policy = argument["policy"].as_str()?;
    let text = text_of(&uri)?;
    let (_, outcomes) = tested_policies(&uri, &text, overlay, folders, runs, stamp)
        .into_iter()
        .find(|(item, _)| item.id == policy)?;
    let mut lines = vec![format!("`{policy}`: {}", &title(&outcomes)["▶ ".len()..])];
    for outcome in &outcomes {
        let by = if outcome.determining.is_empty() {
            "no policy".to_string()
        } else {
            outcome.determining.join(", ")
        };
        let mut line = format!(
            "{} {}: {}, determined by {by}",
            outcome.at,
            serde_json::Value::from(outcome.name.as_str()),
            outcome.decision
        );
        if !outcome.errors.is_empty() {
            line.push_str(&format!("; errors: {}", outcome.errors.join("; ")));
        }
        if !outcome.failures.is_empty() {
            line.push_str(&format!(" (fails: {})", outcome.failures.join("; ")));
        }
        lines.push(line);
    }
    Some(lines.join("\n"))
}
