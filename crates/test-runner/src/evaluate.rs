//! One test: build the request (validated against the schema unless the test says otherwise),
//! ask Cedar's authorizer, and compare what it says with what the test expects.

use std::collections::BTreeSet;
use std::sync::Arc;

use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request, Schema};
use serde_json::Value;

use crate::error::{EntitiesJsonError, InlineEntitiesError, RequestError};
use crate::located::{find_mention, Located};
use crate::set_under_test::SetUnderTest;
use crate::test_file::{CaseSpec, Decision, EntityRef, Expectation, ExpectedErrors};

/// Entities from JSON, validated against the schema when there is one (which also adds the
/// schema's action entities), as `cedar run-tests` reads them.
pub fn parse_entities(
    value: Value,
    schema: Option<&Schema>,
) -> Result<Entities, EntitiesJsonError> {
    Entities::from_json_value(value, schema).map_err(|error| EntitiesJsonError(Arc::new(error)))
}

/// An entities file, located: JSON syntax errors at their line and column, Cedar's errors at
/// the first place the file mentions the entity or type they name.
pub fn parse_entities_file(
    file: &str,
    text: &str,
    schema: Option<&Schema>,
) -> Result<Entities, Located> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Located::json(file, text, 0, &e, "invalid entities JSON"))?;
    parse_entities(value, schema).map_err(|error| {
        let message = error.to_string();
        let offset = find_mention(text, &message).unwrap_or(0);
        Located::at(file, text, offset, format!("invalid entities: {message}"))
    })
}

/// `base` with the entities a test writes in its request (README "Tests": a principal or
/// resource with `attrs` or `parents`) added. An entity both give must be the same in both:
/// the same attributes and parents, else the error names it.
pub fn add_inline_entities(
    base: &Entities,
    inline: &[Value],
    schema: Option<&Schema>,
) -> Result<Entities, InlineEntitiesError> {
    let written = parse_entities(Value::Array(inline.to_vec()), schema)
        .map_err(InlineEntitiesError::Invalid)?;
    let comparable = |entity: &cedar_policy::Entity| {
        let mut value = entity.to_json_value().unwrap_or(Value::Null);
        if let Some(Value::Array(parents)) = value.get_mut("parents") {
            parents.sort_by_key(|p| p.to_string());
        }
        value
    };
    let mut added = Vec::new();
    for entity in written.iter() {
        match base.get(&entity.uid()) {
            Some(existing) if comparable(existing) == comparable(entity) => {}
            Some(existing) => {
                let (here, there) = (comparable(entity), comparable(existing));
                let differences: Vec<String> = ["attrs", "parents", "tags"]
                    .iter()
                    .filter(|key| here.get(**key) != there.get(**key))
                    .map(|key| {
                        let shown = |v: &Value| v.get(*key).map_or("none".into(), Value::to_string);
                        format!(
                            "`{key}` {} in the request, {} in the test's entities",
                            shown(&here),
                            shown(&there)
                        )
                    })
                    .collect();
                return Err(InlineEntitiesError::Conflict {
                    uid: Box::new(entity.uid()),
                    differences,
                });
            }
            None => added.push(entity.clone()),
        }
    }
    base.clone()
        .add_entities(added, schema)
        .map_err(|e| InlineEntitiesError::Add(Box::new(e)))
}

/// A policy that raised an error while the request was evaluated.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PolicyError {
    pub policy: String,
    pub message: String,
}

/// What Cedar decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actual {
    pub decision: Decision,
    /// The determining policies, sorted, by the ids tests use.
    pub reason: Vec<String>,
    pub errors: Vec<PolicyError>,
    /// Indexes into the set's `info` of the determining policies, for coverage.
    pub determining: Vec<usize>,
}

fn uid(reference: &EntityRef, what: &'static str) -> Result<EntityUid, RequestError> {
    match reference {
        EntityRef::Text(text) => text.parse().map_err(|source| RequestError::Uid {
            what,
            written: text.clone(),
            source: Box::new(source),
        }),
        EntityRef::Json(value) => {
            EntityUid::from_json(value.clone()).map_err(|source| RequestError::UidJson {
                what,
                written: value.clone(),
                source: Box::new(source),
            })
        }
        EntityRef::Missing => Err(RequestError::Missing { what }),
    }
}

