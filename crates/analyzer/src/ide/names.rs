//! Entity types and actions named in a policy, and where a schema text declares them: what
//! go to definition jumps to and schema hovers describe. The language server finds the
//! schema of the file (through its buffers) and passes its text in.

use regex::Regex;

use crate::{LineIndex, Span};

/// What a policy names at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    /// `Ns::Type` (also the type of `Ns::Type::"id"`).
    EntityType(String),
    /// `Ns::Action::"name"`.
    Action(String),
}

/// The entity type or action the position is on, read from the text around it: a path
/// `A::B`, or an entity `A::B::"id"` with the position on the path or in the id.
pub fn name_at(text: &str, offset: usize) -> Option<Name> {
    let is_path = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let offset = LineIndex::char_span(text, Span::empty_at(offset)).start;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    // The string literal the position is in, if any: (opening quote, closing quote).
    let mut string: Option<(usize, usize)> = None;
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in text[line_start..line_end].char_indices() {
        let at = line_start + i;
        match (open, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), '"') => {
                if q < offset && offset <= at {
                    string = Some((q, at));
                }
                open = None;
            }
            (None, '"') => open = Some(at),
            _ => {}
        }
    }
    let (path_end, quoted) = match string {
        Some((q, close)) => (q, Some(&text[q + 1..close])),
        None => {
            let end = text[offset..line_end]
                .find(|c: char| !is_path(c))
                .map_or(line_end, |i| offset + i);
            let quoted = text[end..line_end]
                .strip_prefix('"')
                .and_then(|s| s.find('"').map(|close| &s[..close]));
            (end, quoted)
        }
    };
    let path_start = text[line_start..path_end]
        .rfind(|c: char| !is_path(c))
        .map_or(line_start, |i| line_start + i + 1);
    let written = &text[path_start..path_end];
    let path = written.trim_end_matches(':');
    if path.is_empty() || path.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let quoted = quoted.filter(|_| written.ends_with("::"));
    if string.is_some() && quoted.is_none() {
        return None;
    }
    let is_action_type = path == "Action" || path.ends_with("::Action");
    match quoted {
        Some(id) if is_action_type => Some(Name::Action(id.to_string())),
        _ if path.contains("::") || path.starts_with(char::is_uppercase) => {
            Some(Name::EntityType(path.to_string()))
        }
        _ => None,
    }
}

/// Where `name` is declared in a schema text: the span of its name, and of the whole
/// declaration.
pub fn declaration(schema: &str, name: &Name) -> Option<(Span, Span)> {
    let json = schema.trim_start().starts_with('{');
    let basename = match name {
        Name::EntityType(path) => path.rsplit("::").next().unwrap_or(path),
        Name::Action(id) => id,
    };
    if json {
        let key = Regex::new(&format!(r#""{}"\s*:\s*\{{"#, regex::escape(basename))).ok()?;
        let from = match name {
            Name::EntityType(_) => 0,
            Name::Action(_) => schema.find("\"actions\"")?,
        };
        let found = key.find_at(schema, from)?;
        let name_span = Span::new(found.start(), found.start() + basename.len() + 2);
        return Some((
            name_span,
            Span::new(found.start(), block_end(schema, found.start())),
        ));
    }
    let keyword = match name {
        Name::EntityType(_) => "entity",
        Name::Action(_) => "action",
    };
    let list = Regex::new(&format!(
        r#"\b{keyword}\s+((?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*)(?:\s*,\s*(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*))*)"#
    ))
    .ok()?;
    let item = Regex::new(r#""(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*"#).ok()?;
    for declaration in list.captures_iter(schema) {
        let (Some(all), Some(names)) = (declaration.get(0), declaration.get(1)) else {
            continue;
        };
        for written in item.find_iter(names.as_str()) {
            if written.as_str().trim_matches('"') == basename {
                let start = names.start() + written.start();
                let name_span = Span::new(start, start + written.len());
                return Some((
                    name_span,
                    Span::new(all.start(), block_end(schema, all.start())),
                ));
            }
        }
    }
    None
}

/// The end of the declaration starting at `start`: its `;` (Cedar) or closing `}` (JSON),
/// outside strings and braces.
fn block_end(text: &str, start: usize) -> usize {
    let json = text[start..].starts_with('"');
    let mut depth = 0i32;
    for (at, c) in crate::lexer::code_chars(text, start) {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                if depth == 0 && json {
                    return at + 1;
                }
            }
            ';' if depth <= 0 => return at + 1,
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_around_the_position() {
        let text =
            r#"permit(principal is Ops::Agent, action == Ops::Action::"read logs", resource);"#;
        let at = |needle: &str| text.find(needle).unwrap() + 1;
        assert_eq!(
            name_at(text, at("Agent")),
            Some(Name::EntityType("Ops::Agent".into()))
        );
        assert_eq!(
            name_at(text, at("Ops::Agent")),
            Some(Name::EntityType("Ops::Agent".into()))
        );
        assert_eq!(
            name_at(text, at("logs")),
            Some(Name::Action("read logs".into()))
        );
        assert_eq!(
            name_at(text, at("Action")),
            Some(Name::Action("read logs".into()))
        );
        assert_eq!(name_at(text, at("principal")), None);
        assert_eq!(name_at("resource.path like \"/var/*\"", 20), None);
    }

    #[test]
    fn declarations_are_found_in_both_schema_syntaxes() {
        let cedar = "namespace Ops {\n  entity Human, Agent in [Team] { mfa: Bool };\n  action \"read logs\", write appliesTo { principal: [Agent], resource: Log };\n}\n";
        let (name, whole) = declaration(cedar, &Name::EntityType("Ops::Agent".into())).unwrap();
        assert_eq!(&cedar[name.start..name.end], "Agent");
        assert_eq!(
            &cedar[whole.start..whole.end],
            "entity Human, Agent in [Team] { mfa: Bool };"
        );
        let (name, _) = declaration(cedar, &Name::Action("read logs".into())).unwrap();
        assert_eq!(&cedar[name.start..name.end], "\"read logs\"");
        assert!(declaration(cedar, &Name::EntityType("Ops::Nope".into())).is_none());

        let json = r#"{"Ops": {"entityTypes": {"Agent": {"shape": {"type": "Record"}}}, "actions": {"read logs": {}}}}"#;
        let (name, whole) = declaration(json, &Name::EntityType("Agent".into())).unwrap();
        assert_eq!(&json[name.start..name.end], "\"Agent\"");
        assert_eq!(
            &json[whole.start..whole.end],
            r#""Agent": {"shape": {"type": "Record"}}"#
        );
        let (name, _) = declaration(json, &Name::Action("read logs".into())).unwrap();
        assert_eq!(&json[name.start..name.end], "\"read logs\"");
    }
}
