//! `cedarcheck rules [RULE]`: the rule table, or one rule's documentation.

use std::io::Write;

use cedarcheck_analyzer::{Rule, RULES};

use crate::cli::{CommonArgs, Format, RulesArgs};
use crate::output::to_stdout;

pub fn run(args: &RulesArgs, common: &CommonArgs) -> u8 {
    let json = common.format == Some(Format::Json);
    match &args.rule {
        None if json => print_json(&RULES.iter().map(|r| rule_json(r)).collect::<Vec<_>>()),
        None => to_stdout(|out| {
            let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
            writeln!(
                out,
                "{:width$}  {:11}  {:7}  summary",
                "rule", "category", "default"
            )?;
            for rule in RULES {
                writeln!(
                    out,
                    "{:width$}  {:11}  {:7}  {}",
                    rule.id,
                    rule.category.as_str(),
                    rule.default_level.as_str(),
                    rule.summary
                )?;
            }
            Ok(())
        }),
        Some(id) => {
            let Some(rule) = cedarcheck_analyzer::rule(id) else {
                let hint = RULES
                    .iter()
                    .find(|r| r.id.contains(id.as_str()) || id.contains(r.id))
                    .map(|r| format!("; did you mean `{}`?", r.id))
                    .unwrap_or_default();
                return super::fail(format!(
                    "unknown rule `{id}`{hint} (`cedarcheck rules` lists them)"
                ));
            };
            if json {
                print_json(&rule_json(rule));
            } else {
                to_stdout(|out| {
                    writeln!(
                        out,
                        "# {}\n\nCategory: {} · default level: {}\n\n{}\n\n{}",
                        rule.id,
                        rule.category.as_str(),
                        rule.default_level.as_str(),
                        rule.summary,
                        rule.doc.trim_end()
                    )
                });
            }
        }
    }
    crate::exit::CLEAN
}

fn rule_json(rule: &Rule) -> serde_json::Value {
    serde_json::json!({
        "id": rule.id,
        "category": rule.category,
        "default_level": rule.default_level,
        "summary": rule.summary,
        "doc": rule.doc,
    })
}

fn print_json(value: &impl serde::Serialize) {
    let text = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    to_stdout(|out| writeln!(out, "{text}"));
}