/// The request of a test, in the order `cedar run-tests` checks it: principal, action,
/// resource, context (typed by the schema), then the request against the schema.
pub fn build_request(spec: &CaseSpec, schema: Option<&Schema>) -> Result<Request, RequestError> {
    let principal = uid(&spec.request.principal, "principal")?;
    let action = uid(&spec.request.action, "action")?;
    let resource = uid(&spec.request.resource, "resource")?;
    let context = Context::from_json_value(spec.request.context.clone(), schema.zip(Some(&action)))
        .map_err(|source| RequestError::Context {
            context: spec.request.context.clone(),
            source: Box::new(source),
        })?;
    let validation = if spec.validate_request { schema } else { None };
    Request::new(principal, action, resource, context, validation)
        .map_err(|e| RequestError::Invalid(Box::new(e)))
}

/// Runs the request through Cedar's authorizer, against `policies`: the set's, or the slice
/// of them that can apply to the request's action.
pub fn authorize(
    authorizer: &Authorizer,
    set: &SetUnderTest,
    policies: &PolicySet,
    request: &Request,
    entities: &Entities,
) -> Actual {
    let response = authorizer.is_authorized(request, policies, entities);
    let diagnostics = response.diagnostics();
    let mut determining: Vec<usize> = diagnostics
        .reason()
        .filter_map(|id| set.info_index(id))
        .collect();
    determining.sort_unstable();
    let mut reason: Vec<String> = diagnostics.reason().map(|id| set.display_id(id)).collect();
    reason.sort();
    let mut errors: Vec<PolicyError> = diagnostics
        .errors()
        .map(|error| {
            let cedar_policy::AuthorizationError::PolicyEvaluationError(error) = error;
            let policy = set.display_id(error.policy_id());
            let message = error.to_string();
            // "error while evaluating policy `ID`: why" — the policy is reported apart.
            let message = message
                .split_once("`: ")
                .map_or(message.clone(), |(_, why)| why.to_string());
            PolicyError { policy, message }
        })
        .collect();
    errors.sort_by(|a, b| a.policy.cmp(&b.policy));
    Actual {
        decision: response.decision().into(),
        reason,
        errors,
        determining,
    }
}

/// One line of the reasons diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasonMark {
    /// Expected and determining.
    Matched,
    /// Expected but not determining: a failure.
    Missing,
    /// Determining but not expected: a failure only where `reason` is exact.
    Unexpected,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReasonLine {
    pub policy: String,
    pub mark: ReasonMark,
}

/// Expected against actual reasons, in policy order.
pub fn reason_diff(expect: &Expectation, actual: &Actual) -> Vec<ReasonLine> {
    let expected: BTreeSet<&str> = expect.reason.iter().map(String::as_str).collect();
    let determining: BTreeSet<&str> = actual.reason.iter().map(String::as_str).collect();
    expected
        .union(&determining)
        .map(|policy| ReasonLine {
            policy: policy.to_string(),
            mark: match (expected.contains(policy), determining.contains(policy)) {
                (true, true) => ReasonMark::Matched,
                (true, false) => ReasonMark::Missing,
                _ => ReasonMark::Unexpected,
            },
        })
        .collect()
}

