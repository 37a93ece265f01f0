//! Policies in Cedar's JSON policy format, as `cedar` reads them with `--policy-format json`:
//! a policy set `{"staticPolicies": {ID: policy, …}, "templates": {ID: template, …},
//! "templateLinks": […]}` or a single policy `{"effect": …, "principal": …, "action": …,
//! "resource": …, "conditions": […]}`.
//!
//! Cedar's JSON policies carry no source locations, so each policy is located at its JSON
//! object: its span — and the place of every finding about it that cannot be placed more
//! precisely — is the object from its `{` to its `}` in the file. A policy's Cedar id is its key
//! in `staticPolicies` or `templates`, and `policy0` for a file that is a single policy.
//!
//! A key is an explicit id, as `@id` is in Cedar syntax (README, "Configuration"): a keyed
//! policy without an `"annotations": {"id": …}` of its own is given the `id` annotation of its
//! key, located at the key, so that it keeps its key as its id in a set of several files and
//! `missing-policy-id` leaves it alone.

use std::collections::BTreeMap;
use std::error::Error;

use cedar_policy::PolicyId;
use cedar_policy_core::ast::{self, Expr};
use cedar_policy_core::parser::Loc;
use serde_json::value::RawValue;

use super::Item;
use crate::policy::loc_span;
use crate::rules::parse_error;
use crate::source::JSON_POLICY_SET_KEYS;
use crate::{Finding, PolicyUnit, SourceFile, Span};

/// Whether a policy file is read as JSON: every policy file named `*.json` is.
pub(crate) fn is_json_policy_file(path: &str) -> bool {
    path.ends_with(".json")
}

impl PolicyUnit<'_> {
    /// Whether the policy is written in Cedar's JSON format.
    pub(crate) fn is_json(&self) -> bool {
        is_json_policy_file(&self.file.path)
    }

    /// `expr` as a finding quotes it: its source text where it has one, else (an expression of
    /// a JSON policy, which carries no locations) as Cedar prints it in Cedar syntax.
    pub(crate) fn expr_text(&self, expr: &Expr) -> String {
        expr.source_loc()
            .map(loc_span)
            .and_then(|span| self.file.text.get(span.start..span.end))
            .map_or_else(|| expr.to_string(), |text| text.trim().to_string())
    }
}

/// The policies and templates of a JSON policy file in file order, or `None` with a
/// `parse-error` finding for each problem.
pub(super) fn parse_file(
    file: &SourceFile,
    findings: &mut Vec<Finding>,
) -> Option<Vec<(PolicyId, Item)>> {
    let text: &str = &file.text;
    let fail = |findings: &mut Vec<Finding>, span: Span, message: String| {
        findings.push(Finding::new(&parse_error::RULE, &file.path, span, message));
    };
    let top: BTreeMap<String, &RawValue> = match serde_json::from_str(text) {
        Ok(top) => top,
        Err(error) => {
            findings.push(parse_error::from_json_error(
                file,
                &error,
                "JSON policy file",
            ));
            return None;
        }
    };
    let first = findings.len();
    let mut items = Vec::new();
    if top.contains_key("effect") {
        let object = span_of(text, text.trim());
        let id = PolicyId::new("policy0");
        match parse_item(text, object, &id, false, None) {
            Ok(item) => items.push((id, item)),
            Err(error) => fail(findings, object, error.to_string()),
        }
    } else {
        // Cedar reads a policy set only with all three keys.
        let missing: Vec<String> = JSON_POLICY_SET_KEYS
            .iter()
            .filter(|key| !top.contains_key(**key))
            .map(|key| format!("`{key}`"))
            .collect();
        if !missing.is_empty() {
            fail(
                findings,
                span_of(text, &text.trim_start()[..1]),
                format!(
                    "invalid JSON policy file: {} missing (a Cedar JSON policy set has \
                     `staticPolicies`, `templates` and `templateLinks`)",
                    missing.join(", ")
                ),
            );
        }
        for (key, raw) in &top {
            let span = span_of(text, raw.get());
            match key.as_str() {
                "staticPolicies" | "templates" => {
                    let is_template = key == "templates";
                    let policies: BTreeMap<String, &RawValue> =
                        match serde_json::from_str(raw.get()) {
                            Ok(policies) => policies,
                            Err(error) => {
                                fail(
                                    findings,
                                    span,
                                    format!("invalid JSON policy file: `{key}`: {error}"),
                                );
                                continue;
                            }
                        };
                    for (id, policy) in policies {
                        let object = span_of(text, policy.get());
                        let key = key_span(text, object);
                        let id = PolicyId::new(id);
                        match parse_item(text, object, &id, is_template, key) {
                            Ok(item) => items.push((id, item)),
                            Err(error) => fail(findings, object, error.to_string()),
                        }
                    }
                }
                "templateLinks" => {
                    let empty = serde_json::from_str::<Vec<&RawValue>>(raw.get())
                        .is_ok_and(|links| links.is_empty());
                    if !empty {
                        fail(
                            findings,
                            span,
                            "`templateLinks` in a JSON policy file are not read: put the links \
                             in a links file in the Cedar CLI's format (`links = [\"…\"]` in \
                             cedarcheck.toml)"
                                .into(),
                        );
                    }
                }
                other => fail(
                    findings,
                    span,
                    format!(
                        "invalid JSON policy file: unknown key `{other}`: expected \
                         `staticPolicies`, `templates` and `templateLinks`, or a single policy \
                         with `effect`, `principal`, `action` and `resource`"
                    ),
                ),
            }
        }
    }
    if findings.len() > first {
        return None;
    }
    items.sort_by_key(|(_, item)| item.span().start);
    Some(items)
}

