//! `--write-tests FILE`: the generated entries appended to a native test file's `tests` array,
//! everything else in the file kept byte for byte (README "Mutation testing").

use std::collections::BTreeSet;

use cedarcheck_test_runner::test_file::{self, Parsed, Shape};
use cedarcheck_test_runner::Located;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    tests: &'a RawValue,
}

/// A new native test file holding `entries`.
pub fn new_file(entries: &[Value]) -> String {
    let mut text = String::from("{\n  \"tests\": [");
    for (i, entry) in entries.iter().enumerate() {
        text.push_str(if i == 0 { "\n" } else { ",\n" });
        text.push_str(&indented(entry, "    "));
    }
    text.push_str(if entries.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    text
}

/// `text` (the native test file `file`) with `entries` appended to its `tests`; an entry whose
/// name the file already uses gets ` (2)`, ` (3)`… Err, at its place, when `text` is not a
/// native test file in JSON.
pub fn append(file: &str, text: &str, entries: &[Value]) -> Result<String, Located> {
    if test_file::is_yaml(file) {
        return Err(Located::at(
            file,
            text,
            0,
            "--write-tests writes JSON: name a native test file ending in .json",
        ));
    }
    let names: BTreeSet<String> = match test_file::parse(file, text) {
        Parsed::Error(located) => return Err(located),
        Parsed::NotATest(what) => return Err(not_native(file, text, what)),
        Parsed::Tests(parsed) if parsed.shape != Shape::Native => {
            let what = match parsed.shape {
                Shape::RunTests => "a `run-tests` test file",
                _ => "an integration test file",
            };
            return Err(not_native(file, text, what));
        }
        Parsed::Tests(parsed) => parsed.tests.into_iter().map(|t| t.name).collect(),
    };
    let base = text.len() - text.trim_start_matches('\u{feff}').len();
    let top: Top = serde_json::from_str(&text[base..])
        .map_err(|e| Located::json(file, text, base, &e, "invalid test file"))?;
    let tests = top.tests;
    let start = offset_in(text, tests);
    let items: Vec<&RawValue> = serde_json::from_str(tests.get())
        .map_err(|e| Located::json(file, text, start, &e, "invalid test file"))?;
    let entries = renamed(entries, names);
    let mut out = String::with_capacity(text.len() + 1024);
    match items.last() {
        Some(last) => {
            let end = offset_in(text, last) + last.get().len();
            let indent = indent_of(text, offset_in(text, items[0]));
            out.push_str(&text[..end]);
            for entry in &entries {
                out.push_str(",\n");
                out.push_str(&indent);
                out.push_str(indented(entry, &indent).trim_start());
            }
            out.push_str(&text[end..]);
        }
        None => {
            // `[` … `]`: the entries go inside, one level deeper than the line of `tests`.
            if entries.is_empty() {
                return Ok(text.to_string());
            }
            let open = start + 1;
            let outer = line_indent(text, start);
            let indent = format!("{outer}  ");
            out.push_str(&text[..open]);
            for (i, entry) in entries.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&indented(entry, &indent));
            }
            out.push('\n');
            out.push_str(&outer);
            let close = start + tests.get().len() - 1;
            out.push_str(&text[close..]);
        }
    }
    // A file whose every line ends in CRLF keeps doing so (JSON strings hold no raw breaks).
    let crlf = text.matches("\r\n").count();
    if crlf > 0 && crlf == text.matches('\n').count() {
        out = out.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    Ok(out)
}

fn not_native(file: &str, text: &str, what: &str) -> Located {
    let start = text.len() - text.trim_start().len();
    Located::at(
        file,
        text,
        start,
        format!(
            "not a native test file (it is {what}): --write-tests appends to a file of the form {{\"tests\": [...]}}"
        ),
    )
}

/// Entries whose names are unique, in the file and among themselves.
fn renamed(entries: &[Value], mut names: BTreeSet<String>) -> Vec<Value> {
    entries
        .iter()
        .map(|entry| {
            let mut entry = entry.clone();
            if let Some(name) = entry["name"].as_str().map(str::to_string) {
                let unique = (1..)
                    .map(|n| {
                        if n == 1 {
                            name.clone()
                        } else {
                            format!("{name} ({n})")
                        }
                    })
                    .find(|candidate| !names.contains(candidate))
                    .unwrap_or(name);
                names.insert(unique.clone());
                entry["name"] = unique.into();
            }
            entry
        })
        .collect()
}

