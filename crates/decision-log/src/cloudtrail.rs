//! Amazon Verified Permissions decisions recorded by CloudTrail as data events: a log file is
//! `{"Records": [...]}`; the records of `verifiedpermissions.amazonaws.com` named
//! `IsAuthorized` or `BatchIsAuthorized` are decisions. `requestParameters` has the request as
//! the API takes it (`principal` `{entityType, entityId}`, `action` `{actionType, actionId}`,
//! `resource`, `context.contextMap`, `entities.entityList`), `responseElements` what was
//! decided (`decision` ALLOW/DENY, `determiningPolicies`, `errors`). A field CloudTrail hides
//! (`HIDDEN_DUE_TO_SECURITY_REASONS`) or omits makes the decision not replayable, never guessed.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::native::kind;
use crate::uid::uid;
use crate::{Decision, LineError, Problem, Record};

const SOURCE: &str = "verifiedpermissions.amazonaws.com";

/// One decision of a CloudTrail file: the byte offset of its record in the file, and the
/// decision or why it cannot be replayed.
#[derive(Debug)]
pub struct Entry {
    pub offset: usize,
    pub record: Result<Record, LineError>,
}

/// The decisions of a CloudTrail log file, in order (a `BatchIsAuthorized` record gives one per
/// request); records of other events are not decisions and give none. `Err` when the file
/// itself is not a CloudTrail log: the offset of the problem and why.
pub fn parse_file(text: &str) -> Result<Vec<Entry>, (usize, LineError)> {
    #[derive(serde::Deserialize)]
    struct File<'a> {
        #[serde(rename = "Records", borrow)]
        records: Vec<&'a RawValue>,
    }
    let file: File<'_> = serde_json::from_str(text).map_err(|e| {
        let offset = offset_of(text, e.line(), e.column());
        (offset, LineError::json(&e))
    })?;
    let mut entries = Vec::new();
    for raw in file.records {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
        for record in map_record(&value) {
            entries.push(Entry { offset, record });
        }
    }
    Ok(entries)
}

/// The byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn hidden(value: &Value) -> bool {
    matches!(value, Value::String(s) if s.starts_with("HIDDEN"))
}

/// The decisions of one record: none for another service's event.
fn map_record(record: &Value) -> Vec<Result<Record, LineError>> {
    if record.get("eventSource").and_then(Value::as_str) != Some(SOURCE) {
        return Vec::new();
    }
    let name = record
        .get("eventName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let time = record
        .get("eventTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    let not_replayable = |why: String| vec![Err(LineError::new(Problem::NotReplayable, why))];
    let request = record.get("requestParameters").unwrap_or(&Value::Null);
    let response = record.get("responseElements").unwrap_or(&Value::Null);
    match name {
        "IsAuthorized" => {
            if request.is_null() || hidden(request) {
                return not_replayable("CloudTrail recorded no requestParameters".into());
            }
            vec![map_request(
                request,
                request.get("entities"),
                response,
                time,
            )]
        }
        "BatchIsAuthorized" => {
            if request.is_null() || hidden(request) {
                return not_replayable("CloudTrail recorded no requestParameters".into());
            }
            let Some(requests) = request.get("requests").and_then(Value::as_array) else {
                return vec![Err(LineError::unmapped(
                    "`requestParameters.requests` must be an array",
                ))];
            };
            let results = response.get("results").and_then(Value::as_array);
            requests
                .iter()
                .enumerate()
                .map(|(i, one)| {
                    let result = results.and_then(|r| r.get(i)).unwrap_or(&Value::Null);
                    map_request(one, request.get("entities"), result, time.clone())
                })
                .collect()
        }
        "IsAuthorizedWithToken" | "BatchIsAuthorizedWithToken" => not_replayable(format!(
            "{name}: the principal is in an identity token CloudTrail does not record"
        )),
        // Management events (CreatePolicy, …) are not decisions.
        _ => Vec::new(),
    }
}

fn map_request(
    request: &Value,
    entities: Option<&Value>,
    response: &Value,
    time: Option<String>,
) -> Result<Record, LineError> {
    let principal = uid(
        "principal",
        entity_identifier(request, "principal")?.as_ref(),
    )?;
    let action = uid("action", action_identifier(request)?.as_ref())?;
    let resource = uid("resource", entity_identifier(request, "resource")?.as_ref())?;
    let context = match request.get("context") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(c) if hidden(c) => {
            return Err(LineError::new(
                Problem::NotReplayable,
                "CloudTrail hides the request's `context`",
            ))
        }
        Some(c) => match c.get("contextMap") {
            Some(Value::Object(map)) => Value::Object(record_of(map, "context")?),
            Some(m) if hidden(m) => {
                return Err(LineError::new(
                    Problem::NotReplayable,
                    "CloudTrail hides the request's `context`",
                ))
            }
            _ => return Err(LineError::unmapped(
                "`context` must be {\"contextMap\": {…}} (a `cedarJson` context is not supported)",
            )),
        },
    };
    let entities = match entities {
        None | Some(Value::Null) => None,
        Some(e) if hidden(e) => {
            return Err(LineError::new(
                Problem::NotReplayable,
                "CloudTrail hides the request's `entities`",
            ))
        }
        Some(e) => match e.get("entityList") {
            Some(Value::Array(list)) => Some(Value::Array(
                list.iter().map(entity).collect::<Result<_, _>>()?,
            )),
            Some(l) if hidden(l) => {
                return Err(LineError::new(
                    Problem::NotReplayable,
                    "CloudTrail hides the request's `entities`",
                ))
            }
            _ => return Err(LineError::unmapped(
                "`entities` must be {\"entityList\": [...]} (a `cedarJson` list is not supported)",
            )),
        },
    };
    let decision = match response.get("decision").and_then(Value::as_str) {
        Some("ALLOW") => Some(Decision::Allow),
        Some("DENY") => Some(Decision::Deny),
        _ => None,
    };
    let errors = response
        .get("errors")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| {
                    e.get("errorDescription")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        });
    Ok(Record {
        time,
        principal,
        action,
        resource,
        context,
        entities,
        decision,
        // Verified Permissions names policies by their store ids, not by the ids of the
        // policy files: the logged reasons are not comparable and are left out.
        reason: None,
        errors,
    })
}