/// Why a policy or template of a JSON policy file does not load; the finding at its object
/// says this.
#[derive(Debug, thiserror::Error)]
enum ItemError {
    /// `what`: "policy" or "template".
    #[error("invalid JSON {what} `{id}`: {source}")]
    Syntax {
        what: &'static str,
        id: PolicyId,
        #[source]
        source: serde_json::Error,
    },
    /// Cedar's message, followed by each of its causes.
    #[error("invalid JSON {what} `{id}`: {}", with_causes(source))]
    Cedar {
        what: &'static str,
        id: PolicyId,
        #[source]
        source: CedarJsonError,
    },
}

#[derive(Debug, thiserror::Error)]
enum CedarJsonError {
    /// Boxed: Cedar's error is large, and the error path is the rare one.
    #[error(transparent)]
    FromJson(Box<cedar_policy::PolicyFromJsonError>),
    #[error(transparent)]
    Slot(#[from] ast::UnexpectedSlotError),
}

fn with_causes(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

/// One policy or template from the JSON object at `object` in `text`, located at that object;
/// `key`, where the object is the value of a key, is where that key is written.
fn parse_item(
    text: &str,
    object: Span,
    id: &PolicyId,
    is_template: bool,
    key: Option<Span>,
) -> Result<Item, ItemError> {
    let what = if is_template { "template" } else { "policy" };
    let json = text.get(object.start..object.end).unwrap_or_default();
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| ItemError::Syntax {
            what,
            id: id.clone(),
            source,
        })?;
    let explain = |error: CedarJsonError| ItemError::Cedar {
        what,
        id: id.clone(),
        source: error,
    };
    let loc = Loc::new(object.start..object.end, text.into());
    let key = key.map(|key| ast::Annotation {
        val: id.to_string().into(),
        loc: Some(Loc::new(key.start..key.end, text.into())),
    });
    if is_template {
        let template = cedar_policy::Template::from_json(Some(id.clone()), value)
            .map_err(|error| explain(CedarJsonError::FromJson(Box::new(error))))?;
        Ok(Item::Template(cedar_policy::Template::from(located(
            template.as_ref(),
            loc,
            key,
        ))))
    } else {
        let policy = cedar_policy::Policy::from_json(Some(id.clone()), value)
            .map_err(|error| explain(CedarJsonError::FromJson(Box::new(error))))?;
        let located = ast::StaticPolicy::try_from(located(policy.as_ref().template(), loc, key))
            .map_err(|error| explain(error.into()))?;
        Ok(Item::Static(cedar_policy::Policy::from(located)))
    }
}

/// `template` with the location `loc` (JSON policies come without one) and, unless it has an
/// `id` annotation, `key` as its `id`.
fn located(template: &ast::Template, loc: Loc, key: Option<ast::Annotation>) -> ast::Template {
    let id_key: ast::AnyId = "id".parse().expect("`id` is an identifier");
    let annotations = match key {
        Some(key) if template.annotations_arc().get(&id_key).is_none() => std::sync::Arc::new(
            template
                .annotations_arc()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain([(id_key, key)])
                .collect(),
        ),
        _ => template.annotations_arc().clone(),
    };
    ast::Template::new_shared(
        template.id().clone(),
        Some(loc),
        annotations,
        template.effect(),
        template.principal_constraint().clone(),
        template.action_constraint().clone(),
        template.resource_constraint().clone(),
        template.non_scope_constraints_arc().cloned(),
    )
}

/// Where the key whose value is the object at `object` is written, quotes included: the
/// string before the `:` that precedes the object.
fn key_span(text: &str, object: Span) -> Option<Span> {
    let before = text
        .get(..object.start)?
        .trim_end()
        .strip_suffix(':')?
        .trim_end();
    let body = before.strip_suffix('"')?;
    let bytes = body.as_bytes();
    // The opening quote: the last `"` not escaped by an odd run of backslashes.
    let mut at = body.len();
    while let Some(quote) = body[..at].rfind('"') {
        let backslashes = bytes[..quote]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some(Span::new(quote, before.len()));
        }
        at = quote;
    }
    None
}

