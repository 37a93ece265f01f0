//! Finding structure in Cedar and JSON text without parsing it (it is often half-typed): the
//! characters outside string literals and `//` comments. The handlers that look for the end
//! of a policy, of a schema declaration or of a bracket share it.

/// Every `(offset, char)` of `text[from..]` outside string literals (quotes included) and
/// `//` comments; offsets are into `text`.
pub fn code_chars(text: &str, from: usize) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut chars = text[from..]
        .char_indices()
        .map(move |(i, c)| (from + i, c))
        .peekable();
    let (mut in_string, mut escaped) = (false, false);
    std::iter::from_fn(move || loop {
        let (at, c) = chars.next()?;
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek().is_some_and(|&(_, next)| next == '/') => {
                while chars.peek().is_some_and(|&(_, next)| next != '\n') {
                    chars.next();
                }
            }
            _ => return Some((at, c)),
        }
    })
}

/// The `]` or `}` that closes the bracket at `open`.
pub fn matching_bracket(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in code_chars(text, open) {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_are_not_code() {
        let text = "a \"b;\\\"]\" c // d;]\ne";
        let code: String = code_chars(text, 0).map(|(_, c)| c).collect();
        assert_eq!(code, "a  c \ne");
        assert_eq!(code_chars(text, 10).next(), Some((10, 'c')));
    }

    #[test]
    fn brackets_match_across_strings_and_nesting() {
        let text = r#"x [1, "]", {"a": [2]}, // ]
 3] y"#;
        let open = text.find('[').unwrap();
        assert_eq!(matching_bracket(text, open), Some(text.rfind(']').unwrap()));
        assert_eq!(matching_bracket("[ \"]\" ", 0), None, "unclosed");
    }
}
