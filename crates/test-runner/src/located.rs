//! Errors located at a file, line and column: what a user needs to find a problem.

use cedarcheck_analyzer::LineIndex;

/// A message about a place in a file. Lines and columns are 1-based, columns in characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct Located {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Located {
    /// A message about byte `offset` of `text`.
    pub fn at(file: &str, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let position = LineIndex::new(text).position(text, offset);
        Self {
            file: file.to_string(),
            line: position.line,
            column: position.column,
            message: message.into(),
        }
    }

    /// A serde_json error in `text`, or in the part of it that starts at byte `base` (serde
    /// counts lines and columns from the start of what it parsed).
    pub fn json(
        file: &str,
        text: &str,
        base: usize,
        error: &serde_json::Error,
        what: &str,
    ) -> Self {
        let offset = json_error_offset(&text[base..], error) + base;
        Self::at(
            file,
            text,
            offset,
            format!("{what}: {}", strip_position(error)),
        )
    }
}

/// Where in `text` serde_json stopped. Its column is the 1-based character it stopped at; at
/// the end of the input it may be 0.
pub fn json_error_offset(text: &str, error: &serde_json::Error) -> usize {
    if error.line() == 0 {
        return 0;
    }
    let index = LineIndex::new(text);
    index
        .offset(text, error.line(), error.column().max(1))
        .min(text.len())
}

/// serde_json's message without its " at line L column C" suffix: the location is given apart.
pub fn strip_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_string(),
        None => message,
    }
}

/// Where `text` first mentions one of the names Cedar quotes in backticks in `message` (an
/// entity type, an id, an attribute), as a JSON string; Cedar's JSON errors carry no position.
pub fn find_mention(text: &str, message: &str) -> Option<usize> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|name| {
            // `Ops::Host::"web-01"` is written in JSON as {"type": "Ops::Host", "id": "web-01"}.
            let mut candidates = Vec::new();
            if let Some((ty, id)) = name.split_once("::\"") {
                candidates.push(id.trim_end_matches('"').to_string());
                candidates.push(ty.to_string());
            }
            candidates.push(name.to_string());
            candidates
        })
        .filter(|name| !name.is_empty())
        .find_map(|name| {
            let quoted = serde_json::to_string(&name).ok()?;
            text.find(&quoted)
        })
}

/// [`find_mention`] for text that need not quote names (YAML): where `text` first mentions a
/// name `message` quotes, or the id of an entity it quotes, as written.
pub fn find_bare_mention(text: &str, message: &str) -> Option<usize> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|name| {
            let id = name
                .split_once("::\"")
                .map(|(_, id)| id.trim_end_matches('"').to_string());
            id.into_iter().chain(Some(name.to_string()))
        })
        .filter(|name| !name.is_empty())
        .find_map(|name| whole_word(text, &name))
}

/// Where `word` first occurs in `text` not inside a longer word (`a` is not found in `name`).
fn whole_word(text: &str, word: &str) -> Option<usize> {
    let part_of_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        !part_of_word(text[..at].chars().next_back())
            && !part_of_word(text[at + word.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_point_at_line_and_column() {
        let text = "{\n  \"a\": 1,\n  \"b\" 2\n}";
        let error = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        let located = Located::json("t.json", text, 0, &error, "invalid test file");
        assert_eq!((located.line, located.column), (3, 7));
        assert_eq!(
            located.to_string(),
            "t.json:3:7: invalid test file: expected `:`"
        );
    }

    #[test]
    fn errors_inside_a_part_are_located_in_the_whole_text() {
        let text = "[\n  {\"x\": tru}\n]";
        let base = text.find('{').unwrap();
        let error = serde_json::from_str::<serde_json::Value>(&text[base..]).unwrap_err();
        let located = Located::json("t.json", text, base, &error, "bad");
        assert_eq!(located.line, 2);
        assert!(located.column > 3, "{located}");
    }

    #[test]
    fn bare_mentions_are_whole_words() {
        let text = "- name: x\n  request: {principal: {type: U, id: a}}";
        let message = "in parents field of `U::\"a\"`, expected a literal entity reference";
        assert_eq!(find_bare_mention(text, message), text.find("a}"));
    }

    #[test]
    fn mentions_are_found_by_entity_id_then_type() {
        let text = r#"[{"uid": {"type": "Ops::Hots", "id": "web-01"}}]"#;
        let message = "entity `Ops::Hots::\"web-01\"` has type `Ops::Hots` which is not declared";
        assert_eq!(find_mention(text, message), text.find("\"web-01\""));
        assert_eq!(find_mention(text, "no `mention` here"), None);
    }
}
