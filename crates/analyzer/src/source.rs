//! Source files as the core sees them: a display path and the text, never a file handle.

use std::path::Path;
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

/// What a `*.json` file holds, for discovery: Cedar's JSON formats are recognised by their
/// content, since real repositories name them `schema.json`, `cedarschema.json`,
/// `schema.cedar.json` or `policies.cedar.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonContent {
    /// A Cedar JSON schema. `by_content`: its name alone would not have said so.
    Schema { by_content: bool },
    /// Policies in Cedar's JSON policy format: a policy set (`staticPolicies`, `templates`,
    /// `templateLinks`) or a single policy (`effect`, `principal`, `action`, `resource` …).
    Policies,
    /// Anything else: entities, tests, template links, other tools' JSON.
    Other,
}

/// The keys of a Cedar JSON policy set.
pub const JSON_POLICY_SET_KEYS: &[&str] = &["staticPolicies", "templates", "templateLinks"];

/// Judges a JSON file by its name where the name is Cedar's (`*.cedarschema.json`, and
/// `*.entities.json` or `*.links.json`, which are data), else by its content: an object whose
/// every key is a namespace mapping to `entityTypes`/`actions`/`commonTypes` is a schema, and
/// stays one when Cedar cannot read it (its errors are then reported at their place rather
/// than the file being passed over); an object of `staticPolicies`/`templates`/`templateLinks`, or one
/// with `effect`, `principal`, `action` and `resource`, is policies. A file that is not JSON is
/// a schema when named `cedarschema.json` or `*schema.cedar.json`, policies when named
/// `*.cedar.json` (so that its error is reported), and nothing otherwise.
pub fn json_content(path: &str, text: &str) -> JsonContent {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name.ends_with(".cedarschema.json") {
        return JsonContent::Schema { by_content: false };
    }
    if name.ends_with(".entities.json") || name.ends_with(".links.json") {
        return JsonContent::Other;
    }
    let by_name = if name.ends_with("cedarschema.json") || name.ends_with("schema.cedar.json") {
        JsonContent::Schema { by_content: false }
    } else if name.ends_with(".cedar.json") {
        JsonContent::Policies
    } else {
        JsonContent::Other
    };
    // The cheap check first: most JSON in a repository is not an object of objects.
    if !text.trim_start().starts_with('{') {
        return by_name;
    }
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str(text) else {
        return by_name;
    };
    if is_json_policies(&object) {
        return JsonContent::Policies;
    }
    if has_schema_shape(&object) {
        return JsonContent::Schema { by_content: true };
    }
    by_name
}

/// A JSON policy set or a single JSON policy.
fn is_json_policies(object: &serde_json::Map<String, serde_json::Value>) -> bool {
    let policy_set = !object.is_empty()
        && object.iter().all(|(key, value)| {
            JSON_POLICY_SET_KEYS.contains(&key.as_str()) && (value.is_object() || value.is_array())
        });
    let policy = ["effect", "principal", "action", "resource"]
        .iter()
        .all(|key| object.contains_key(*key));
    policy_set || policy
}

