//! Formatting a policy file byte for byte as `cedar format` does (cedar-policy-formatter, 80
//! columns, 2-space indent): what `cedarcheck fmt` writes and the language server's
//! formatting edit. Only a file that parses is formatted: the formatter drops what it
//! cannot read.

use std::fmt;

use cedar_policy_formatter::{policies_str_to_pretty, Config};

use crate::rules::parse_error;
use crate::{Finding, PolicySetInput, SourceFile};

/// Why a file is not formatted.
#[derive(Clone, Debug)]
pub enum FormatError {
    /// It does not parse: the `parse-error` findings `check` reports for it (not UTF-8, a
    /// byte-order mark, nested too deep to parse, not Cedar, Cedar's syntax errors), by
    /// position.
    DoesNotParse(Vec<Finding>),
    /// The formatter failed on text that parses: its error and their causes, joined by `: `.
    Formatter(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DoesNotParse(_) => write!(f, "it does not parse"),
            Self::Formatter(cause) => write!(f, "the Cedar formatter failed: {cause}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// What `cedar format` uses by default: `--line-width 80 --indent-width 2`.
fn cedar_format_config() -> Config {
    Config {
        line_width: 80,
        indent_width: 2,
    }
}

/// The policy file `source` formatted, or why it is not.
///
/// The gate is `check`'s: the file is parsed as `check` parses it, and any `parse-error` it
/// reports leaves the file alone. So text Cedar's recursive parser could not read safely
/// (nested deeper than `check` parses) is never handed to the formatter.
pub fn format(source: &SourceFile) -> Result<String, FormatError> {
    let input = PolicySetInput {
        policies: vec![source.clone()],
        ..PolicySetInput::default()
    };
    let report = crate::check(&input, &crate::Settings::default());
    let problems: Vec<Finding> = report
        .findings
        .into_iter()
        .filter(|f| f.rule == parse_error::RULE.id)
        .collect();
    if !problems.is_empty() {
        return Err(FormatError::DoesNotParse(problems));
    }
    policies_str_to_pretty(&source.text, &cedar_format_config()).map_err(|error| {
        let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
        FormatError::Formatter(chain.join(": "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    fn format_text(text: &str) -> Result<String, FormatError> {
        format(&SourceFile::new("a.cedar", text))
    }

    #[test]
    fn formats_as_cedar_format_does() {
        assert_eq!(
            format_text("permit(principal,action,resource)when{principal.admin};").unwrap(),
            "permit (principal, action, resource)\nwhen { principal.admin };\n"
        );
        // Comments are kept.
        assert_eq!(
            format_text("// why\npermit(principal,action,resource);").unwrap(),
            "// why\npermit (principal, action, resource);\n"
        );
        let formatted = "permit (principal, action, resource);\n";
        assert_eq!(format_text(formatted).unwrap(), formatted);
    }

    #[test]
    fn text_that_does_not_parse_is_left_alone_with_its_findings() {
        let Err(FormatError::DoesNotParse(findings)) = format_text("permit(principal") else {
            panic!("formatted");
        };
        assert!(!findings.is_empty());
        assert!(findings.iter().all(|f| f.rule == "parse-error"));
        // Not UTF-8.
        let source = SourceFile::from_bytes(
            "a.cedar",
            b"permit(principal, action, resource) when { \"\xff\" };".to_vec(),
        );
        let Err(FormatError::DoesNotParse(findings)) = format(&source) else {
            panic!("formatted");
        };
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].span, Span::new(44, 47));
        assert!(
            findings[0].message.contains("not valid UTF-8"),
            "{}",
            findings[0].message
        );
    }

    /// Text nested deeper than `check` parses is not formatted, even where Cedar's parser
    /// would have read it: `cedarcheck fmt` and the language server's formatting agree.
    #[test]
    fn text_nested_too_deep_is_not_formatted() {
        let depth = crate::policy_syntax::MAX_NESTING + 1;
        let text = format!(
            "permit(principal, action, resource) when {{ {}true{} }};",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let Err(FormatError::DoesNotParse(findings)) = format_text(&text) else {
            panic!("formatted");
        };
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].message.contains("nested more than"),
            "{}",
            findings[0].message
        );
        assert_eq!(findings[0].span, Span::new(43 + depth - 2, 43 + depth - 1));
    }
}
