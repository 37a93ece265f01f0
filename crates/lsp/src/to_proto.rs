//! The core's types → LSP: byte spans to UTF-16 ranges, findings to diagnostics, levels to
//! severities. Every conversion to the protocol lives here (rust-analyzer's `to_proto.rs`).

use std::path::Path;

use cedarcheck_analyzer::{Finding, Level, LineIndex, Span};
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Position, Range, Uri,
};

use crate::analysis::Overlay;

/// The name diagnostics carry as their `source`.
pub const SOURCE: &str = "cedarcheck";

/// The LSP position (0-based line, UTF-16 column) of byte `offset`; offsets past the end or
/// inside a character are clamped, like [`LineIndex::position`].
pub fn position(text: &str, index: &LineIndex, offset: usize) -> Position {
    let at = index.position(text, offset);
    let start = index.line_start(at.line).unwrap_or(0);
    let end = LineIndex::char_span(text, Span::empty_at(offset))
        .start
        .max(start);
    Position {
        line: saturate(at.line - 1),
        character: saturate(text[start..end].encode_utf16().count()),
    }
}

pub fn range(text: &str, index: &LineIndex, span: Span) -> Range {
    Range {
        start: position(text, index, span.start),
        end: position(text, index, span.end),
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub fn severity(level: Level) -> DiagnosticSeverity {
    match level {
        Level::Error => DiagnosticSeverity::ERROR,
        Level::Warn => DiagnosticSeverity::WARNING,
        Level::Info => DiagnosticSeverity::INFORMATION,
    }
}

pub fn file_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// The client's URI for an open file (it may spell it differently), else the file's URI.
pub fn uri_of(overlay: &Overlay, path: &Path) -> Option<Uri> {
    match overlay.get(path) {
        Some(doc) => Some(doc.uri.clone()),
        None => file_uri(path),
    }
}

/// A file's text, for locating spans in it.
pub struct Located<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
}

/// Everything a finding needs to become a diagnostic: the text of its own file, and a way to
/// find the URI and text of the files its related locations point into.
pub struct DiagnosticContext<'a> {
    pub file: Located<'a>,
    /// Root-relative path → (URI, text) of the set's files.
    pub related: &'a dyn Fn(&str) -> Option<(Uri, Located<'a>)>,
    /// Where rule docs live on the web, if the client configured it: `{base}{rule-id}`.
    pub rule_docs: Option<&'a str>,
}

/// A finding as a diagnostic: `code` = rule id, `codeDescription` = the rule's doc page when a
/// docs URL is configured, the help line appended to the message, related locations as related
/// information, and the finding's rule and counterexample in `data` for code actions.
pub fn diagnostic(finding: &Finding, cx: &DiagnosticContext<'_>) -> Diagnostic {
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = finding
        .related
        .iter()
        .filter_map(|related| {
            let (uri, located) = (cx.related)(&related.file)?;
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri,
                    range: range(located.text, located.index, related.span),
                },
                message: related.message.clone(),
            })
        })
        .collect();
    let code_description = cx
        .rule_docs
        .and_then(|base| format!("{base}{}", finding.rule).parse().ok())
        .map(|href| CodeDescription { href });
    Diagnostic {
        range: range(cx.file.text, cx.file.index, finding.span),
        severity: Some(severity(finding.level)),
        code: Some(NumberOrString::String(finding.rule.to_string())),
        code_description,
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: Some(serde_json::json!({
            "rule": finding.rule,
            "policy": finding.policy_id,
            "counterexample": finding.counterexample,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_proto;

    #[test]
    fn columns_are_utf16_code_units_both_ways() {
        // 'é' is 2 bytes and 1 UTF-16 unit; '𝒜' is 4 bytes and 2 units.
        let text = "ab\né𝒜x\r\nlast";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        let at = position(text, &index, x);
        assert_eq!(at, Position::new(1, 3));
        assert_eq!(from_proto::offset(text, &index, at), x);
        // Past the line end clamps before the CRLF; past the last line to the end.
        assert_eq!(
            from_proto::offset(text, &index, Position::new(1, 99)),
            x + 1
        );
        assert_eq!(
            from_proto::offset(text, &index, Position::new(9, 0)),
            text.len()
        );
        // Inside the surrogate pair rounds down to the character.
        let pair = text.find('𝒜').unwrap();
        assert_eq!(from_proto::offset(text, &index, Position::new(1, 2)), pair);
        // A byte offset inside a character is clamped to its start.
        assert_eq!(position(text, &index, pair + 1), Position::new(1, 1));
        assert_eq!(position(text, &index, 999), Position::new(2, 4));
    }
}
