//! LSP types → the core's: UTF-16 positions to byte offsets, URIs to paths. Every conversion
//! from the protocol lives here (rust-analyzer's `from_proto.rs`).

use std::path::PathBuf;

use cedarcheck_analyzer::{LineIndex, Span};
use tower_lsp_server::ls_types::{Position, Range, Uri};

/// The byte offset of an LSP position (0-based line, UTF-16 column). Positions past the end
/// of a line clamp to the line's end, and past the last line to the end of the text, as the
/// protocol asks; a column inside a surrogate pair rounds down to the character.
pub fn offset(text: &str, index: &LineIndex, position: Position) -> usize {
    let Some(start) = index.line_start(position.line as usize + 1) else {
        return text.len();
    };
    let line = &text[start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut units = 0usize;
    for (byte, c) in line.char_indices() {
        units += c.len_utf16();
        if units > position.character as usize {
            return start + byte;
        }
    }
    start + line.len()
}

pub fn span(text: &str, index: &LineIndex, range: Range) -> Span {
    Span::new(
        offset(text, index, range.start),
        offset(text, index, range.end),
    )
}

/// The file a `file:` URI names; `None` for other schemes (`untitled:` buffers).
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}
