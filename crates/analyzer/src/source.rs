//! Source files as the core sees them: a display path and the text, never a file handle.

use std::sync::Arc;

/// One input file. `path` is relative to the workspace root, with `/` separators; it is the
/// path reports show and the path `[[overrides]]` globs match.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
    /// Where the bytes stopped being UTF-8; `text` then holds a lossy copy for display only.
    pub invalid_utf8_at: Option<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
            invalid_utf8_at: None,
        }
    }

    /// A file as read from disk; bytes that are not UTF-8 are kept as a lossy copy and flagged.
    pub fn from_bytes(path: impl Into<String>, bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => Self::new(path, text),
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                Self {
                    invalid_utf8_at: Some(offset),
                    ..Self::new(path, text)
                }
            }
        }
    }
}

/// A 1-based line and a 1-based column counted in Unicode scalar values (characters), the
/// convention of compilers and of ruff's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Byte offset → line/column for one text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { line_starts }
    }

    /// The position of byte `offset`; offsets past the end or inside a character are clamped.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let column = text[self.line_starts[line]..offset].chars().count() + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// The byte offset where 1-based `line` starts, if the text has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    /// `span` widened to whole characters, so that it never cuts a UTF-8 sequence.
    pub fn char_span(text: &str, span: crate::Span) -> crate::Span {
        let mut start = span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        crate::Span::new(start, end)
    }

    /// The byte offset of a 1-based line and column (column in characters); clamped to the text.
    pub fn offset(&self, text: &str, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return text.len();
        };
        let rest = &text[start..];
        let line_len = rest.find('\n').unwrap_or(rest.len());
        rest[..line_len]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(start + line_len, |(i, _)| start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "ab\nçd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(index.position(text, 3), Position { line: 2, column: 1 });
        // 'd' is byte 5 (ç is two bytes) but column 2.
        assert_eq!(index.position(text, 5), Position { line: 2, column: 2 });
        assert_eq!(index.offset(text, 2, 2), 5);
        // Past the end clamps to the end.
        assert_eq!(index.position(text, 99), Position { line: 3, column: 1 });
    }
}
