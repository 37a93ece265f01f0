//! XML escaping shared by the JUnit outputs of `check` and `test`.

/// Character data: markup escaped, and the characters XML 1.0 forbids replaced by U+FFFD.
/// Tab, line feed and carriage return stay as they are: text content keeps them.
pub fn text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\t' | '\n' | '\r' => escaped.push(c),
            c if is_xml_char(c) => escaped.push(c),
            _ => escaped.push(char::REPLACEMENT_CHARACTER),
        }
    }
    escaped
}

/// An attribute value in double quotes. Tab, line feed and carriage return become character
/// references: attribute-value normalization would otherwise turn them into spaces.
pub fn attribute(value: &str) -> String {
    text(value)
        .replace('"', "&quot;")
        .replace('\t', "&#9;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markup_and_replaces_what_xml_forbids() {
        assert_eq!(
            text("a<b>&c \"q\"\u{0}\u{1b}\u{FFFE}\u{FFFF}"),
            "a&lt;b&gt;&amp;c \"q\"\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(text("a\tb\nc\rd"), "a\tb\nc\rd");
    }

    #[test]
    fn attribute_keeps_whitespace_as_character_references() {
        assert_eq!(attribute("\"x\"\ny"), "&quot;x&quot;&#10;y");
        assert_eq!(attribute("a\tb\r\nc"), "a&#9;b&#13;&#10;c");
        assert_eq!(attribute("<&>'\u{1}"), "&lt;&amp;&gt;'\u{FFFD}");
    }
}