/// `{entityType, entityId}` as a Cedar uid object.
fn identifier(value: &Value, field: &str) -> Result<Value, LineError> {
    match (
        value.get("entityType").and_then(Value::as_str),
        value.get("entityId").and_then(Value::as_str),
    ) {
        (Some(t), Some(id)) => Ok(serde_json::json!({"type": t, "id": id})),
        _ => Err(LineError::unmapped(format!(
            "`{field}` must be {{\"entityType\": …, \"entityId\": …}}"
        ))),
    }
}

fn entity_identifier(request: &Value, field: &str) -> Result<Option<Value>, LineError> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) if hidden(v) => Err(LineError::new(
            Problem::NotReplayable,
            format!("CloudTrail hides the request's `{field}`"),
        )),
        Some(v) => identifier(v, field).map(Some),
    }
}

fn action_identifier(request: &Value) -> Result<Option<Value>, LineError> {
    match request.get("action") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match (
            v.get("actionType").and_then(Value::as_str),
            v.get("actionId").and_then(Value::as_str),
        ) {
            (Some(t), Some(id)) => Ok(Some(serde_json::json!({"type": t, "id": id}))),
            _ => Err(LineError::unmapped(
                "`action` must be {\"actionType\": …, \"actionId\": …}",
            )),
        },
    }
}

/// An `entityList` item as a Cedar entity.
fn entity(item: &Value) -> Result<Value, LineError> {
    let uid = identifier(
        item.get("identifier").unwrap_or(&Value::Null),
        "entities[].identifier",
    )?;
    let attrs = match item.get("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => record_of(map, "attributes")?,
        Some(other) => {
            return Err(LineError::unmapped(format!(
                "`attributes` must be an object, not {}",
                kind(other)
            )))
        }
    };
    let parents = match item.get("parents") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|p| identifier(p, "entities[].parents[]"))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(LineError::unmapped("`parents` must be an array")),
    };
    Ok(serde_json::json!({"uid": uid, "attrs": attrs, "parents": parents}))
}

fn record_of(map: &Map<String, Value>, field: &str) -> Result<Map<String, Value>, LineError> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), attribute(v, field)?)))
        .collect()
}

