//! Spans the Cedar AST does not keep: the effect keyword and the three scope elements of a
//! policy head. A small scanner over the policy's own text, aware of strings and comments
//! through the one [`lexer`](crate::lexer).

use crate::lexer::{comment_end, is_comment_start, skip_trivia, string_end as skip_string};
use crate::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyHead {
    /// `permit` or `forbid`.
    pub effect: Span,
    /// From the effect keyword to the closing `)` of the scope.
    pub head: Span,
    pub principal: Span,
    pub action: Span,
    pub resource: Span,
}

/// Scans the policy that occupies `span` of `text`. `None` when the text does not have the
/// expected shape (it always has for text Cedar parsed; the callers fall back to `span`).
pub fn scan_head(text: &str, span: Span) -> Option<PolicyHead> {
    let bytes = text.as_bytes().get(..span.end)?;
    let mut i = skip_trivia(bytes, span.start);
    // Annotations: `@name` or `@name("value")`.
    while bytes.get(i) == Some(&b'@') {
        i = skip_ident(bytes, i + 1);
        i = skip_trivia(bytes, i);
        if bytes.get(i) == Some(&b'(') {
            i = skip_trivia(bytes, i + 1);
            if bytes.get(i) == Some(&b'"') {
                i = skip_string(bytes, i)?;
            }
            i = skip_trivia(bytes, i);
            if bytes.get(i) != Some(&b')') {
                return None;
            }
            i += 1;
        }
        i = skip_trivia(bytes, i);
    }
    let effect = Span::new(i, skip_ident(bytes, i));
    if effect.start == effect.end {
        return None;
    }
    i = skip_trivia(bytes, effect.end);
    if bytes.get(i) != Some(&b'(') {
        return None;
    }
    i += 1;
    let mut elements = Vec::with_capacity(3);
    let mut depth = 0usize;
    let mut element_start: Option<usize> = None;
    let mut last_end = i;
    loop {
        i = skip_trivia(bytes, i);
        let &c = bytes.get(i)?;
        match c {
            b'"' => {
                element_start.get_or_insert(i);
                i = skip_string(bytes, i)?;
            }
            b'(' | b'[' => {
                element_start.get_or_insert(i);
                depth += 1;
                i += 1;
            }
            b')' | b',' if depth == 0 => {
                elements.push(Span::new(element_start.take()?, last_end));
                i += 1;
                if c == b')' {
                    break;
                }
                continue;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => {
                element_start.get_or_insert(i);
                i += 1;
            }
        }
        last_end = i;
    }
    let [principal, action, resource] = elements[..] else {
        return None;
    };
    Some(PolicyHead {
        effect,
        head: Span::new(effect.start, i),
        principal,
        action,
        resource,
    })
}

/// Deeper nesting than any real policy has; Cedar's recursive parser would need more stack
/// than a thread has long before a file nested 30,000 deep is read.
pub const MAX_NESTING: usize = 1_000;

/// Which Cedar syntax a text is in, for [`excessive_nesting`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Policies,
    /// In schemas `<` and `>` nest too (`Set<Set<…>>`); in policies they compare.
    Schema,
}

