//! `unreachable-action`: an action of the schema that the policy set denies for every request
//! of every request environment. Asked per environment; reported per action, at its
//! declaration in the schema.

use std::collections::BTreeMap;
use std::str::FromStr;

use cedar_policy::{Effect, EntityUid, Schema};
pub use cedarcheck_analyzer::rules::deep::unreachable_action::RULE;
use cedarcheck_analyzer::{is_json_schema, Finding, Settings, Span};

use crate::environment::{Answer, EnvCx, EnvJob, Query, Shared};
use crate::error::IntentionallyDeniedError;
use crate::outcome::Outcome;
use crate::verdict::Verdict;

use super::Said;

/// What `detail` says when no permit can apply in the environment.
const NO_PERMIT: &str = "no permit";

/// Whether the policies that can apply in the environment allow no request. With no permit
/// among them that is so without asking.
pub async fn check(cx: &mut EnvCx<'_>) -> Outcome {
    let policies = cx.job.policies.clone();
    let permits: Vec<usize> = policies
        .iter()
        .copied()
        .filter(|&p| cx.subject(p).effect() == Effect::Permit)
        .collect();
    if permits.is_empty() {
        return Outcome::Holds {
            related: Vec::new(),
            counterexample: None,
            detail: Some(NO_PERMIT.into()),
        };
    }
    match cx.ask(Query::AlwaysDenies(&policies)).await {
        Answer::Yes => Outcome::Holds {
            related: permits,
            counterexample: None,
            detail: None,
        },
        Answer::No(_) => Outcome::Fails,
        Answer::Unknown(reason) => Outcome::Unknown(reason),
    }
}

/// Whether the environment's action is one the config says is denied by design.
pub fn intentionally_denied(denied: &[String], job: &EnvJob) -> bool {
    let action = job.env.action().to_string();
    denied.contains(&action)
}

/// The action of the schema an `intentionally-denied` entry names, as Cedar writes it, or why
/// it names none.
pub fn schema_action(schema: &Schema, entry: &str) -> Result<String, IntentionallyDeniedError> {
    let uid = EntityUid::from_str(entry.trim()).map_err(|_| IntentionallyDeniedError::NotAUid {
        entry: entry.to_string(),
    })?;
    if schema.actions().any(|a| *a == uid) {
        return Ok(uid.to_string());
    }
    let mut actions: Vec<String> = schema.actions().map(ToString::to_string).collect();
    actions.sort();
    Err(IntentionallyDeniedError::NotAnAction {
        entry: entry.to_string(),
        actions,
    })
}

/// Whether the schema declares actions in the namespace of the action `entry` names (true
/// when `entry` is not an entity uid at all: that is an error in any set).
pub fn has_actions_in_namespace_of(schema: &Schema, entry: &str) -> bool {
    let Ok(uid) = EntityUid::from_str(entry.trim()) else {
        return true;
    };
    let namespace = uid.type_name().namespace();
    schema
        .actions()
        .any(|a| a.type_name().namespace() == namespace)
}

