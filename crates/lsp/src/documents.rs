//! The open documents: their text as the editor has it (unsaved edits included), kept in sync
//! by incremental changes.

use std::collections::HashMap;
use std::sync::Arc;

use cedarcheck_analyzer::LineIndex;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::from_proto;

#[derive(Clone, Debug)]
pub struct Document {
    /// The URI the client opened it under: diagnostics for the file are published to it.
    pub uri: Uri,
    pub text: Arc<str>,
    pub index: Arc<LineIndex>,
    pub version: i32,
    /// The server-wide edit counter when this text was set; analyses compare it with theirs.
    pub stamp: u64,
}

impl Document {
    pub fn new(uri: Uri, text: String, version: i32, stamp: u64) -> Self {
        let index = Arc::new(LineIndex::new(&text));
        Self {
            uri,
            text: text.into(),
            index,
            version,
            stamp,
        }
    }

    /// Applies the changes in order, each against the text the previous one left.
    pub fn apply(&mut self, changes: &[TextDocumentContentChangeEvent], version: i32, stamp: u64) {
        let mut text = self.text.to_string();
        let mut index = self.index.clone();
        for change in changes {
            match change.range {
                Some(range) => {
                    let span = from_proto::span(&text, &index, range);
                    text.replace_range(span.start..span.end, &change.text);
                }
                None => text = change.text.clone(),
            }
            index = Arc::new(LineIndex::new(&text));
        }
        self.text = text.into();
        self.index = index;
        self.version = version;
        self.stamp = stamp;
    }
}

/// Open documents by URI.
#[derive(Default)]
pub struct Documents {
    by_uri: HashMap<Uri, Document>,
}

impl Documents {
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.by_uri.get(uri)
    }

    pub fn get_mut(&mut self, uri: &Uri) -> Option<&mut Document> {
        self.by_uri.get_mut(uri)
    }

    pub fn insert(&mut self, uri: Uri, document: Document) {
        self.by_uri.insert(uri, document);
    }

    pub fn remove(&mut self, uri: &Uri) -> Option<Document> {
        self.by_uri.remove(uri)
    }

    /// The open documents with their URIs.
    pub fn iter(&self) -> impl Iterator<Item = (&Uri, &Document)> {
        self.by_uri.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|(s, e)| Range::new(Position::new(s.0, s.1), Position::new(e.0, e.1))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn incremental_changes_apply_in_order_with_utf16_columns() {
        let uri: Uri = "file:///p.cedar".parse().unwrap();
        let mut doc = Document::new(
            uri,
            "permit(principal, action, resource);\n// é𝒜\n".into(),
            1,
            1,
        );
        doc.apply(
            &[
                // Insert a line at the top, then edit what the first change moved.
                change(Some(((0, 0), (0, 0))), "@id(\"a\")\n"),
                change(Some(((2, 6), (2, 6))), "!"),
                change(Some(((1, 0), (1, 6))), "forbid"),
            ],
            2,
            7,
        );
        assert_eq!(
            &*doc.text,
            "@id(\"a\")\nforbid(principal, action, resource);\n// é𝒜!\n"
        );
        assert_eq!((doc.version, doc.stamp), (2, 7));
        doc.apply(&[change(None, "whole")], 3, 8);
        assert_eq!(&*doc.text, "whole");
        // A range past the end clamps instead of panicking.
        doc.apply(&[change(Some(((5, 9), (9, 9))), "!")], 4, 9);
        assert_eq!(&*doc.text, "whole!");
    }
}
