//! Diagnostics: on every change, parse, validation and the static rules for the whole policy
//! set the document belongs to, published for each of the set's files; deep findings join
//! them later ([`crate::deep`]). Test files get the results of their tests
//! ([`super::test_files`]): on a change to the test file itself, and on a change to a policy,
//! schema or entities file they depend on (for the test files that are open or show failures).
//! Results go out through [`crate::publish`]; one computed before a newer edit is never
//! published.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cedarcheck_analyzer::Settings;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticSeverity, MessageType, Position, Range, Uri,
};

use crate::analysis::{self, Alone, FileFindings, Overlay, SetFindings};
use crate::diagnostics::Part;
use crate::state::State;
use crate::tasks::lock;
use crate::{deep, from_proto, publish, tasks, to_proto};

/// What one refresh computed.
pub struct Refresh {
    pub sets: Vec<SetFindings>,
    /// Notes about the refreshed document (workspace errors, not in a set, too large).
    pub notes: Vec<Diagnostic>,
    /// The sets whose deep analysis should run on this text.
    pub deep: Vec<deep::Request>,
    /// The findings of a buffer that is not a file (`untitled:`), checked on its own.
    pub buffer: Option<FileFindings>,
    /// The test files to run: the refreshed one, or those that depend on it.
    pub tests: Vec<analysis::TestJob>,
}

/// Recomputes the diagnostics of everything `uri` belongs to and publishes them, unless a
/// newer edit asked for another refresh meanwhile.
pub async fn refresh(state: Arc<State>, uri: Uri, stamp: u64) {
    let (overlay, snapshot, document) = state.snapshot(&uri);
    // Published with the results of this text: the version they are for.
    let version = document.as_ref().map(|d| d.version);
    let folders = state.folders();
    let text = document.map(|d| d.text);
    let tracked = tracked_tests(&state, &overlay);
    let worker = state.clone();
    let target = uri.clone();
    let tests_overlay = overlay.clone();
    let result = tasks::blocking(move || {
        worker
            .is_latest(&target, stamp)
            .then(|| compute(&target, text, &overlay, &folders, &tracked))
    })
    .await;
    match result {
        Ok(Some(refresh)) => {
            publish::sets(&state, &refresh.sets, Part::Static, snapshot).await;
            if let Some(buffer) = &refresh.buffer {
                let set = SetFindings {
                    root: PathBuf::new(),
                    files: Vec::new(),
                };
                let diagnostics = publish::diagnostics_of(
                    buffer,
                    &set,
                    &Overlay::default(),
                    state.rule_docs().as_deref(),
                );
                let merged =
                    lock(&state.diagnostics).set(&uri, Part::Static, snapshot, diagnostics);
                if let Some(merged) = merged {
                    publish::publish(&state, &uri, merged, version).await;
                }
            }
            // Notes are published when there are some, or to clear old ones: a test file's
            // list would otherwise go out again before its tests ran on the new text.
            let notes = {
                let mut store = lock(&state.diagnostics);
                let had_notes = store.has(&uri, Part::Notes);
                (had_notes || !refresh.notes.is_empty())
                    .then(|| store.set(&uri, Part::Notes, snapshot, refresh.notes))
                    .flatten()
            };
            if let Some(diagnostics) = notes {
                publish::publish(&state, &uri, diagnostics, version).await;
            }
            for request in refresh.deep {
                if let Some(ticket) = state.deep.schedule(&request) {
                    tokio::spawn(run_deep(state.clone(), ticket, request));
                }
            }
            if !refresh.tests.is_empty() {
                run_tests(&state, &uri, stamp, refresh.tests, tests_overlay, snapshot).await;
            }
        }
        Ok(None) => {}
        Err(panic) => {
            state
                .client
                .log_message(
                    MessageType::ERROR,
                    format!("cedarcheck: checking {} failed: {panic}", uri.as_str()),
                )
                .await;
        }
    }
}

/// Runs a scheduled deep analysis when it is due and publishes its findings, unless a newer
/// schedule of the set superseded it meanwhile.
async fn run_deep(state: Arc<State>, ticket: deep::Ticket, request: deep::Request) {
    let snapshot = || (state.stamp(), state.overlay());
    let Some((stamp, outcome)) = state.deep.run(&ticket, request, snapshot).await else {
        return;
    };
    match outcome {
        Ok(deep::Outcome::Findings(set)) => {
            if state.deep.is_current(&ticket) {
                publish::sets(&state, &[set], Part::Deep, stamp).await;
            }
        }
        Ok(deep::Outcome::Cancelled | deep::Outcome::NoSchema) => {}
        Ok(deep::Outcome::NoSolver) => {
            if state.deep.tell_no_solver() {
                state
                    .client
                    .show_message(MessageType::INFO, deep::no_solver_message())
                    .await;
            }
        }
        Err(message) => {
            state
                .client
                .log_message(
                    MessageType::ERROR,
                    format!("cedarcheck: deep analysis failed: {message}"),
                )
                .await;
        }
    }
}