/// One finding per action whose every environment holds (or could not be decided, and none
/// failed), at its declaration in the schema file `path`.
pub fn findings(
    verdicts: Vec<Verdict>,
    jobs: &[EnvJob],
    shared: &Shared<'_>,
    (path, text): (&str, &str),
    settings: &Settings,
) -> Vec<Finding> {
    let Some(level) = settings.level(&RULE, path) else {
        return Vec::new();
    };
    let mut by_action: BTreeMap<String, Vec<Verdict>> = BTreeMap::new();
    for verdict in verdicts {
        let action = jobs[verdict.env].env.action().to_string();
        by_action.entry(action).or_default().push(verdict);
    }
    let mut findings = Vec::new();
    for (action, mut verdicts) in by_action {
        verdicts.sort_by_key(|v| v.env);
        // Every environment of the action must have been asked about.
        let all = jobs
            .iter()
            .filter(|j| j.env.action().to_string() == action)
            .count();
        if verdicts.len() < all || verdicts.iter().any(|v| matches!(v.outcome, Outcome::Fails)) {
            continue;
        }
        let uid = jobs[verdicts[0].env].env.action();
        let span = declaration(text, is_json_schema(path), uid).unwrap_or(Span::empty_at(0));
        let envs: Vec<&str> = verdicts.iter().map(|v| jobs[v.env].name.as_str()).collect();
        let unknown: Vec<(&str, &str)> = verdicts
            .iter()
            .filter_map(|v| match &v.outcome {
                Outcome::Unknown(reason) => Some((jobs[v.env].name.as_str(), reason.as_str())),
                _ => None,
            })
            .collect();
        if let Some(&(_, reason)) = unknown.first() {
            let names: Vec<&str> = unknown.iter().map(|(env, _)| *env).collect();
            let mut finding = Finding::new(
                &RULE,
                path,
                span,
                format!(
                    "unknown: could not decide {} for `{action}` in {}: {reason}",
                    RULE.id,
                    env_list(&names)
                ),
            )
            .with_help(crate::report::unknown_help(reason, ""));
            finding.level = cedarcheck_analyzer::Level::Info;
            findings.push(finding);
            continue;
        }
        let mut permits: Vec<&str> = verdicts
            .iter()
            .flat_map(|v| match &v.outcome {
                Outcome::Holds { related, .. } => related.clone(),
                _ => Vec::new(),
            })
            .map(|p| shared.subjects[p].id.as_str())
            .collect();
        permits.sort();
        permits.dedup();
        let where_ = match envs.len() {
            1 => format!("in its one request environment {}", envs[0]),
            n => format!(
                "in all {n} of its request environments ({})",
                env_list(&envs)
            ),
        };
        let names: Vec<String> = permits.iter().map(|p| format!("`{p}`")).collect();
        let said = Said {
            id: &action,
            envs: &where_,
            by: &names,
            ..Said::default()
        };
        let mut finding = Finding::new(&RULE, path, span, message(&said)).with_help(format!(
            "add a permit for it, or list it in cedarcheck.toml if it is denied by design: \
             [analysis] intentionally-denied = [{}]",
            toml_string(&action)
        ));
        finding.level = level;
        findings.push(finding);
    }
    findings
}

/// `said.id` is the action, `said.by` the permits that apply to it (none: no permit does).
pub fn message(said: &Said<'_>) -> String {
    let why = if said.by.is_empty() {
        "no permit applies to it".to_string()
    } else {
        format!(
            "the permits that apply to it ({}) never allow a request that no forbid denies",
            said.by.join(", ")
        )
    };
    format!("no request can perform `{}`: {why}, {}", said.id, said.envs)
}

fn env_list(envs: &[&str]) -> String {
    let more = envs.len().saturating_sub(3);
    let shown = envs[..envs.len().min(3)].join(", ");
    if more > 0 {
        format!("{shown} and {more} more")
    } else {
        shown
    }
}

/// `'Ops::Action::"x"'`: a TOML literal string needs no escapes for Cedar's quotes.
fn toml_string(text: &str) -> String {
    if text.contains('\'') {
        format!("{text:?}")
    } else {
        format!("'{text}'")
    }
}

#[derive(Debug, PartialEq)]
enum Token<'t> {
    Word(&'t str),
    /// The text between the quotes, escapes as written.
    Str(&'t str),
    Punct(char),
}

/// Words, strings and punctuation of a Cedar or JSON schema, with their spans; `//` comments
/// and whitespace left out.
fn tokens(text: &str) -> Vec<(Token<'_>, Span)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            let end = (i + 1).min(bytes.len());
            out.push((
                Token::Str(text.get(start + 1..i.min(bytes.len())).unwrap_or("")),
                Span::new(start, end),
            ));
            i = end;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
            {
                i += 1;
            }
            out.push((Token::Word(&text[start..i]), Span::new(start, i)));
        } else {
            out.push((Token::Punct(c as char), Span::new(i, i + 1)));
            i += 1;
        }
    }
    out
}

/// Where the schema declares `action`: its name in `action "name"` (Cedar syntax, in the
/// right `namespace`) or its key under the namespace's `actions` (JSON).
pub fn declaration(text: &str, json: bool, action: &EntityUid) -> Option<Span> {
    let namespace = action.type_name().namespace();
    let id = action.id().unescaped();
    let tokens = tokens(text);
    if json {
        json_declaration(&tokens, &namespace, id)
    } else {
        cedar_declaration(&tokens, &namespace, id)
    }
}