/// Every key is a namespace: an object with `entityTypes`, `actions` or `commonTypes` among its
/// keys, each of those an object of declarations that are objects. Only the shape is judged,
/// not the declarations, so that a misspelt key inside one still makes a schema (with its
/// `schema-error`) and not a file passed over.
fn has_schema_shape(object: &serde_json::Map<String, serde_json::Value>) -> bool {
    const SECTIONS: &[&str] = &["entityTypes", "actions", "commonTypes"];
    !object.is_empty()
        && object.values().all(|namespace| {
            namespace.as_object().is_some_and(|sections| {
                SECTIONS.iter().any(|k| sections.contains_key(*k))
                    && SECTIONS.iter().all(|k| {
                        sections.get(*k).is_none_or(|section| {
                            section
                                .as_object()
                                .is_some_and(|decls| decls.values().all(|d| d.is_object()))
                        })
                    })
            })
        })
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

/// A path as reports show it: relative to `cwd` when it lies below it, else as it is; `/`
/// separators, and `.` for `cwd` itself. (Pure: no file system access.)
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    let shown = shown.to_string_lossy().replace('\\', "/");
    if shown.is_empty() {
        ".".into()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_path_is_relative_below_cwd_and_absolute_elsewhere() {
        let cwd = Path::new("/repo/sub");
        assert_eq!(
            display_path(Path::new("/repo/sub/a/b.cedar"), cwd),
            "a/b.cedar"
        );
        assert_eq!(display_path(Path::new("/repo/sub"), cwd), ".");
        assert_eq!(
            display_path(Path::new("/repo/c.cedar"), cwd),
            "/repo/c.cedar"
        );
        assert_eq!(
            display_path(Path::new("/repo/subway/d"), cwd),
            "/repo/subway/d"
        );
    }

    #[test]
    fn cedar_json_is_recognised_by_content_and_other_json_is_not() {
        let schema = r#"{"App": {"entityTypes": {"User": {}}, "actions": {}}}"#;
        let policy = r#"{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}"#;
        let by_content = JsonContent::Schema { by_content: true };
        assert_eq!(json_content("x/schema.json", schema), by_content);
        assert_eq!(json_content("cedarschema.json", schema), by_content);
        assert_eq!(json_content("a/schema.cedar.json", schema), by_content);
        // Shaped as a schema but not one Cedar reads: still the schema, so that its errors
        // are reported (a misspelt `shape`, a type that is not a list).
        for broken in [
            r#"{"App": {"entityTypes": {"User": {"shap": {"type": "Record"}}}, "actions": {}}}"#,
            r#"{"App": {"entityTypes": {}, "actions": {"read": {"appliesTo": {"principalTypes": "User"}}}}}"#,
            r#"{"": {"commonTypes": {"T": {"type": "Strin"}}, "entityTypes": {}, "actions": {}}}"#,
        ] {
            assert_eq!(json_content("schema.json", broken), by_content, "{broken}");
        }
        assert_eq!(
            json_content("s.cedarschema.json", "not json"),
            JsonContent::Schema { by_content: false }
        );
        assert_eq!(
            json_content("cedarschema.json", "{"),
            JsonContent::Schema { by_content: false }
        );
        assert_eq!(json_content("p.json", policy), JsonContent::Policies);
        assert_eq!(
            json_content("p.json", r#"{"staticPolicies": {}, "templates": {}}"#),
            JsonContent::Policies
        );
        assert_eq!(json_content("p.cedar.json", "{"), JsonContent::Policies);
        for (path, other) in [
            // run-tests file, entities, native test file, integration test file, npm, tsc,
            // JSON Schema, a schema-shaped entities file by name, an object of non-sections.
            ("tests/t.json", r#"[{"name": "t", "request": {}}]"#),
            (
                "e.json",
                r#"[{"uid": {"type": "User", "id": "u"}, "attrs": {}, "parents": []}]"#,
            ),
            (
                "tests/native.json",
                r#"{"entities": "e.json", "tests": []}"#,
            ),
            (
                "it.json",
                r#"{"policies": "p.cedar", "entities": "e.json", "schema": "s.cedarschema.json", "shouldValidate": true, "requests": []}"#,
            ),
            ("package.json", r#"{"name": "x", "version": "1.0.0"}"#),
            ("tsconfig.json", r#"{"compilerOptions": {"strict": true}}"#),
            (
                "schema.json",
                r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}"#,
            ),
            ("app.entities.json", schema),
            ("odd.json", r#"{"App": {"actions": {"Read": 3}}}"#),
            ("broken.json", "{"),
        ] {
            assert_eq!(json_content(path, other), JsonContent::Other, "{path}");
        }
    }

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