/// A Verified Permissions `AttributeValue` (`{"string": …}`, `{"long": …}`, `{"record": …}`,
/// …) as Cedar JSON.
fn attribute(value: &Value, field: &str) -> Result<Value, LineError> {
    let wrong = || {
        LineError::unmapped(format!(
            "`{field}`: {value} is not an attribute value such as {{\"string\": \"…\"}}"
        ))
    };
    let Value::Object(map) = value else {
        return Err(wrong());
    };
    let Some((tag, inner)) = map.iter().next().filter(|_| map.len() == 1) else {
        return Err(wrong());
    };
    let extension = |name: &str| match inner {
        Value::String(arg) => Ok(serde_json::json!({"__extn": {"fn": name, "arg": arg}})),
        _ => Err(wrong()),
    };
    match tag.as_str() {
        "boolean" | "long" | "string" => Ok(inner.clone()),
        "entityIdentifier" => Ok(serde_json::json!({"__entity": identifier(inner, field)?})),
        "set" => match inner {
            Value::Array(items) => items
                .iter()
                .map(|v| attribute(v, field))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            _ => Err(wrong()),
        },
        "record" => match inner {
            Value::Object(map) => record_of(map, field).map(Value::Object),
            _ => Err(wrong()),
        },
        "ipaddr" => extension("ip"),
        "decimal" => extension("decimal"),
        "datetime" => extension("datetime"),
        "duration" => extension("duration"),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_is_authorized_record_maps() {
        let text = r#"{"Records": [
  {"eventSource": "verifiedpermissions.amazonaws.com", "eventName": "IsAuthorized",
   "eventTime": "2026-11-23T08:00:00Z",
   "requestParameters": {"policyStoreId": "ps-1",
     "principal": {"entityType": "Ops::Agent", "entityId": "openclaw"},
     "action": {"actionType": "Ops::Action", "actionId": "ReadLogs"},
     "resource": {"entityType": "Ops::LogDirectory", "entityId": "web-1"},
     "context": {"contextMap": {"mfa": {"boolean": false}, "source_ip": {"ipaddr": "10.0.0.1"},
        "jit": {"record": {"grant_id": {"string": "g"}}}}},
     "entities": {"entityList": [{"identifier": {"entityType": "Ops::Team", "entityId": "sre"},
        "attributes": {"name": {"string": "sre"}}, "parents": []}]}},
   "responseElements": {"decision": "ALLOW", "determiningPolicies": [{"policyId": "x"}], "errors": []}},
  {"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}
]}"#;
        let entries = parse_file(text).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            &text[entries[0].offset..entries[0].offset + 15],
            "{\"eventSource\":"
        );
        let record = entries[0].record.as_ref().unwrap();
        assert_eq!(record.principal.to_string(), r#"Ops::Agent::"openclaw""#);
        assert_eq!(record.decision, Some(Decision::Allow));
        assert_eq!(record.reason, None);
        assert_eq!(
            record.context,
            serde_json::json!({"mfa": false, "source_ip": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}},
                "jit": {"grant_id": "g"}})
        );
        assert_eq!(
            record.entities,
            Some(
                serde_json::json!([{"uid": {"type": "Ops::Team", "id": "sre"},
                "attrs": {"name": "sre"}, "parents": []}])
            )
        );
    }

    #[test]
    fn hidden_fields_are_not_replayable() {
        let text = r#"{"Records": [{"eventSource": "verifiedpermissions.amazonaws.com", "eventName": "IsAuthorized",
   "requestParameters": {"principal": {"entityType": "A", "entityId": "a"},
     "action": {"actionType": "Action", "actionId": "x"},
     "resource": {"entityType": "R", "entityId": "r"}, "context": "HIDDEN_DUE_TO_SECURITY_REASONS"}}]}"#;
        let entries = parse_file(text).unwrap();
        let error = entries[0].record.as_ref().unwrap_err();
        assert_eq!(error.problem, Problem::NotReplayable);
        assert_eq!(error.message, "CloudTrail hides the request's `context`");
    }

    #[test]
    fn a_broken_file_says_where() {
        let (offset, error) = parse_file("{\"Records\": [\n  {\"a\": }\n]}").unwrap_err();
        assert_eq!(offset, 22);
        assert_eq!(error.message, "invalid JSON: expected value");
    }
}