fn cedar_declaration(tokens: &[(Token<'_>, Span)], namespace: &str, id: &str) -> Option<Span> {
    // (namespace, the brace depth inside it)
    let mut namespaces: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].0 {
            // The keyword, not an attribute named `namespace` (`namespace: String`): namespaces
            // do not nest, and the keyword is followed by the namespace's name.
            Token::Word("namespace")
                if depth == 0 && matches!(tokens.get(i + 1), Some((Token::Word(_), _))) =>
            {
                let mut name = String::new();
                i += 1;
                while i < tokens.len() && tokens[i].0 != Token::Punct('{') {
                    match tokens[i].0 {
                        Token::Word(w) => name.push_str(w),
                        Token::Punct(':') => name.push(':'),
                        _ => {}
                    }
                    i += 1;
                }
                depth += 1;
                namespaces.push((name, depth));
            }
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if namespaces.last().is_some_and(|(_, d)| *d == depth) {
                    namespaces.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Word("action") => {
                let here = namespaces.last().map_or("", |(n, _)| n.as_str());
                // `action a, "b c" in [...] appliesTo {...};`
                while let Some((Token::Word(name) | Token::Str(name), span)) = tokens.get(i + 1) {
                    if here == namespace && *name == id {
                        return Some(*span);
                    }
                    i += 1;
                    if tokens.get(i + 1).map(|t| &t.0) == Some(&Token::Punct(',')) {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn json_declaration(tokens: &[(Token<'_>, Span)], namespace: &str, id: &str) -> Option<Span> {
    // The key that opened each enclosing object or array.
    let mut path: Vec<Option<&str>> = Vec::new();
    let mut key: Option<&str> = None;
    for (i, (token, span)) in tokens.iter().enumerate() {
        match token {
            Token::Str(s) if tokens.get(i + 1).map(|t| &t.0) == Some(&Token::Punct(':')) => {
                if path.len() == 3
                    && path[1] == Some(namespace)
                    && path[2] == Some("actions")
                    && *s == id
                {
                    return Some(*span);
                }
                key = Some(s);
            }
            Token::Punct('{' | '[') => path.push(key.take()),
            Token::Punct('}' | ']') => {
                path.pop();
                key = None;
            }
            Token::Punct(',') => key = None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, json: bool, action: &str) -> Option<(usize, usize)> {
        let uid = EntityUid::from_str(action).unwrap();
        declaration(text, json, &uid).map(|s| (s.start, s.end))
    }

    #[test]
    fn finds_the_declaration_in_its_namespace_in_both_syntaxes() {
        let cedar = r#"// action RebootHost in a comment
namespace Other { action RebootHost; }
namespace Ops {
  entity Host { action: String };
  action "read";
  action ReadLogs, RebootHost in ["read"] appliesTo { principal: [Host], resource: [Host] };
}
action Top;
"#;
        let start = cedar.rfind("RebootHost").unwrap();
        assert_eq!(
            at(cedar, false, r#"Ops::Action::"RebootHost""#),
            Some((start, start + 10))
        );
        let start = cedar.find("RebootHost;").unwrap();
        assert_eq!(
            at(cedar, false, r#"Other::Action::"RebootHost""#),
            Some((start, start + 10))
        );
        let start = cedar.find("\"read\"").unwrap();
        assert_eq!(
            at(cedar, false, r#"Ops::Action::"read""#),
            Some((start, start + 6))
        );
        let start = cedar.find("Top").unwrap();
        assert_eq!(
            at(cedar, false, r#"Action::"Top""#),
            Some((start, start + 3))
        );
        assert_eq!(at(cedar, false, r#"Ops::Action::"Top""#), None);
        // Attributes named `namespace` (Kubernetes schemas have them) are no namespace.
        let k8s = "namespace K8s {\n  entity Resource { namespace: String, kind: String };\n  entity X { namespace: String };\n  action dead appliesTo { principal: [X], resource: [Resource] };\n}\n";
        let start = k8s.find("dead").unwrap();
        assert_eq!(
            at(k8s, false, r#"K8s::Action::"dead""#),
            Some((start, start + 4))
        );

        let json = r#"{"Ops": {"entityTypes": {"RebootHost": {}},
  "actions": {"read": {}, "RebootHost": {"memberOf": [{"id": "read"}]}}}}"#;
        let start = json.rfind("\"RebootHost\"").unwrap();
        assert_eq!(
            at(json, true, r#"Ops::Action::"RebootHost""#),
            Some((start, start + 12))
        );
        assert_eq!(at(json, true, r#"Action::"RebootHost""#), None);
    }
}
