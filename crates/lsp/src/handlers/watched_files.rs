//! Files created, changed or deleted outside the editor (README "Language server"): told by
//! the client (`workspace/didChangeWatchedFiles`, registered for [`crate::watch::GLOBS`] when
//! the client registers watchers dynamically) or found by polling the directories the known
//! sets' globs can reach ([`crate::watch`]). Either way the changes within the known sets'
//! [`Scope`] become a [`Plan`]: which files' diagnostics to clear (deleted ones) and which
//! documents to refresh. A file open in the editor is not affected: its buffer is what
//! counts; nor is one no known set could read (build output's JSON, say).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tower_lsp_server::ls_types::{
    DidChangeWatchedFilesParams, DidChangeWatchedFilesRegistrationOptions, FileChangeType,
    FileSystemWatcher, GlobPattern, Registration, Uri,
};

use crate::state::State;
use crate::tasks::lock;
use cedarcheck_workspace::find_config;

use crate::watch::{self, Change, Scope, Snapshot};
use crate::{from_proto, to_proto};

/// The registration's id and method.
pub const REGISTRATION_ID: &str = "cedarcheck-watched-files";
pub const METHOD: &str = "workspace/didChangeWatchedFiles";

/// The watchers asked of a client that registers them dynamically.
pub fn registration() -> Registration {
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: watch::GLOBS
            .iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String((*glob).to_string()),
                kind: None,
            })
            .collect(),
    };
    Registration {
        id: REGISTRATION_ID.into(),
        method: METHOD.into(),
        register_options: serde_json::to_value(options).ok(),
    }
}

/// The client's events as changes of paths (events for other URIs are dropped).
pub fn changes_of(params: &DidChangeWatchedFilesParams) -> Vec<(PathBuf, Change)> {
    params
        .changes
        .iter()
        .filter_map(|event| {
            let change = match event.typ {
                FileChangeType::CREATED => Change::Created,
                FileChangeType::DELETED => Change::Deleted,
                _ => Change::Changed,
            };
            Some((from_proto::file_path(&event.uri)?, change))
        })
        .collect()
}

/// What a batch of changes outside the editor calls for.
pub struct Plan {
    /// Deleted files whose diagnostics were cleared: publish an empty list for each.
    pub cleared: Vec<Uri>,
    /// Documents to refresh at `stamp`: every known document (open, or on disk), whose
    /// refresh re-checks its sets and re-runs their tracked tests, and the changed JSON
    /// files (a test file runs its tests, an entities file those that may read it).
    pub refresh: Vec<Uri>,
    pub stamp: u64,
}

/// Forgets what was read from disk and plans the refreshes; `None` when no change matters
/// (only open files, or files outside the known sets' [`scope`], changed). IO: the scope's
/// memberships may have to be found again.
pub fn plan(state: &State, changes: &[(PathBuf, Change)]) -> Option<Plan> {
    let overlay = state.overlay();
    let scope = scope(state);
    let outside: Vec<&(PathBuf, Change)> = changes
        .iter()
        .filter(|(path, _)| scope.covers(path) && overlay.get(path).is_none())
        .collect();
    if outside.is_empty() {
        return None;
    }
    state.forget_disk();
    let stamp = state.touch();
    let mut cleared = Vec::new();
    let mut refresh: Vec<Uri> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add = |uri: Uri, refresh: &mut Vec<Uri>| {
        if seen.insert(uri.as_str().to_string()) {
            refresh.push(uri);
        }
    };
    for uri in state.known() {
        let open = state.document(&uri).is_some();
        let on_disk = from_proto::file_path(&uri).is_some_and(|p| p.is_file());
        if open || on_disk {
            add(uri, &mut refresh);
        }
    }
    for (path, change) in outside {
        let Some(uri) = to_proto::file_uri(path) else {
            continue;
        };
        match change {
            Change::Deleted => {
                if lock(&state.diagnostics).clear(&uri, stamp) {
                    cleared.push(uri);
                }
            }
            Change::Created | Change::Changed => {
                if path.extension().is_some_and(|e| e == "json") {
                    add(uri, &mut refresh);
                }
            }
        }
    }
    Some(Plan {
        cleared,
        refresh,
        stamp,
    })
}

/// Where a change can matter to the known documents: for each, its directory and the
/// cedarcheck.toml files above it; the workspace root; the directories of the files of every
/// set it belongs to, and those its set's patterns (`policies`, `links`, `tests`,
/// `invariants`; `**/*.cedar` without a config) can match files in — a `git checkout` may add
/// a directory there. For a document whose workspace cannot be read (a broken
/// cedarcheck.toml), the config's directory.
pub fn scope(state: &State) -> Scope {
    let folders = state.folders();
    let mut scope = Scope::default();
    for uri in state.known() {
        let Some(path) = from_proto::file_path(&uri) else {
            continue;
        };
        let Some(dir) = path.parent() else {
            continue;
        };
        scope.add_dir(dir);
        scope.configs.extend(dir.ancestors().map(Path::to_path_buf));
        if let Some(config_dir) = find_config(dir).as_deref().and_then(Path::parent) {
            scope.add_dir(config_dir);
        }
        let Ok(membership) = state.cache.membership(&path, &folders) else {
            continue;
        };
        let workspace = &membership.workspace;
        let root = &workspace.root;
        scope.add_dir(root);
        for (index, set) in &membership.sets {
            let files = set
                .policies
                .iter()
                .chain(&set.schema)
                .chain(&set.links)
                .chain(&set.tests)
                .chain(&set.invariants);
            for file in files {
                if let Some(dir) = root.join(file).parent() {
                    scope.add_dir(dir);
                }
            }
            let patterns: Vec<&String> = match &workspace.config {
                Some(config) => config.sets.get(*index).map_or(Vec::new(), |set| {
                    set.policies
                        .iter()
                        .chain(&set.links)
                        .chain(&set.tests)
                        .chain(&set.invariants)
                        .collect()
                }),
                None => Vec::new(),
            };
            if workspace.config.is_none() {
                scope.add_tree(root);
            }
            for pattern in patterns {
                let (base, below) = watch::base_of(pattern);
                let base = root.join(base);
                if below {
                    scope.add_tree(&base);
                } else {
                    scope.add_dir(&base);
                }
            }
        }
    }
    scope
}

/// The poller's look at the known sets' [`scope`] (IO: it reads the directories), after
/// `previous`.
pub fn snapshot(state: &State, previous: &Snapshot) -> Snapshot {
    watch::snapshot(&scope(state), previous)
}
