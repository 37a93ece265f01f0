//! "Ignore this rule in cedarcheck.toml": turns a rule off for the whole workspace with
//! `rule = "off"` in the config's `[rules]` table (README, Configuration). The edit only
//! inserts text — a line below the `[rules]` header, or a `[rules]` table at the end, or a new
//! file — except when the rule already has a level there, whose value alone becomes `"off"`.
//! Comments and the rest of the file are never rewritten, and an edit whose result would not
//! read as the rule turned off is not offered.

use std::collections::BTreeMap;

use cedarcheck_analyzer::Span;
use serde::Deserialize;
use toml::Spanned;

/// A byte range of the config's text and what replaces it.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigEdit {
    pub span: Span,
    pub text: String,
}

#[derive(Deserialize)]
struct Rules {
    rules: Option<BTreeMap<String, Spanned<toml::Value>>>,
}

/// The edit of `config` (its text; `None` when there is no config file yet) that turns
/// `rule` off.
pub fn turn_off(config: Option<&str>, rule: &str) -> Option<ConfigEdit> {
    let line = format!("{rule} = \"off\"\n");
    let Some(text) = config else {
        return Some(ConfigEdit {
            span: Span::empty_at(0),
            text: format!("[rules]\n{line}"),
        });
    };
    let parsed: Rules = toml::from_str(text).ok()?;
    let edit = match parsed.rules {
        Some(rules) => match rules.get(rule) {
            Some(value) => ConfigEdit {
                span: Span::new(value.span().start, value.span().end),
                text: "\"off\"".into(),
            },
            // Below the `[rules]` header; `rules = { … }` or dotted keys are left alone.
            None => {
                let (at, ends_line) = after_header(text)?;
                ConfigEdit {
                    span: Span::empty_at(at),
                    text: if ends_line { line } else { format!("\n{line}") },
                }
            }
        },
        None => {
            let separator = match text {
                "" => "",
                _ if text.ends_with("\n\n") => "",
                _ if text.ends_with('\n') => "\n",
                _ => "\n\n",
            };
            ConfigEdit {
                span: Span::empty_at(text.len()),
                text: format!("{separator}[rules]\n{line}"),
            }
        }
    };
    let mut result = text.to_string();
    result.replace_range(edit.span.start..edit.span.end, &edit.text);
    turns_off(&result, rule).then_some(edit)
}

/// The end of the `[rules]` header line, and whether a line break ends it.
fn after_header(text: &str) -> Option<(usize, bool)> {
    let header =
        regex::Regex::new(r"(?m)^[ \t]*\[[ \t]*rules[ \t]*\][ \t]*(#.*)?(\r?\n|$)").ok()?;
    let found = header.find(text)?;
    Some((found.end(), found.as_str().ends_with('\n')))
}

fn turns_off(text: &str, rule: &str) -> bool {
    toml::from_str::<Rules>(text).is_ok_and(|parsed| {
        parsed
            .rules
            .and_then(|rules| rules.get(rule).map(|v| v.get_ref().as_str() == Some("off")))
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, rule: &str) -> Option<String> {
        let edit = turn_off(Some(text), rule)?;
        let mut out = text.to_string();
        out.replace_range(edit.span.start..edit.span.end, &edit.text);
        Some(out)
    }

    #[test]
    fn the_rule_joins_the_rules_table_and_comments_stay() {
        let config = "policies = [\"*.cedar\"]\n\n[rules]   # levels\nmissing-policy-id = \"error\" # ours\n\n[analysis]\ndeep = \"off\"\n";
        assert_eq!(
            apply(config, "permit-all").unwrap(),
            "policies = [\"*.cedar\"]\n\n[rules]   # levels\npermit-all = \"off\"\nmissing-policy-id = \"error\" # ours\n\n[analysis]\ndeep = \"off\"\n"
        );
        assert_eq!(
            apply(config, "missing-policy-id").unwrap(),
            "policies = [\"*.cedar\"]\n\n[rules]   # levels\nmissing-policy-id = \"off\" # ours\n\n[analysis]\ndeep = \"off\"\n"
        );
    }

    #[test]
    fn a_missing_table_or_file_is_added() {
        assert_eq!(
            apply("# mine\npolicies = [\"*.cedar\"]", "permit-all").unwrap(),
            "# mine\npolicies = [\"*.cedar\"]\n\n[rules]\npermit-all = \"off\"\n"
        );
        assert_eq!(
            apply("[[set]]\nname = \"a\"\n", "permit-all").unwrap(),
            "[[set]]\nname = \"a\"\n\n[rules]\npermit-all = \"off\"\n"
        );
        assert_eq!(
            apply("", "permit-all").unwrap(),
            "[rules]\npermit-all = \"off\"\n"
        );
        assert_eq!(
            apply("[rules] # last", "permit-all").unwrap(),
            "[rules] # last\npermit-all = \"off\"\n"
        );
        assert_eq!(
            turn_off(None, "permit-all").unwrap().text,
            "[rules]\npermit-all = \"off\"\n"
        );
    }

    #[test]
    fn what_cannot_be_edited_safely_is_not_offered() {
        assert_eq!(apply("rules = { permit-all = \"warn\" }\n", "x-y"), None);
        assert_eq!(apply("policies = [", "permit-all"), None);
        // An inline table's existing key is only a value to replace.
        assert_eq!(
            apply("rules = { permit-all = \"warn\" }\n", "permit-all").unwrap(),
            "rules = { permit-all = \"off\" }\n"
        );
    }
}
