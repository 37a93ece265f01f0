//! The publisher, below the handlers: records results in the diagnostics store
//! ([`crate::diagnostics`]) and sends each file's union of parts to the client, never a result
//! computed before a newer edit of its files.

use std::path::Path;

use tower_lsp_server::ls_types::{Diagnostic, Uri};

use crate::analysis::{FileFindings, Overlay, SetFindings};
use crate::diagnostics::Part;
use crate::state::State;
use crate::tasks::lock;
use crate::to_proto;

/// Publishes the findings of analyses taken at `snapshot`, set by set, skipping a set when
/// one of its open files changed since.
pub async fn sets(state: &State, sets: &[SetFindings], part: Part, snapshot: u64) {
    let overlay = state.overlay();
    let rule_docs = state.rule_docs();
    for set in sets {
        if overlay.stamp_of(set.files.iter().map(|f| f.path.as_path())) > snapshot {
            continue;
        }
        for file in &set.files {
            let Some(uri) = to_proto::uri_of(&overlay, &file.path) else {
                continue;
            };
            let diagnostics = diagnostics_of(file, set, &overlay, rule_docs.as_deref());
            let merged = lock(&state.diagnostics).set(&uri, part, snapshot, diagnostics);
            if let Some(merged) = merged {
                publish(state, &uri, merged, version_in(&overlay, &file.path)).await;
            }
        }
    }
}

/// `version`: of the text the diagnostics were computed on (not of the document now: a newer
/// edit may have come meanwhile, and its own diagnostics follow).
pub async fn publish(state: &State, uri: &Uri, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
    state
        .client
        .publish_diagnostics(uri.clone(), diagnostics, version)
        .await;
}

/// The version of an open file in `overlay`, which the caller found no newer than its results.
pub fn version_in(overlay: &Overlay, path: &Path) -> Option<i32> {
    overlay.get(path).map(|doc| doc.version)
}

/// A file's findings as diagnostics, their related locations pointing into the set's files.
pub fn diagnostics_of(
    file: &FileFindings,
    set: &SetFindings,
    overlay: &Overlay,
    rule_docs: Option<&str>,
) -> Vec<Diagnostic> {
    let related = |relative: &str| {
        let other = set.file(relative)?;
        Some((
            to_proto::uri_of(overlay, &other.path)?,
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
