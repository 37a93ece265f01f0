//! The one lexer for Cedar text (policies and schemas) that has not been, or cannot be,
//! parsed: what is code and what is a string literal or a `//` comment. Every scanner of the
//! analyzer and of the language server that skips strings or comments goes through it, so
//! that they agree with each other and with Cedar's parser.
//!
//! The lexical rules are Cedar's (the same for policies and schemas): a string literal is
//! `"(\\.|[^"\\])*"`, and a comment is `//` up to a line feed or a carriage return, so a lone
//! `\r` ends a comment as `\n` does. All the delimiters are ASCII, so the scanners work on
//! bytes and every offset they return is on a character boundary.

/// Whether byte `b` ends a `//` comment: a line feed or a carriage return, as in Cedar.
pub fn ends_comment(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Whether `bytes[at..]` starts a `//` comment.
pub fn is_comment_start(bytes: &[u8], at: usize) -> bool {
    bytes.get(at) == Some(&b'/') && bytes.get(at + 1) == Some(&b'/')
}

/// The end of the comment that starts at `at`: the offset of the line feed or carriage
/// return that ends it (not part of it), or the end of `bytes`.
pub fn comment_end(bytes: &[u8], at: usize) -> usize {
    let from = at.min(bytes.len());
    bytes[from..]
        .iter()
        .position(|&b| ends_comment(b))
        .map_or(bytes.len(), |n| from + n)
}

/// The offset after the string literal whose opening quote is at `at`; `None` when it does
/// not end before the end of `bytes`. A backslash escapes the byte after it.
pub fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The first offset from `at` that is neither ASCII whitespace nor in a comment.
pub fn skip_trivia(bytes: &[u8], mut at: usize) -> usize {
    loop {
        match bytes.get(at) {
            Some(b) if b.is_ascii_whitespace() => at += 1,
            Some(b'/') if is_comment_start(bytes, at) => at = comment_end(bytes, at),
            _ => return at,
        }
    }
}

/// Every `(offset, char)` of `text[from..]` outside string literals (quotes included) and
/// `//` comments; offsets are into `text`. Nothing when `from` is not a character boundary
/// of `text`; nothing after a string that does not end.
pub fn code_chars(text: &str, from: usize) -> impl Iterator<Item = (usize, char)> + '_ {
    let bytes = text.as_bytes();
    let mut at = if text.is_char_boundary(from) {
        from
    } else {
        text.len()
    };
    std::iter::from_fn(move || loop {
        let c = text.get(at..)?.chars().next()?;
        match c {
            '"' => at = string_end(bytes, at).unwrap_or(bytes.len()),
            '/' if is_comment_start(bytes, at) => at = comment_end(bytes, at),
            _ => {
                let found = (at, c);
                at += c.len_utf8();
                return Some(found);
            }
        }
    })
}

/// The `]` or `}` that closes the bracket at `open`, outside strings and comments.
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

/// Whether byte `offset` of `text` lies in a `//` comment (its slashes included).
pub fn in_comment(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() && at <= offset {
        match bytes[at] {
            b'"' => at = string_end(bytes, at).unwrap_or(bytes.len()),
            b'/' if is_comment_start(bytes, at) => {
                let end = comment_end(bytes, at);
                if offset < end {
                    return true;
                }
                at = end;
            }
            _ => at += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    #[test]
    fn strings_and_comments_are_not_code() {
        let text = "a \"b;\\\"]\" c // d;]\ne";
        let code: String = code_chars(text, 0).map(|(_, c)| c).collect();
        assert_eq!(code, "a  c \ne");
        assert_eq!(code_chars(text, 10).next(), Some((10, 'c')));
        // Not a character boundary, or past the end: nothing.
        assert_eq!(code_chars("é", 1).next(), None);
        assert_eq!(code_chars("a", 5).next(), None);
        // An unterminated string swallows the rest.
        assert_eq!(
            code_chars("a \"b", 0).collect::<Vec<_>>(),
            vec![(0, 'a'), (1, ' ')]
        );
    }

    #[test]
    fn brackets_match_across_strings_and_nesting() {
        let text = r#"x [1, "]", {"a": [2]}, // ]
 3] y"#;
        let open = text.find('[').unwrap();
        assert_eq!(matching_bracket(text, open), Some(text.rfind(']').unwrap()));
        assert_eq!(matching_bracket("[ \"]\" ", 0), None, "unclosed");
    }

    #[test]
    fn trivia_strings_and_comments_end_where_cedar_ends_them() {
        let text = b"  // a\r b // c\n\"x\\\"y\" z";
        assert_eq!(comment_end(text, 2), 6);
        assert_eq!(skip_trivia(text, 0), 8);
        assert_eq!(skip_trivia(text, 9), 15);
        assert_eq!(string_end(text, 15), Some(21));
        assert_eq!(string_end(b"\"abc", 0), None);
        assert_eq!(comment_end(b"// x", 0), 4);
        assert_eq!(skip_trivia(b"// x", 0), 4);
    }

    /// A `//` comment ended by a lone carriage return (old Mac line ends, or a stray `\r`):
    /// Cedar's parser reads the code after it, and so does every scanner of cedarcheck.
    #[test]
    fn a_comment_ended_by_a_lone_carriage_return_is_read_alike_everywhere() {
        let policy =
            "@id(\"a\") // note\rpermit(principal, action, resource) // why;\rwhen { true };";
        // Cedar's parser: the `when` after the second comment is part of the policy.
        let parsed: cedar_policy::PolicySet = policy.parse().expect("Cedar parses it");
        let only = parsed.policies().next().expect("one policy");
        assert!(only.to_string().contains("when"), "{only}");
        // The lexer.
        let code: String = code_chars(policy, 0).map(|(_, c)| c).collect();
        assert_eq!(
            code,
            "@id() \rpermit(principal, action, resource) \rwhen { true };"
        );
        // The head scanner finds the effect after the first comment.
        let head =
            crate::policy_syntax::scan_head(policy, Span::new(0, policy.len())).expect("a head");
        assert_eq!(&policy[head.effect.start..head.effect.end], "permit");
        // The statement splitter sees one statement: the `;` in the comment is no end.
        let (statements, rest) = crate::policy_syntax::split_statements(policy).unwrap();
        assert_eq!(statements, vec![Span::new(0, policy.len())]);
        assert_eq!(rest, Span::empty_at(policy.len()));
        // Nesting is counted after the comment.
        let deep = format!(
            "// x\r{}",
            "(".repeat(crate::policy_syntax::MAX_NESTING + 1)
        );
        assert_eq!(
            crate::policy_syntax::excessive_nesting(&deep, crate::policy_syntax::Syntax::Policies),
            Some(5 + crate::policy_syntax::MAX_NESTING)
        );
        // A file that is not Cedar is told by the word after the comment.
        let file = crate::SourceFile::new("Dockerfile.cedar", "// x\rFROM alpine\n");
        let finding = crate::rules::parse_error::not_cedar(&file).expect("not Cedar");
        assert!(finding.message.contains("`FROM`"), "{}", finding.message);
        // A schema reference after a comment is found (and none inside it).
        let schema = "entity A; // B\rentity C in [B];";
        assert_eq!(
            crate::schema::first_reference(schema, false, "B"),
            Some(Span::new(schema.rfind('B').unwrap(), schema.len() - 2))
        );
        let schema = "entity A; // B\rentity C;";
        assert!(cedar_policy::Schema::from_cedarschema_str(schema).is_ok());
        assert_eq!(crate::schema::first_reference(schema, false, "B"), None);
    }
}
