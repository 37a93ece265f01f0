//! Diagnostics: on every change, parse, validation and the static rules for the whole policy
//! set the document belongs to, published for each of the set's files; deep findings join
//! them later ([`crate::deep`]). A result computed before a newer edit is never published.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cedarcheck_analyzer::Settings;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticSeverity, MessageType, Position, Range, Uri,
};

use crate::analysis::{self, Alone, FileFindings, SetFindings};
use crate::documents::Overlay;
use crate::server::{lock, State};
use crate::{deep, from_proto, tasks, to_proto};

/// Which analysis a file's diagnostics came from; a file's published list is their union.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Parse, validation and static rules of the file's set.
    Static,
    /// Notes about the document itself: no workspace, not in any set, too large.
    Notes,
    /// The solver-backed rules.
    Deep,
}

/// The diagnostics of every file, by part, each with the edit stamp it was computed at.
#[derive(Default)]
pub struct Store {
    files: HashMap<Uri, BTreeMap<Part, (u64, Vec<Diagnostic>)>>,
}

impl Store {
    /// Records `part` of `uri`'s diagnostics computed at `stamp` and returns the file's new
    /// list, or `None` when a newer result of that part is already recorded. Static results
    /// retire deep ones computed before them: those describe text that changed.
    pub fn set(
        &mut self,
        uri: &Uri,
        part: Part,
        stamp: u64,
        diagnostics: Vec<Diagnostic>,
    ) -> Option<Vec<Diagnostic>> {
        let parts = self.files.entry(uri.clone()).or_default();
        if parts.get(&part).is_some_and(|(s, _)| *s > stamp) {
            return None;
        }
        if part == Part::Static {
            parts.retain(|p, (s, _)| *p != Part::Deep || *s >= stamp);
        }
        parts.insert(part, (stamp, diagnostics));
        Some(
            parts
                .values()
                .flat_map(|(_, d)| d.iter().cloned())
                .collect(),
        )
    }

    /// What was last published for `uri`.
    pub fn published(&self, uri: &Uri) -> Vec<Diagnostic> {
        self.files
            .get(uri)
            .map(|parts| {
                parts
                    .values()
                    .flat_map(|(_, d)| d.iter().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What one refresh computed.
pub struct Refresh {
    pub sets: Vec<SetFindings>,
    /// Notes about the refreshed document (workspace errors, not in a set, too large).
    pub notes: Vec<Diagnostic>,
    /// The sets whose deep analysis should run on this text.
    pub deep: Vec<deep::Request>,
    /// The findings of a buffer that is not a file (`untitled:`), checked on its own.
    pub buffer: Option<FileFindings>,
}

/// Recomputes the diagnostics of everything `uri` belongs to and publishes them, unless a
/// newer edit asked for another refresh meanwhile.
pub async fn refresh(state: Arc<State>, uri: Uri, stamp: u64) {
    let overlay = state.overlay();
    let snapshot = state.stamp();
    let folders = state.folders();
    let text = state.document(&uri).map(|d| d.text);
    let worker = state.clone();
    let target = uri.clone();
    let result = tasks::blocking(move || {
        worker
            .is_latest(&target, stamp)
            .then(|| compute(&target, text, &overlay, &folders))
    })
    .await;
    match result {
        Ok(Some(refresh)) => {
            publish_sets(&state, &refresh.sets, Part::Static, snapshot).await;
            if let Some(buffer) = &refresh.buffer {
                let set = SetFindings {
                    root: PathBuf::new(),
                    files: Vec::new(),
                };
                let diagnostics = diagnostics_of(
                    buffer,
                    &set,
                    &Overlay::default(),
                    state.rule_docs().as_deref(),
                );
                let merged =
                    lock(&state.diagnostics).set(&uri, Part::Static, snapshot, diagnostics);
                if let Some(merged) = merged {
                    publish(&state, &uri, merged).await;
                }
            }
            let notes = lock(&state.diagnostics).set(&uri, Part::Notes, snapshot, refresh.notes);
            if let Some(diagnostics) = notes {
                publish(&state, &uri, diagnostics).await;
            }
            for request in refresh.deep {
                state.deep.schedule(state.clone(), request);
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

/// Publishes the findings of analyses taken at `snapshot`, set by set, skipping a set when
/// one of its open files changed since.
pub async fn publish_sets(state: &State, sets: &[SetFindings], part: Part, snapshot: u64) {
    let overlay = state.overlay();
    let rule_docs = state.rule_docs();
    for set in sets {
        if overlay.stamp_of(set.files.iter().map(|f| f.path.as_path())) > snapshot {
            continue;
        }
        for file in &set.files {
            let Some(uri) = uri_of(&overlay, &file.path) else {
                continue;
            };
            let diagnostics = diagnostics_of(file, set, &overlay, rule_docs.as_deref());
            let merged = lock(&state.diagnostics).set(&uri, part, snapshot, diagnostics);
            if let Some(merged) = merged {
                publish(state, &uri, merged).await;
            }
        }
    }
}

async fn publish(state: &State, uri: &Uri, diagnostics: Vec<Diagnostic>) {
    let version = state.document(uri).map(|d| d.version);
    state
        .client
        .publish_diagnostics(uri.clone(), diagnostics, version)
        .await;
}

/// The client's URI for an open file (it may spell it differently), else the file's URI.
pub fn uri_of(overlay: &Overlay, path: &Path) -> Option<Uri> {
    match overlay.get(path) {
        Some(doc) => Some(doc.uri.clone()),
        None => to_proto::file_uri(path),
    }
}

fn diagnostics_of(
    file: &FileFindings,
    set: &SetFindings,
    overlay: &Overlay,
    rule_docs: Option<&str>,
) -> Vec<Diagnostic> {
    let related = |relative: &str| {
        let other = set.file(relative)?;
        Some((
            uri_of(overlay, &other.path)?,
            to_proto::Located {
                text: &other.text,
                index: &other.index,
            },
        ))
    };
    let cx = to_proto::DiagnosticContext {
        file: to_proto::Located {
            text: &file.text,
            index: &file.index,
        },
        related: &related,
        rule_docs,
    };
    file.findings
        .iter()
        .map(|finding| to_proto::diagnostic(finding, &cx))
        .collect()
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

/// The analyses a change to `uri` calls for.
pub fn compute(
    uri: &Uri,
    buffer: Option<Arc<str>>,
    overlay: &Overlay,
    folders: &[PathBuf],
) -> Refresh {
    let mut refresh = Refresh {
        sets: Vec::new(),
        notes: Vec::new(),
        deep: Vec::new(),
        buffer: None,
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
            continue;
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

fn alone_at(path: &Path, text: Arc<str>, settings: &Settings) -> SetFindings {
    analysis::check_alone(path, text, settings)
}