/// Where `part`, a slice of `text`, lies in it.
fn span_of(text: &str, part: &str) -> Span {
    let start = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    Span::new(start, start + part.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};

    const SET: &str = r#"{
  "staticPolicies": {
    "anyone-anything": {
      "effect": "permit",
      "principal": { "op": "All" },
      "action": { "op": "All" },
      "resource": { "op": "All" },
      "conditions": [ { "kind": "when", "body": { "==": { "left": { "Var": "context" }, "right": { "Record": { "ok": { "Value": true } } } } } } ]
    },
    "never-delete": {
      "effect": "forbid",
      "principal": { "op": "All" },
      "action": { "op": "==", "entity": { "type": "Action", "id": "delete" } },
      "resource": { "op": "All" },
      "conditions": []
    }
  },
  "templates": {},
  "templateLinks": []
}"#;

    fn decide(set: &PolicySet, action: &str, ok: bool) -> (Decision, Vec<String>) {
        let uid = |s: &str| s.parse::<EntityUid>().unwrap();
        let context = Context::from_json_value(serde_json::json!({ "ok": ok }), None).unwrap();
        let request = Request::new(
            uid("User::\"u\""),
            uid(action),
            uid("Doc::\"d\""),
            context,
            None,
        )
        .unwrap();
        let response = Authorizer::new().is_authorized(&request, set, &Entities::empty());
        let mut reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        reasons.sort();
        (response.decision(), reasons)
    }

    /// The located policies decide every request as Cedar's own reading of the file does, and
    /// each stands at its object.
    #[test]
    fn located_policies_decide_as_cedar_reads_them_and_stand_at_their_objects() {
        let file = SourceFile::new("p.cedar.json", SET);
        let mut findings = Vec::new();
        let items = parse_file(&file, &mut findings).unwrap();
        assert!(findings.is_empty(), "{findings:?}");
        let ids: Vec<String> = items.iter().map(|(id, _)| id.to_string()).collect();
        assert_eq!(ids, ["anyone-anything", "never-delete"]);
        for (id, item) in &items {
            let span = item.span();
            let object = &SET[span.start..span.end];
            assert!(object.starts_with("{\n      \"effect\""), "{id}: {object}");
            assert!(object.ends_with('}'), "{id}: {object}");
            assert!(SET[..span.start].ends_with(&format!("\"{id}\": ")), "{id}");
        }
        let mut ours = PolicySet::new();
        for (_, item) in items {
            match item {
                Item::Static(p) => ours.add(p).unwrap(),
                Item::Template(_) => unreachable!(),
            }
        }
        let cedars = PolicySet::from_json_str(SET).unwrap();
        for action in ["Action::\"read\"", "Action::\"delete\""] {
            for ok in [true, false] {
                assert_eq!(
                    decide(&ours, action, ok),
                    decide(&cedars, action, ok),
                    "{action} {ok}"
                );
            }
        }
        assert_eq!(
            decide(&ours, "Action::\"read\"", true),
            (Decision::Allow, vec!["anyone-anything".to_string()])
        );
    }

    /// The editor's incremental check finds what `check` finds in JSON policies and in a
    /// `*.cedar` file that is not Cedar.
    #[test]
    fn the_incremental_check_agrees() {
        let input = crate::PolicySetInput {
            policies: vec![
                SourceFile::new("Dockerfile.cedar", "FROM rust\nRUN cargo build; true\n"),
                SourceFile::new("p.cedar.json", SET),
                SourceFile::new("a.cedar", "permit (principal, action, resource);\n"),
            ],
            schema: None,
            links: vec![],
        };
        let settings = crate::Settings::default();
        let whole = crate::with_large_stack(|| crate::check(&input, &settings).findings);
        let mut incremental = crate::IncrementalCheck::new();
        let again = crate::with_large_stack(|| incremental.check(&input, &settings));
        let summary = |findings: &[Finding]| -> Vec<(String, &str, Span, String)> {
            findings
                .iter()
                .map(|f| (f.file.clone(), f.rule, f.span, f.message.clone()))
                .collect()
        };
        assert_eq!(summary(&whole), summary(&again));
        let not_cedar = whole.iter().find(|f| f.file == "Dockerfile.cedar").unwrap();
        assert_eq!(not_cedar.span.start, 0);
        assert!(not_cedar
            .message
            .starts_with("this file does not look like Cedar policies"));
        let object = SET.find("\"anyone-anything\": {").unwrap() + "\"anyone-anything\": ".len();
        assert!(
            whole
                .iter()
                .any(|f| f.file == "p.cedar.json" && f.span.start == object),
            "{whole:?}"
        );
    }

    #[test]
    fn a_single_policy_is_policy0_and_a_template_keeps_its_slot() {
        let single = r#"  {"effect": "forbid", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}
"#;
        let mut findings = Vec::new();
        let items = parse_file(&SourceFile::new("one.json", single), &mut findings).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].0.to_string(), "policy0");
        assert_eq!(items[0].1.span(), Span::new(2, single.trim_end().len()));

        let template = r#"{"staticPolicies": {}, "templates": {"t": {"effect": "permit", "principal": {"op": "==", "slot": "?principal"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}, "templateLinks": []}"#;
        let items = parse_file(&SourceFile::new("t.json", template), &mut findings).unwrap();
        assert!(findings.is_empty(), "{findings:?}");
        assert!(matches!(items[0].1, Item::Template(_)));
    }
}
