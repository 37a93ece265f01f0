//! The native file: `{entities, tests: [...]}` with shared entities and lenient entries.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::{
    entities_source, entity_ref, name_of, offset_in, CaseSpec, EntitiesChoice, EntityRef,
    Expectation, ExpectedDecision, ExpectedErrors, Parsed, RequestSpec, Shape, TestCase, TestFile,
};
use crate::located::Located;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeFile<'a> {
    #[serde(default, borrow)]
    entities: Option<&'a RawValue>,
    #[serde(default)]
    validate_request: Option<bool>,
    #[serde(default)]
    #[expect(dead_code, reason = "a free-text description, accepted and not used")]
    description: Option<String>,
    #[serde(borrow)]
    tests: Vec<&'a RawValue>,
}

/// A `run-tests` entry with defaults: `reason` `[]`, `num_errors` 0, `context` `{}`, the
/// file's entities; entity uids as `Type::"id"` or `{"type", "id"}`. Typos are errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeEntry<'a> {
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "read by `name_of` even when the rest is malformed"
    )]
    name: Option<String>,
    request: NativeRequest,
    #[serde(default, borrow)]
    entities: Option<&'a RawValue>,
    decision: ExpectedDecision,
    #[serde(default)]
    reason: Vec<String>,
    #[serde(default)]
    num_errors: usize,
    #[serde(default)]
    validate_request: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeRequest {
    principal: Value,
    action: Value,
    resource: Value,
    #[serde(default = "empty_context")]
    context: Value,
}

fn empty_context() -> Value {
    Value::Object(serde_json::Map::new())
}

/// A request's principal or resource: a uid, or an entity written in place —
/// `{"type": …, "id": …, "attrs": {…}, "parents": […]}` (parents as `Type::"id"` or uid
/// objects) — whose uid is the request's and whose entity joins the test's entities.
fn inline_entity(value: Value, entities: &mut Vec<Value>) -> EntityRef {
    let Value::Object(mut fields) = value else {
        return entity_ref(value);
    };
    if !fields.contains_key("attrs") && !fields.contains_key("parents") {
        return entity_ref(Value::Object(fields));
    }
    let attrs = fields
        .remove("attrs")
        .unwrap_or_else(|| Value::Object(Default::default()));
    let parents = match fields.remove("parents") {
        Some(Value::Array(parents)) => Value::Array(parents.into_iter().map(uid_json).collect()),
        Some(other) => other,
        None => Value::Array(Vec::new()),
    };
    let uid = Value::Object(fields);
    entities.push(serde_json::json!({"uid": uid, "attrs": attrs, "parents": parents}));
    entity_ref(uid)
}

/// `Type::"id"` as Cedar's entity JSON writes a uid; anything else as written.
fn uid_json(value: Value) -> Value {
    match &value {
        Value::String(text) => match text.parse::<cedar_policy::EntityUid>() {
            Ok(uid) => serde_json::json!({
                "type": uid.type_name().to_string(),
                "id": uid.id().unescaped(),
            }),
            Err(_) => value,
        },
        _ => value,
    }
}

pub(super) fn parse(file: &str, text: &str, base: usize) -> Parsed {
    let native: NativeFile = match serde_json::from_str(&text[base..]) {
        Ok(native) => native,
        Err(error) => {
            return Parsed::Error(Located::json(file, text, base, &error, "invalid test file"))
        }
    };
    let file_validates = native.validate_request.unwrap_or(true);
    let shared_entities = native.entities.map(entities_source);
    let tests = native
        .tests
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let offset = offset_in(text, raw);
            let spec = serde_json::from_str::<NativeEntry>(raw.get())
                .map_err(|e| Located::json(file, text, offset, &e, "invalid test"))
                .map(|mut entry| {
                    let mut inline_entities = Vec::new();
                    let principal =
                        inline_entity(entry.request.principal.take(), &mut inline_entities);
                    let resource =
                        inline_entity(entry.request.resource.take(), &mut inline_entities);
                    (entry, principal, resource, inline_entities)
                })
                .map(|(entry, principal, resource, inline_entities)| CaseSpec {
                    request: RequestSpec {
                        principal,
                        action: entity_ref(entry.request.action),
                        resource,
                        context: entry.request.context,
                    },
                    inline_entities,
                    entities: match (entry.entities, &shared_entities) {
                        (Some(own), _) => EntitiesChoice::Own(entities_source(own)),
                        (None, Some(_)) => EntitiesChoice::Shared,
                        (None, None) => EntitiesChoice::None,
                    },
                    expect: Expectation {
                        decision: entry.decision,
                        reason: entry.reason,
                        reason_exact: false,
                        errors: ExpectedErrors::Count(entry.num_errors),
                    },
                    validate_request: entry.validate_request.unwrap_or(file_validates),
                });
            TestCase {
                name: name_of(raw, "name", index),
                offset,
                spec,
            }
        })
        .collect();
    Parsed::Tests(TestFile {
        shape: Shape::Native,
        tests,
        shared_entities,
        integration: None,
    })
}