/// The test files worth re-running when what they test changes: the open ones, and those
/// that show failures (so that fixing a policy clears them).
fn tracked_tests(state: &State, overlay: &Overlay) -> HashSet<PathBuf> {
    let failing: Vec<Uri> = lock(&state.diagnostics)
        .with(Part::Tests)
        .cloned()
        .collect();
    overlay
        .files
        .keys()
        .cloned()
        .chain(failing.iter().filter_map(from_proto::file_path))
        .collect()
}

/// Runs the test jobs of a refresh (after its other diagnostics are out) and publishes each
/// test file's results, unless a newer edit of the test file or its set came meanwhile.
async fn run_tests(
    state: &Arc<State>,
    uri: &Uri,
    stamp: u64,
    jobs: Vec<analysis::TestJob>,
    overlay: Overlay,
    snapshot: u64,
) {
    let worker = state.clone();
    let target = uri.clone();
    let result = tasks::blocking(move || {
        if !worker.is_latest(&target, stamp) {
            return Vec::new();
        }
        // A file in several sets' `tests` gets the union of its runs.
        let mut files: Vec<(PathBuf, Vec<PathBuf>, Vec<Diagnostic>)> = Vec::new();
        for job in &jobs {
            let depends: Vec<PathBuf> = job
                .set
                .policies
                .iter()
                .chain(&job.set.schema)
                .chain(&job.set.links)
                .map(|f| job.root.join(f))
                .collect();
            for run in analysis::run_tests(job, &overlay) {
                let diagnostics = super::test_files::diagnostics(&run, &job.root, &overlay);
                let mut depends = depends.clone();
                depends.push(run.path.clone());
                match files.iter_mut().find(|(path, _, _)| *path == run.path) {
                    Some((_, known, list)) => {
                        known.extend(depends);
                        list.extend(diagnostics);
                    }
                    None => files.push((run.path, depends, diagnostics)),
                }
            }
        }
        files
    })
    .await;
    let files = match result {
        Ok(files) => files,
        Err(panic) => {
            state
                .client
                .log_message(
                    MessageType::ERROR,
                    format!("cedarcheck: running the tests failed: {panic}"),
                )
                .await;
            return;
        }
    };
    let overlay = state.overlay();
    for (path, depends, diagnostics) in files {
        if overlay.stamp_of(depends.iter().map(PathBuf::as_path)) > snapshot {
            continue;
        }
        let Some(uri) = to_proto::uri_of(&overlay, &path) else {
            continue;
        };
        let merged = lock(&state.diagnostics).set(&uri, Part::Tests, snapshot, diagnostics);
        if let Some(merged) = merged {
            publish::publish(state, &uri, merged, publish::version_in(&overlay, &path)).await;
        }
    }
}

fn note(severity: DiagnosticSeverity, message: String) -> Diagnostic {
    Diagnostic {
        range: Range::new(Position::new(0, 0), Position::new(0, 0)),
        severity: Some(severity),
        source: Some(to_proto::SOURCE.into()),
        message,
        ..Diagnostic::default()
    }
}

