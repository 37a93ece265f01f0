//! The diagnostics store: what was last published for each file, by the analysis it came
//! from, so that each analysis replaces its own part and a stale result never replaces a newer
//! one.

use std::collections::{BTreeMap, HashMap};

use tower_lsp_server::ls_types::{Diagnostic, Uri};

/// Which analysis a file's diagnostics came from; a file's published list is their union.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Parse, validation and static rules of the file's set.
    Static,
    /// Notes about the document itself: no workspace, not in any set, too large.
    Notes,
    /// The solver-backed rules.
    Deep,
    /// A test file's errors and failing tests.
    Tests,
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

    /// Empties every part of `uri`'s diagnostics as of `stamp` (its file was deleted), so that
    /// no result computed before reappears. Returns whether it had any to clear.
    pub fn clear(&mut self, uri: &Uri, stamp: u64) -> bool {
        let Some(parts) = self.files.get_mut(uri) else {
            return false;
        };
        let had = parts.values().any(|(_, d)| !d.is_empty());
        for part in [Part::Static, Part::Notes, Part::Deep, Part::Tests] {
            let entry = parts.entry(part).or_insert((stamp, Vec::new()));
            *entry = (entry.0.max(stamp), Vec::new());
        }
        had
    }

    /// Whether `uri` has diagnostics of `part`.
    pub fn has(&self, uri: &Uri, part: Part) -> bool {
        self.files
            .get(uri)
            .and_then(|parts| parts.get(&part))
            .is_some_and(|(_, d)| !d.is_empty())
    }

    /// The files whose `part` is not empty.
    pub fn with(&self, part: Part) -> impl Iterator<Item = &Uri> {
        self.files
            .iter()
            .filter(move |(_, parts)| parts.get(&part).is_some_and(|(_, d)| !d.is_empty()))
            .map(|(uri, _)| uri)
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