fn ticks(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why the test fails; empty when it passes. `run-tests` semantics: a wrong decision is the
/// whole story, `reason` is a subset, `num_errors` an exact count. Integration semantics: the
/// decision, and `reason` and `errors` as exact sets.
pub fn compare(expect: &Expectation, actual: &Actual) -> Vec<String> {
    let mut failures = Vec::new();
    if !expect.decision.holds(actual.decision, &actual.reason) {
        failures.push(format!(
            "expected {}, got {}",
            expect.decision.as_str(),
            expect.decision.describe(actual.decision, &actual.reason)
        ));
        if !expect.reason_exact {
            return failures;
        }
    }
    let diff = reason_diff(expect, actual);
    let with = |mark| -> Vec<&str> {
        diff.iter()
            .filter(|line| line.mark == mark)
            .map(|line| line.policy.as_str())
            .collect()
    };
    let missing = with(ReasonMark::Missing);
    if !missing.is_empty() {
        failures.push(format!("missing reason(s): {}", ticks(&missing)));
    }
    let unexpected = with(ReasonMark::Unexpected);
    if expect.reason_exact && !unexpected.is_empty() {
        failures.push(format!("unexpected reason(s): {}", ticks(&unexpected)));
    }
    match &expect.errors {
        ExpectedErrors::Count(count) => {
            if *count != actual.errors.len() {
                failures.push(format!(
                    "expected {count} error(s), got {}",
                    actual.errors.len()
                ));
            }
        }
        ExpectedErrors::Policies(policies) => {
            let expected: BTreeSet<&str> = policies.iter().map(String::as_str).collect();
            let erroring: BTreeSet<&str> =
                actual.errors.iter().map(|e| e.policy.as_str()).collect();
            let missing: Vec<&str> = expected.difference(&erroring).copied().collect();
            let unexpected: Vec<&str> = erroring.difference(&expected).copied().collect();
            if !missing.is_empty() {
                failures.push(format!(
                    "expected error(s) from {}, which raised none",
                    ticks(&missing)
                ));
            }
            if !unexpected.is_empty() {
                failures.push(format!("unexpected error(s) from {}", ticks(&unexpected)));
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(
        decision: Decision,
        reason: &[&str],
        exact: bool,
        errors: ExpectedErrors,
    ) -> Expectation {
        Expectation {
            decision: decision.into(),
            reason: reason.iter().map(|s| s.to_string()).collect(),
            reason_exact: exact,
            errors,
        }
    }

    fn actual(decision: Decision, reason: &[&str], erroring: &[&str]) -> Actual {
        Actual {
            decision,
            reason: reason.iter().map(|s| s.to_string()).collect(),
            errors: erroring
                .iter()
                .map(|p| PolicyError {
                    policy: p.to_string(),
                    message: "boom".into(),
                })
                .collect(),
            determining: vec![],
        }
    }

    #[test]
    fn run_tests_reasons_are_a_subset_and_errors_a_count() {
        let e = expect(Decision::Allow, &["a"], false, ExpectedErrors::Count(0));
        assert!(compare(&e, &actual(Decision::Allow, &["a", "b"], &[])).is_empty());
        assert_eq!(
            compare(&e, &actual(Decision::Allow, &["b"], &[])),
            ["missing reason(s): `a`"]
        );
        assert_eq!(
            compare(&e, &actual(Decision::Deny, &[], &[])),
            ["expected allow, got deny"]
        );
        assert_eq!(
            compare(&e, &actual(Decision::Allow, &["a"], &["x"])),
            ["expected 0 error(s), got 1"]
        );
    }

    #[test]
    fn integration_reasons_and_errors_are_exact_sets() {
        let e = expect(
            Decision::Deny,
            &["f"],
            true,
            ExpectedErrors::Policies(vec!["p".into()]),
        );
        assert!(compare(&e, &actual(Decision::Deny, &["f"], &["p"])).is_empty());
        assert_eq!(
            compare(&e, &actual(Decision::Deny, &["f", "g"], &[])),
            [
                "unexpected reason(s): `g`",
                "expected error(s) from `p`, which raised none"
            ]
        );
        let diff = reason_diff(&e, &actual(Decision::Deny, &["g"], &[]));
        assert_eq!(
            diff,
            [
                ReasonLine {
                    policy: "f".into(),
                    mark: ReasonMark::Missing
                },
                ReasonLine {
                    policy: "g".into(),
                    mark: ReasonMark::Unexpected
                },
            ]
        );
    }

    #[test]
    fn entities_errors_are_located_at_the_entity() {
        let schema = Schema::from_cedarschema_str("entity User;").unwrap().0;
        let text = "[\n  {\"uid\": {\"type\": \"Usr\", \"id\": \"alice\"}, \"attrs\": {}, \"parents\": []}\n]";
        let error = parse_entities_file("e.json", text, Some(&schema)).unwrap_err();
        assert_eq!(error.line, 2, "{error}");
        assert!(error.message.contains("Usr"), "{error}");
        let error = parse_entities_file("e.json", "[\n{]", None).unwrap_err();
        assert_eq!((error.line, error.column), (2, 2), "{error}");
    }

    #[test]
    fn request_errors_say_which_part_is_wrong() {
        let spec = |principal: EntityRef| CaseSpec {
            request: crate::test_file::RequestSpec {
                principal,
                action: EntityRef::Text("Action::\"read\"".into()),
                resource: EntityRef::Text("Doc::\"d\"".into()),
                context: serde_json::json!({}),
            },
            entities: crate::test_file::EntitiesChoice::None,
            expect: expect(Decision::Allow, &[], false, ExpectedErrors::Count(0)),
            validate_request: true,
            inline_entities: Vec::new(),
        };
        let error = build_request(&spec(EntityRef::Missing), None).unwrap_err();
        assert!(
            matches!(error, RequestError::Missing { what: "principal" }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "the request has no principal (Cedar 4 has no unspecified entities)"
        );
        let error = build_request(&spec(EntityRef::Text("User::alice".into())), None).unwrap_err();
        let RequestError::Uid { what, written, .. } = &error else {
            panic!("not a uid error: {error}");
        };
        assert_eq!((*what, written.as_str()), ("principal", "User::alice"));
        assert!(
            error
                .to_string()
                .starts_with("failed to parse principal `User::alice`: "),
            "{error}"
        );
    }
}