/// The analyses a change to `uri` calls for. `tracked`: the test files to re-run when a file
/// they depend on changes.
pub fn compute(
    uri: &Uri,
    buffer: Option<Arc<str>>,
    overlay: &Overlay,
    folders: &[PathBuf],
    tracked: &HashSet<PathBuf>,
) -> Refresh {
    let mut refresh = Refresh {
        sets: Vec::new(),
        notes: Vec::new(),
        deep: Vec::new(),
        buffer: None,
        tests: Vec::new(),
    };
    let path = from_proto::file_path(uri);
    let is_policy_file = uri.path().as_str().ends_with(".cedar");
    let size = match (&buffer, &path) {
        (Some(text), _) => text.len(),
        (None, Some(path)) => std::fs::metadata(path).map_or(0, |m| m.len() as usize),
        (None, None) => 0,
    };
    if size > analysis::MAX_ANALYZED_BYTES {
        refresh.notes.push(note(
            DiagnosticSeverity::INFORMATION,
            format!(
                "this file is {} MiB, too large to check as you type (the limit is {} MiB); \
                 run `cedarcheck check` on it",
                size >> 20,
                analysis::MAX_ANALYZED_BYTES >> 20
            ),
        ));
        return refresh;
    }
    let Some(path) = path else {
        if let Some(text) = buffer {
            let name = uri.path().as_str().rsplit('/').next().unwrap_or("untitled");
            let set = analysis::check_alone(Path::new(name), text, &Settings::default());
            refresh.buffer = set.files.into_iter().next();
        }
        return refresh;
    };
    let membership = match overlay.cache.membership(&path, folders) {
        Ok(membership) => membership,
        Err(why) => {
            if matches!(why, Alone::NotInAnySet) && !is_policy_file {
                // An entities file (or other data) the tests of the workspace may read.
                refresh.tests = dependent_tests(&path, folders, tracked, overlay);
            }
            let (severity, message) = match why {
                Alone::WorkspaceError(message) => (DiagnosticSeverity::ERROR, message),
                Alone::NotInAnySet => (
                    DiagnosticSeverity::INFORMATION,
                    "this file is not part of any policy set of cedarcheck.toml; it was checked \
                     on its own, without a schema"
                        .into(),
                ),
                Alone::NotAFile => return refresh,
            };
            if is_policy_file {
                let text = buffer.or_else(|| std::fs::read_to_string(&path).ok().map(Into::into));
                if let Some(text) = text {
                    refresh
                        .sets
                        .push(alone_at(&path, text, &Settings::default()));
                }
                refresh.notes.push(note(severity, message));
            }
            return refresh;
        }
    };
    let root = &membership.workspace.root;
    let settings = membership.workspace.settings();
    for (index, set) in &membership.sets {
        let relative = membership.relative.as_str();
        let is_invariant = set.invariants.iter().any(|f| f == relative);
        let is_test = set.tests.iter().any(|f| f == relative);
        let is_schema = set.schema.as_deref() == Some(relative);
        if is_test {
            refresh.tests.push(analysis::test_job(
                &membership.workspace,
                set,
                vec![relative.to_string()],
            ));
            continue;
        }
        if !is_invariant {
            let dependent: Vec<String> = set
                .tests
                .iter()
                .filter(|t| tracked.contains(&root.join(t)))
                .cloned()
                .collect();
            if !dependent.is_empty() {
                refresh
                    .tests
                    .push(analysis::test_job(&membership.workspace, set, dependent));
            }
        }
        let outcome = {
            let mut sets = Vec::new();
            if !is_invariant {
                sets.push(analysis::check_set(root, set, &settings, overlay));
            }
            if (is_invariant || is_schema) && !set.invariants.is_empty() {
                sets.push(analysis::check_invariants(root, set, &settings, overlay));
            }
            refresh.deep.push(deep::Request {
                root: root.clone(),
                index: *index,
                set: set.clone(),
                settings: settings.clone(),
                analysis: membership.workspace.analysis(),
            });
            sets.into_iter().collect::<std::io::Result<Vec<_>>>()
        };
        match outcome {
            Ok(sets) => refresh.sets.extend(sets),
            Err(e) => refresh.notes.push(note(
                DiagnosticSeverity::ERROR,
                format!("cannot read the policy set: {e}"),
            )),
        }
    }
    refresh
}

/// The tracked test files of the workspace a JSON file outside every set lies in: an
/// entities file is in no set, and any test of the workspace may read it. Their memberships
/// come from the cache, so that typing in a JSON file walks no directory.
fn dependent_tests(
    path: &Path,
    folders: &[PathBuf],
    tracked: &HashSet<PathBuf>,
    overlay: &Overlay,
) -> Vec<analysis::TestJob> {
    if path.extension().is_none_or(|e| e != "json") {
        return Vec::new();
    }
    let Ok(workspace) = analysis::workspace_of(path, folders) else {
        return Vec::new();
    };
    let mut candidates: Vec<&PathBuf> = tracked
        .iter()
        .filter(|t| {
            t.as_path() != path
                && t.starts_with(&workspace.root)
                && t.extension().is_some_and(|e| e == "json")
        })
        .collect();
    candidates.sort();
    let mut jobs: BTreeMap<usize, analysis::TestJob> = BTreeMap::new();
    for test in candidates {
        let Ok(membership) = overlay.cache.membership(test, folders) else {
            continue;
        };
        if membership.workspace.root != workspace.root {
            continue;
        }
        for (index, set) in &membership.sets {
            if !set.tests.contains(&membership.relative) {
                continue;
            }
            jobs.entry(*index)
                .or_insert_with(|| analysis::test_job(&membership.workspace, set, Vec::new()))
                .files
                .push(membership.relative.clone());
        }
    }
    jobs.into_values().collect()
}

fn alone_at(path: &Path, text: Arc<str>, settings: &Settings) -> SetFindings {
    analysis::check_alone(path, text, settings)
}
