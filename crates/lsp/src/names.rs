//! The schema of the set a file belongs to, as the editor has it: what definition and hover
//! pass to the core's [`cedarcheck_analyzer::ide`] functions, which find the names a policy
//! uses and their declarations.

use std::path::PathBuf;
use std::sync::Arc;

use cedarcheck_analyzer::LineIndex;
use tower_lsp_server::ls_types::Uri;

use crate::analysis::{self, Overlay};
use crate::from_proto;

/// The schema file of the set `uri` belongs to, as the editor has it: its path, text and line
/// index.
pub fn schema_of(
    overlay: &Overlay,
    folders: &[PathBuf],
    uri: &Uri,
) -> Option<(PathBuf, Arc<str>, Arc<LineIndex>)> {
    let path = from_proto::file_path(uri)?;
    let membership = overlay.cache.membership(&path, folders).ok()?;
    let schema = membership
        .sets
        .iter()
        .find_map(|(_, set)| set.schema.clone())?;
    let root = &membership.workspace.root;
    let file = analysis::read(root, &schema, overlay).ok()?;
    let index = Arc::new(LineIndex::new(&file.text));
    Some((root.join(&schema), file.text, index))
}
