//! "Show documentation for this rule": a code action on every cedarcheck diagnostic whose
//! command, [`RULE_DOCUMENTATION`], answers with the text `cedarcheck rules ID` prints.

/// The command: its argument is the rule id.
pub const RULE_DOCUMENTATION: &str = "cedarcheck.ruleDocumentation";

/// A rule's documentation as `cedarcheck rules ID` prints it; `None` for an unknown id.
pub fn documentation(id: &str) -> Option<String> {
    let rule = cedarcheck_analyzer::rule(id)?;
    Some(format!(
        "# {}\n\nCategory: {} · default level: {}\n\n{}\n\n{}",
        rule.id,
        rule.category.as_str(),
        rule.default_level.as_str(),
        rule.summary,
        rule.doc.trim_end()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documentation_starts_as_cedarcheck_rules_prints_it() {
        let text = documentation("permit-all").unwrap();
        assert!(
            text.starts_with("# permit-all\n\nCategory: security · default level: error\n\n"),
            "{text}"
        );
        assert!(text.contains("## What it does"), "{text}");
        assert_eq!(documentation("no-such-rule"), None);
    }
}
