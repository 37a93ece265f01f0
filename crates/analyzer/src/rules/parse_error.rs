//! `parse-error`, raised by the pipeline wherever a file is read: policies in
//! `policy_set.rs` (Cedar and JSON, `policy_set/json.rs`) and `incremental.rs`, schemas in
//! `schema.rs`, links files in `links.rs`, a nesting too deep to parse in `diagnostic.rs`. The
//! helpers below word them (the test runner uses `unreadable_cedar` for the files it reads).

use crate::policy_syntax::{excessive_nesting, Syntax};
use crate::{Category, Finding, Level, LineIndex, Rule, Source, SourceFile, Span};

pub const RULE: Rule = Rule {
    id: "parse-error",
    category: Category::Correctness,
    default_level: Level::Error,
    summary: "Cedar syntax error in a policy, schema, entities, links or test file",
    source: Source::Pipeline,
    doc: r#"## What it does
Reports input that cedarcheck cannot read: a Cedar syntax error in a policy or schema file, malformed
JSON in a JSON schema, JSON policy, entities, template-links or test file, or a file that is not UTF-8
text. A `*.cedar` file that is not Cedar at all (a `Dockerfile.cedar`) gets one finding at its start
that says so, with the `exclude` pattern that leaves it out.

## Why is this bad?
A file that does not parse is not part of the policy set at all: none of its policies apply, so a
forbid that fails to parse silently stops denying. No other rule can look at it either.

## Example
```cedar
permit (
  principal == Ops::Operator::"alice",
  action == Ops::Action::"ReadLogs",
  resource
) when { resource.path like "/var/log/*" }   // missing `;`
```

Use instead:
```cedar
permit (
  principal == Ops::Operator::"alice",
  action == Ops::Action::"ReadLogs",
  resource
) when { resource.path like "/var/log/*" };
```
"#,
};

/// A file whose bytes are not UTF-8, located at the first bad byte.
pub fn not_utf8(file: &SourceFile, offset: usize) -> Finding {
    Finding::new(
        &RULE,
        &file.path,
        // `text` holds U+FFFD where the bad byte was.
        Span::new(offset, offset + char::REPLACEMENT_CHARACTER.len_utf8()),
        format!("file is not valid UTF-8 text (invalid byte at offset {offset})"),
    )
    .with_help("Cedar files must be UTF-8 encoded text")
}

/// Cedar text nested deeper than [`MAX_NESTING`](crate::policy_syntax::MAX_NESTING).
pub fn too_deeply_nested(file: &SourceFile, offset: usize) -> Finding {
    Finding::new(
        &RULE,
        &file.path,
        Span::new(offset, offset + 1),
        format!(
            "expressions nested more than {} levels deep; the file was not parsed",
            crate::policy_syntax::MAX_NESTING
        ),
    )
    .with_help("split the expression into simpler conditions")
}

/// Reports what makes a Cedar-syntax file unreadable before its parser runs: bytes that are
/// not UTF-8, or nesting too deep to parse safely.
pub fn unreadable_cedar(file: &SourceFile, syntax: Syntax) -> Option<Finding> {
    if let Some(offset) = file.invalid_utf8_at {
        return Some(not_utf8(file, offset));
    }
    if file.text.starts_with(BYTE_ORDER_MARK) {
        return Some(byte_order_mark(file));
    }
    excessive_nesting(&file.text, syntax).map(|offset| too_deeply_nested(file, offset))
}

const BYTE_ORDER_MARK: char = '\u{feff}';

/// A file that starts with a UTF-8 byte-order mark (some Windows editors write one): Cedar's
/// parser does not accept it, and Cedar's own message (an unexpected token) would not say why.
pub fn byte_order_mark(file: &SourceFile) -> Finding {
    Finding::new(
        &RULE,
        &file.path,
        Span::new(0, BYTE_ORDER_MARK.len_utf8()),
        "this file starts with a UTF-8 byte-order mark (U+FEFF), which Cedar does not accept"
            .to_string(),
    )
    .with_help(format!(
        "save the file as UTF-8 without a byte-order mark (in VS Code: \"Save with Encoding\" → \
         UTF-8), or remove it with `sed -i '1s/^\\xEF\\xBB\\xBF//' {}`",
        file.path
    ))
}

/// A JSON syntax or shape error, located where serde_json stopped.
pub fn from_json_error(file: &SourceFile, error: &serde_json::Error, what: &str) -> Finding {
    let text = &file.text;
    // serde_json counts lines from 1 and columns in bytes from 1; column 0 is "before the
    // line's first byte", i.e. at the end of the previous line.
    let line_start = LineIndex::new(text)
        .line_start(error.line())
        .unwrap_or(text.len());
    let offset = (line_start + error.column())
        .saturating_sub(1)
        .min(text.len());
    let at = LineIndex::char_span(text, Span::new(offset, offset + 1));
    let message = error.to_string();
    // serde_json appends " at line L column C"; the finding carries the position itself.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(head, _)| head);
    Finding::new(&RULE, &file.path, at, format!("invalid {what}: {message}"))
}

/// A `*.cedar` file that Cedar cannot parse and that is clearly something else (a
/// `Dockerfile.cedar`, a template, notes): its first token is neither `permit`, `forbid` (or
/// the start of one), an annotation, nor a misspelled effect followed by `(`. Cedar's own message about such a file
/// (an unexpected token somewhere in it) would only confuse; this one says what the file is
/// not, at 1:1, and how to leave it out.
pub fn not_cedar(file: &SourceFile) -> Option<Finding> {
    let text = &*file.text;
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        match rest.strip_prefix("//") {
            // To the line feed or carriage return that ends it, as Cedar reads it.
            Some(comment) => rest = &comment[crate::lexer::comment_end(comment.as_bytes(), 0)..],
            None => break,
        }
    }
    if rest.is_empty() || rest.starts_with('@') {
        return None;
    }
    let word_len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let word = &rest[..word_len];
    // An effect, or the start of one being typed in an editor.
    if !word.is_empty() && ["permit", "forbid"].iter().any(|e| e.starts_with(word)) {
        return None;
    }
    if word_len > 0 && rest[word_len..].trim_start().starts_with('(') {
        return None;
    }
    let token: String = rest
        .split_whitespace()
        .next()
        .unwrap_or(rest)
        .chars()
        .take(24)
        .collect();
    let first_line = text.find('\n').unwrap_or(text.len());
    let end = text[..first_line].trim_end().len();
    Some(
        Finding::new(
            &RULE,
            &file.path,
            LineIndex::char_span(text, Span::new(0, end.max(1))),
            format!(
                "this file does not look like Cedar policies (it starts with `{token}`, not \
                 `permit`, `forbid` or an annotation)"
            ),
        )
        .with_help(format!(
            "if it is not a policy file, leave it out with `exclude = [\"{}\"]` in cedarcheck.toml",
            file.path
        )),
    )
}
