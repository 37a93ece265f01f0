//! Schemas in Cedar syntax (`*.cedarschema`) and JSON syntax (`*.cedarschema.json`).

use cedar_policy::{CedarSchemaError, Schema, SchemaError};

use crate::diagnostic::finding_from_diagnostic;
use crate::rules::{parse_error, schema_error};
use crate::{Finding, SourceFile, Span};

/// Whether the schema file is in JSON syntax, judged by its name.
pub fn is_json_schema(path: &str) -> bool {
    path.ends_with(".json")
}

/// Parses the schema; `None` (with findings) when it cannot be used for validation.
pub fn load_schema(file: &SourceFile, findings: &mut Vec<Finding>) -> Option<Schema> {
    if let Some(offset) = file.invalid_utf8_at {
        findings.push(parse_error::not_utf8(file, offset));
        return None;
    }
    if !is_json_schema(&file.path) {
        if let Some(finding) =
            parse_error::unreadable_cedar(file, crate::policy_syntax::Syntax::Schema)
        {
            findings.push(finding);
            return None;
        }
    }
    let start = Span::empty_at(0);
    if is_json_schema(&file.path) {
        // serde_json locates syntax errors; Cedar's own JSON errors carry no position.
        let value: serde_json::Value = match serde_json::from_str(&file.text) {
            Ok(value) => value,
            Err(error) => {
                findings.push(parse_error::from_json_error(file, &error, "JSON schema"));
                return None;
            }
        };
        match Schema::from_json_value(value) {
            Ok(schema) => Some(schema),
            Err(error) => {
                let mut finding =
                    finding_from_diagnostic(&schema_error::RULE, &file.path, &error, start);
                finding.span = locate_schema_error(&file.text, &finding.message);
                if finding.span == start {
                    finding.span = locate_by_deserializing(&file.text).unwrap_or(start);
                }
                settle_schema_error(&file.text, true, &error, &mut finding);
                findings.push(finding);
                None
            }
        }
    } else {
        match Schema::from_cedarschema_str(&file.text) {
            Ok((schema, _warnings)) => Some(schema),
            Err(CedarSchemaError::Parse(error)) => {
                findings.push(finding_from_diagnostic(
                    &parse_error::RULE,
                    &file.path,
                    &error,
                    start,
                ));
                None
            }
            Err(CedarSchemaError::Schema(error)) => {
                let mut finding =
                    finding_from_diagnostic(&schema_error::RULE, &file.path, &error, start);
                settle_schema_error(&file.text, false, &error, &mut finding);
                findings.push(finding);
                None
            }
            Err(error) => {
                findings.push(finding_from_diagnostic(
                    &schema_error::RULE,
                    &file.path,
                    &error,
                    start,
                ));
                None
            }
        }
    }
}

