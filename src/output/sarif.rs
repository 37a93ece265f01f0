//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it — every rule with its
//! documentation as help, results with repo-relative locations under `%SRCROOT%`, and partial
//! fingerprints made of rule, file and policy id, so that an alert survives edits elsewhere.

use std::collections::HashMap;
use std::io::Write;

use cedarcheck_analyzer::{Category, Finding, Fingerprint, Level, Rule, RULES};
use serde_json::{json, Value};

use super::CheckResult;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of cedarcheck's fingerprint in `partialFingerprints`; bump the version if it changes.
const FINGERPRINT_KEY: &str = "cedarcheck/v1";
pub(crate) const URI_BASE: &str = "%SRCROOT%";

pub fn write(out: &mut impl Write, result: &CheckResult) -> std::io::Result<()> {
    let mut occurrences: HashMap<Fingerprint, usize> = HashMap::new();
    let results: Vec<Value> = result
        .findings
        .iter()
        .map(|finding| {
            let fingerprint = Fingerprint::of(finding, result.repo_path(&finding.file));
            let occurrence = occurrences.entry(fingerprint.clone()).or_insert(0);
            let hash = fingerprint.stable_hash(*occurrence);
            *occurrence += 1;
            result_json(result, finding, &hash)
        })
        .collect();
    let rules = RULES.iter().map(|rule| rule_json(rule)).collect();
    let sarif = document(rules, notifications(result), results);
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

/// A SARIF 2.1.0 log of one cedarcheck run: the driver with its `rules`, the invocation with
/// its notifications, and the `results`. `check` and `mutants` write it.
pub(crate) fn document(rules: Vec<Value>, notifications: Vec<Value>, results: Vec<Value>) -> Value {
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cedarcheck",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// What the run did not check, so that code scanning can tell "nothing found" from "not
/// checked": every note (a warning), and each set whose deep analysis did not run for a reason
/// no note gives, or left queries undecided.
fn notifications(result: &CheckResult) -> Vec<Value> {
    let mut texts: Vec<(&str, String)> = result
        .notes
        .iter()
        .map(|note| ("warning", note.clone()))
        .collect();
    for set in &result.deep {
        let summary = &set.summary;
        let prefix = set
            .set
            .as_ref()
            .map_or(String::new(), |name| format!("{name}: "));
        if let Some(reason) = &summary.reason {
            if !result
                .notes
                .iter()
                .any(|note| note.contains(reason.as_str()))
            {
                let level = if reason.starts_with("turned off") {
                    "note"
                } else {
                    "warning"
                };
                texts.push((level, format!("{prefix}{}{reason}", crate::deep::SKIPPED)));
            }
        }
        if summary.unknown > 0 {
            texts.push((
                "warning",
                format!(
                    "{prefix}deep analysis left {} solver {} undecided (unknown)",
                    summary.unknown,
                    if summary.unknown == 1 {
                        "query"
                    } else {
                        "queries"
                    }
                ),
            ));
        }
    }
    let mut seen = Vec::new();
    texts
        .into_iter()
        .filter(|text| {
            let new = !seen.contains(text);
            if new {
                seen.push(text.clone());
            }
            new
        })
        .map(|(level, text)| json!({ "level": level, "message": { "text": text } }))
        .collect()
}

fn rule_json(rule: &Rule) -> Value {
    let mut properties = json!({ "tags": [rule.category.as_str()] });
    if rule.category == Category::Security {
        // GitHub ranks security alerts by this CVSS-like score.
        let severity = match rule.default_level {
            Level::Error => "8.0",
            Level::Warn => "5.0",
            Level::Info => "2.0",
        };
        properties["security-severity"] = json!(severity);
    }
    json!({
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": what_it_does(rule) },
        "help": { "text": rule.doc, "markdown": rule.doc },
        "defaultConfiguration": { "level": level(rule.default_level) },
        "properties": properties,
    })
}

fn result_json(result: &CheckResult, finding: &Finding, fingerprint: &str) -> Value {
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message = format!("{message}\nhelp: {help}");
    }
    let mut value = json!({
        "ruleId": finding.rule,
        "level": level(finding.level),
        "message": { "text": message },
        "locations": [{ "physicalLocation": location(result, &finding.file, finding.span) }],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
    });
    if let Some(index) = RULES.iter().position(|r| r.id == finding.rule) {
        value["ruleIndex"] = json!(index);
    }
    if let Some(policy) = &finding.policy_id {
        value["properties"] = json!({ "policyId": policy });
    }
    if !finding.related.is_empty() {
        value["relatedLocations"] = finding
            .related
            .iter()
            .enumerate()
            .map(|(id, related)| {
                json!({
                    "id": id,
                    "physicalLocation": location(result, &related.file, related.span),
                    "message": { "text": related.message },
                })
            })
            .collect();
    }
    value
}

fn location(result: &CheckResult, file: &str, span: cedarcheck_analyzer::Span) -> Value {
    let (start, end) = result.locate(file, span);
    json!({
        "artifactLocation": { "uri": uri(result.repo_path(file)), "uriBaseId": URI_BASE },
        "region": {
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column,
        }
    })
}

fn level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warning",
        Level::Info => "note",
    }
}

/// A relative path as a URI reference: every byte but unreserved characters and `/`
/// percent-encoded (spaces, `#`, `%`, `:` and non-ASCII included).
pub(crate) fn uri(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// `permit-all` → `PermitAll`, SARIF's conventional rule name.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// The "What it does" section of a rule's doc, on one line.
fn what_it_does(rule: &Rule) -> String {
    let section = rule
        .doc
        .split("## What it does")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or(rule.summary);
    section.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(
            uri("policies/a b#1:é.cedar"),
            "policies/a%20b%231%3A%C3%A9.cedar"
        );
    }

    #[test]
    fn rule_names_and_descriptions() {
        assert_eq!(pascal_case("permit-all"), "PermitAll");
        let rule = cedarcheck_analyzer::rule("permit-all").unwrap();
        let full = what_it_does(rule);
        assert!(
            full.starts_with("Reports") && !full.contains('\n'),
            "{full}"
        );
    }
}