/// The offset where nesting first exceeds [`MAX_NESTING`], outside strings and comments.
///
/// Nesting counts open brackets plus the `if` expressions of the current statement: `if`
/// nests without brackets, and counting every `if` of a statement errs only on the side of
/// statements no one writes.
pub fn excessive_nesting(text: &str, syntax: Syntax) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut ifs) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                i = skip_string(bytes, i).unwrap_or(bytes.len());
                continue;
            }
            b'/' if is_comment_start(bytes, i) => {
                i = skip_trivia(bytes, i);
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = skip_ident(bytes, i);
                if &bytes[i..end] == b"if" {
                    ifs += 1;
                    if depth + ifs > MAX_NESTING {
                        return Some(i);
                    }
                }
                i = end;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b'<' if syntax == Syntax::Schema => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'>' if syntax == Syntax::Schema => depth = depth.saturating_sub(1),
            b';' if depth == 0 => ifs = 0,
            _ => {}
        }
        if depth + ifs > MAX_NESTING {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Where a policy file's statements are: one span per `;` outside strings and comments, from
/// the end of the previous one (leading comments and whitespace included) to after the `;`,
/// then the rest of the text after the last `;` (empty when the text ends with one).
///
/// The lexical rules are Cedar's: a string is `"(\\.|[^"\\])*"`, a comment `//` up to a line
/// feed or carriage return; nothing else holds a `;`. So for text that Cedar parses, each
/// span but the last holds exactly one policy or template, which Cedar numbers by position.
/// `None` when a string does not end as Cedar's lexer would end it (the text then does not
/// parse; the caller parses it whole for Cedar's own error).
pub fn split_statements(text: &str) -> Option<(Vec<Span>, Span)> {
    let bytes = text.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        // `\\.`: any character but a line feed after the backslash.
                        b'\\' => match bytes.get(i + 1)? {
                            b'\n' => return None,
                            _ => i += 2,
                        },
                        b'"' => break,
                        _ => i += 1,
                    }
                }
            }
            b'/' if is_comment_start(bytes, i) => {
                i = comment_end(bytes, i);
                continue;
            }
            b';' => {
                statements.push(Span::new(start, i + 1));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    Some((statements, Span::new(start, text.len())))
}

fn skip_ident(bytes: &[u8], mut i: usize) -> usize {
    while bytes
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    #[test]
    fn finds_scope_elements_past_annotations_comments_and_strings() {
        let text = r#"@id("a, b)") // note (
@advice
permit (
  principal == User::"x,)y", // comment, with comma
  action in [Action::"a", Action::"b"],
  resource
) when { true };"#;
        let head = scan_head(text, Span::new(0, text.len())).unwrap();
        assert_eq!(slice(text, head.effect), "permit");
        assert_eq!(slice(text, head.principal), r#"principal == User::"x,)y""#);
        assert_eq!(
            slice(text, head.action),
            r#"action in [Action::"a", Action::"b"]"#
        );
        assert_eq!(slice(text, head.resource), "resource");
        assert!(
            slice(text, head.head).starts_with("permit (") && slice(text, head.head).ends_with(')')
        );
    }

    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        let deep = "(".repeat(MAX_NESTING + 1);
        assert_eq!(
            excessive_nesting(&deep, Syntax::Policies),
            Some(MAX_NESTING)
        );
        let quoted = format!("\"{deep}\" // {deep}\n");
        assert_eq!(excessive_nesting(&quoted, Syntax::Policies), None);
        let balanced = "()".repeat(MAX_NESTING * 2);
        assert_eq!(excessive_nesting(&balanced, Syntax::Policies), None);
        let ifs = "if true then ".repeat(MAX_NESTING + 1);
        assert_eq!(
            excessive_nesting(&ifs, Syntax::Policies),
            Some(MAX_NESTING * 13)
        );
        let statements = "permit(principal, action, resource) when { if a then b else c };\n";
        assert_eq!(
            excessive_nesting(&statements.repeat(MAX_NESTING * 2), Syntax::Policies),
            None
        );
        let sets = "Set<".repeat(MAX_NESTING + 1);
        assert_eq!(
            excessive_nesting(&sets, Syntax::Schema),
            Some(MAX_NESTING * 4 + 3)
        );
        assert_eq!(
            excessive_nesting(&"a < b ".repeat(MAX_NESTING * 2), Syntax::Policies),
            None
        );
    }

    #[test]
    fn unexpected_shapes_give_none() {
        let text = "permit(principal, action);";
        assert_eq!(scan_head(text, Span::new(0, text.len())), None);
        let text = "permit(principal, action, resource";
        assert_eq!(scan_head(text, Span::new(0, text.len())), None);
    }
}