/// The whitespace that starts the line holding byte `at`.
fn line_indent(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    text[line_start..at]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// The whitespace that starts the line holding byte `at`, when only whitespace precedes it;
/// else four spaces.
fn indent_of(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let before = &text[line_start..at];
    if before.chars().all(|c| c == ' ' || c == '\t') {
        before.to_string()
    } else {
        "    ".into()
    }
}

/// A test entry as people write them: one field a line, each entity on a line of its own,
/// every line starting with `indent`.
pub fn indented(entry: &Value, indent: &str) -> String {
    let Value::Object(fields) = entry else {
        return format!("{indent}{}", inline(entry));
    };
    let mut lines = vec![format!("{indent}{{")];
    let count = fields.len();
    for (i, (key, value)) in fields.iter().enumerate() {
        let comma = if i + 1 < count { "," } else { "" };
        let key = inline(&Value::String(key.clone()));
        match value {
            Value::Array(items) if key == "\"entities\"" && !items.is_empty() => {
                lines.push(format!("{indent}  {key}: ["));
                for (j, item) in items.iter().enumerate() {
                    let inner = if j + 1 < items.len() { "," } else { "" };
                    lines.push(format!("{indent}    {}{inner}", inline(item)));
                }
                lines.push(format!("{indent}  ]{comma}"));
            }
            _ => lines.push(format!("{indent}  {key}: {}{comma}", inline(value))),
        }
    }
    lines.push(format!("{indent}}}"));
    lines.join("\n")
}

/// JSON on one line, with a space after each `:` and `,`.
fn inline(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}: {}", inline(&Value::String(k.clone())), inline(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        other => other.to_string(),
    }
}

/// The byte offset of a borrowed raw value inside the text it was parsed from.
fn offset_in(text: &str, raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(name: &str) -> Value {
        json!({"name": name, "request": {"principal": "A::\"a\""}, "decision": "deny"})
    }

    #[test]
    fn entries_are_appended_after_the_last_test_and_nothing_else_changes() {
        let text = "{\n  \"entities\": \"e.json\",\n  \"tests\": [\n    { \"name\": \"x\", \"request\": {}, \"decision\": \"allow\" }\n  ],\n  \"description\": \"kept\"\n}\n";
        let out = append("t.json", text, &[entry("x"), entry("y")]).unwrap();
        assert_eq!(
            out,
            "{\n  \"entities\": \"e.json\",\n  \"tests\": [\n    { \"name\": \"x\", \"request\": {}, \"decision\": \"allow\" },\n    {\n      \"name\": \"x (2)\",\n      \"request\": {\"principal\": \"A::\\\"a\\\"\"},\n      \"decision\": \"deny\"\n    },\n    {\n      \"name\": \"y\",\n      \"request\": {\"principal\": \"A::\\\"a\\\"\"},\n      \"decision\": \"deny\"\n    }\n  ],\n  \"description\": \"kept\"\n}\n"
        );
        assert!(matches!(test_file::parse("t.json", &out), Parsed::Tests(t) if t.tests.len() == 3));
    }

    #[test]
    fn an_empty_tests_array_and_a_new_file_take_the_entries() {
        let crlf = new_file(&[entry("x")]).replace('\n', "\r\n");
        let out = append("t.json", &crlf, &[entry("y")]).unwrap();
        assert_eq!(
            out.matches("\r\n").count(),
            out.matches('\n').count(),
            "{out:?}"
        );
        assert!(
            out.starts_with(&crlf[..crlf.find("    }").unwrap()]),
            "{out:?}"
        );
        let out = append("t.json", &new_file(&[]), &[entry("y")]).unwrap();
        assert_eq!(
            out,
            "{\n  \"tests\": [\n    {\n      \"name\": \"y\",\n      \"request\": {\"principal\": \"A::\\\"a\\\"\"},\n      \"decision\": \"deny\"\n    }\n  ]\n}\n"
        );
        let text = new_file(&[entry("y"), entry("z")]);
        assert!(
            matches!(test_file::parse("t.json", &text), Parsed::Tests(t) if t.tests.len() == 2)
        );
    }

    #[test]
    fn a_file_that_is_not_a_native_test_file_is_an_error_at_its_place() {
        let error = append(
            "t.json",
            "\n[{\"request\": {}, \"decision\": \"allow\"}]",
            &[],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "t.json:2:1: not a native test file (it is a `run-tests` test file): --write-tests appends to a file of the form {\"tests\": [...]}"
        );
        let error = append("t.json", "{\"tests\": [}", &[]).unwrap_err();
        assert_eq!((error.line, error.column), (1, 12), "{error}");
    }
}