/// Cedar reports every undeclared type (or action) of a schema in one error, in the order of
/// its hash maps, which changes from run to run, and points at (and helps with) the first.
/// This names them in a fixed order instead: types in the order the schema first refers to
/// them (the finding points there), actions by name.
fn settle_schema_error(text: &str, json: bool, error: &SchemaError, finding: &mut Finding) {
    match error {
        SchemaError::TypeNotDefined(_) => {
            let Some((prefix, list)) = finding.message.split_once(": ") else {
                return;
            };
            if !prefix.starts_with("failed to resolve type") {
                return;
            }
            let mentioned: Vec<&str> = list.split(", ").collect();
            let mut names: Vec<(Option<Span>, &str)> = mentioned
                .iter()
                .map(|name| (first_reference(text, json, name), *name))
                .collect();
            names.sort_by_key(|&(span, name)| (span.map_or(usize::MAX, |s| s.start), name));
            names.dedup_by_key(|&mut (_, name)| name);
            let list: Vec<&str> = names.iter().map(|&(_, name)| name).collect();
            let s = if list.len() > 1 { "s" } else { "" };
            let message = format!("failed to resolve type{s}: {}", list.join(", "));
            match names.first() {
                Some(&(Some(span), _)) => finding.span = span,
                // Cedar points at the type it names first.
                _ if mentioned.len() > 1 => finding.span = Span::empty_at(0),
                _ => {}
            }
            // Cedar's help is about the type it names first; with several, that one is not fixed.
            if mentioned.len() > 1 {
                finding.help = Some(format!(
                    "declare {} in the schema, as entity types or common types, or correct the names",
                    names
                        .iter()
                        .map(|(_, name)| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            finding.message = message;
        }
        SchemaError::ActionNotDefined(_) => {
            let Some((prefix, list)) = finding.message.split_once(": ") else {
                return;
            };
            if !prefix.starts_with("undeclared action") {
                return;
            }
            let Some(mut actions) = action_list(list) else {
                return;
            };
            actions.sort_unstable();
            actions.dedup();
            let list = match actions.as_slice() {
                [one] => one.to_string(),
                [first, second] => format!("{first} and {second}"),
                [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
                [] => return,
            };
            let s = if actions.len() > 1 { "s" } else { "" };
            finding.message = format!("undeclared action{s}: {list}");
        }
        _ => {}
    }
}

/// The items of Cedar's list of action ids, `A`, `A and B` or `A, B, and C`, each of which
/// ends in a quoted id (`Action::"view"`); `None` if the list is not of that shape.
fn action_list(mut list: &str) -> Option<Vec<&str>> {
    let mut items = Vec::new();
    loop {
        let open = list.find('"')?;
        let mut escaped = false;
        let close = list[open + 1..].char_indices().find_map(|(i, c)| {
            let end = !escaped && c == '"';
            escaped = !escaped && c == '\\';
            end.then_some(open + 1 + i)
        })?;
        items.push(&list[..=close]);
        list = &list[close + 1..];
        if list.is_empty() {
            return Some(items);
        }
        list = [", and ", " and ", ", "]
            .iter()
            .find_map(|separator| list.strip_prefix(separator))?;
    }
}

/// Where the schema first refers to the type `name`: a whole name outside comments and
/// strings (in Cedar syntax) or a JSON string that is not a key, and not where it is declared
/// or an attribute is named.
pub(crate) fn first_reference(text: &str, json: bool, name: &str) -> Option<Span> {
    if json {
        let quoted = format!("\"{name}\"");
        return text.match_indices(&quoted).find_map(|(start, _)| {
            let after = text[start + quoted.len()..].trim_start();
            (!after.starts_with(':')).then(|| Span::new(start, start + quoted.len()))
        });
    }
    let is_start = |c: char| c.is_alphabetic() || c == '_';
    let is_part = |c: char| c.is_alphanumeric() || c == '_';
    let (mut i, mut in_string, mut escaped, mut word_before) = (0, false, false, "");
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if rest.starts_with("//") {
            i = crate::lexer::comment_end(text.as_bytes(), i);
            continue;
        } else if is_start(c) {
            // A name: identifiers joined by `::`.
            let mut len = 0;
            loop {
                len += rest[len..]
                    .find(|c: char| !is_part(c))
                    .unwrap_or(rest.len() - len);
                match rest[len..].strip_prefix("::") {
                    Some(next) if next.starts_with(is_start) => len += 2,
                    _ => break,
                }
            }
            let word = &rest[..len];
            let after = rest[len..].trim_start();
            let names_attribute =
                after.starts_with(':') && !after.starts_with("::") || after.starts_with("?:");
            if word == name && !names_attribute && !matches!(word_before, "entity" | "type") {
                return Some(Span::new(i, i + len));
            }
            word_before = word;
            i += len;
            continue;
        } else if !c.is_whitespace() {
            word_before = "";
        }
        i += c.len_utf8();
    }
    None
}

/// Cedar's JSON-schema errors name the offending type or attribute in backticks but give no
/// position; point at the first place the schema text mentions that name.
/// Where a JSON schema stops being one, for errors that name no declaration (`invalid type:
/// string "User", expected a sequence`): reading the text itself as Cedar's JSON schema
/// stops where serde_json is, just after the offending value; the span is that value when it
/// is a string, else the place.
fn locate_by_deserializing(text: &str) -> Option<Span> {
    use cedar_policy_core::validator::{json_schema::Fragment, RawName};
    let error = serde_json::from_str::<Fragment<RawName>>(text).err()?;
    if error.line() == 0 {
        return None;
    }
    let line_start = crate::LineIndex::new(text).line_start(error.line())?;
    let end = (line_start + error.column()).min(text.len());
    let before = text.get(..end)?;
    let span = match before.strip_suffix('"') {
        Some(inside) => Span::new(inside.rfind('"')?, end),
        None => Span::empty_at(end.saturating_sub(1)),
    };
    Some(span)
}

fn locate_schema_error(text: &str, message: &str) -> Span {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|name| {
            [
                name.to_string(),
                name.rsplit("::").next().unwrap_or(name).to_string(),
            ]
        })
        .filter(|name| !name.is_empty())
        .find_map(|name| {
            let quoted = format!("\"{name}\"");
            text.find(&quoted).map(|i| Span::new(i, i + quoted.len()))
        })
        .unwrap_or(Span::empty_at(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_a_whole_name_outside_comments_strings_declarations_and_attribute_names() {
        let text = "// Foo\nnamespace NS { entity Foo; type T = { Foo: Long, \"Foo\": Bar, b?: NS::Foo, c: Foo }; }";
        let at = |needle: &str| text.find(needle).unwrap();
        let span = first_reference(text, false, "NS::Foo").unwrap();
        assert_eq!(span, Span::new(at("NS::Foo"), at("NS::Foo") + 7));
        let span = first_reference(text, false, "Foo").unwrap();
        assert_eq!(span.start, at("Foo }"));
        assert_eq!(
            first_reference(text, false, "Bar").unwrap().start,
            at("Bar")
        );
        assert_eq!(
            first_reference(text, false, "Long").unwrap().start,
            at("Long")
        );
        assert_eq!(first_reference(text, false, "Baz"), None);
        let json = r#"{"Home": {"type": "Entity", "name": "Home"}}"#;
        let start = json.rfind("\"Home\"").unwrap();
        assert_eq!(
            first_reference(json, true, "Home"),
            Some(Span::new(start, start + 6))
        );
    }

    #[test]
    fn action_lists_split_at_their_separators_only() {
        assert_eq!(action_list(r#"Action::"a""#), Some(vec![r#"Action::"a""#]));
        assert_eq!(
            action_list(r#"NS::Action::"a, b" and Action::"c\" and""#),
            Some(vec![r#"NS::Action::"a, b""#, r#"Action::"c\" and""#])
        );
        assert_eq!(
            action_list(r#"Action::"a", Action::"b", and Action::"c""#),
            Some(vec![r#"Action::"a""#, r#"Action::"b""#, r#"Action::"c""#])
        );
        assert_eq!(action_list(r#"Action::"a" or Action::"b""#), None);
    }
}
