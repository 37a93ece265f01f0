//! The native format: one JSON object a line with `time`, `principal`, `action`, `resource`,
//! `context`, `entities`, `decision`, `reason` and `errors` (docs/decision-logs.md).

use serde_json::{Map, Value};

use crate::uid::uid;
use crate::{Decision, LineError, Record};

/// The fields a line may have; anything else is a mistake worth naming.
const FIELDS: &[&str] = &[
    "time",
    "principal",
    "action",
    "resource",
    "context",
    "entities",
    "decision",
    "reason",
    "errors",
];

/// One line of a native log (without its line break).
pub fn parse_line(text: &str) -> Result<Record, LineError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LineError::json(&e))?;
    let Value::Object(object) = value else {
        return Err(LineError::unmapped(format!(
            "a decision is a JSON object, not {}",
            kind(&value)
        )));
    };
    map(object)
}

fn map(mut object: Map<String, Value>) -> Result<Record, LineError> {
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(LineError::unmapped(format!(
            "unknown field `{unknown}` (a decision has {})",
            FIELDS
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let time = match object.remove("time") {
        None | Some(Value::Null) => None,
        Some(Value::String(time)) if looks_like_rfc3339(&time) => Some(time),
        Some(other) => {
            return Err(LineError::unmapped(format!(
                "`time` must be an RFC 3339 timestamp such as \"2026-11-23T08:00:00Z\", not {other}"
            )))
        }
    };
    let principal = uid("principal", object.get("principal"))?;
    let action = uid("action", object.get("action"))?;
    let resource = uid("resource", object.get("resource"))?;
    let context = match object.remove("context") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(context @ Value::Object(_)) => context,
        Some(other) => {
            return Err(LineError::unmapped(format!(
                "`context` must be an object, not {}",
                kind(&other)
            )))
        }
    };
    let entities = match object.remove("entities") {
        None | Some(Value::Null) => None,
        Some(entities @ Value::Array(_)) => Some(entities),
        Some(other) => {
            return Err(LineError::unmapped(format!(
                "`entities` must be an array of entities, not {}",
                kind(&other)
            )))
        }
    };
    let decision = match object.remove("decision") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) if d.eq_ignore_ascii_case("allow") => Some(Decision::Allow),
        Some(Value::String(d)) if d.eq_ignore_ascii_case("deny") => Some(Decision::Deny),
        Some(other) => {
            return Err(LineError::unmapped(format!(
                "`decision` must be \"allow\" or \"deny\", not {other}"
            )))
        }
    };
    let reason = ids("reason", object.remove("reason"))?;
    let errors = ids("errors", object.remove("errors"))?;
    Ok(Record {
        time,
        principal,
        action,
        resource,
        context,
        entities,
        decision,
        reason,
        errors,
    })
}

/// A list of policy ids.
fn ids(field: &str, value: Option<Value>) -> Result<Option<Vec<String>>, LineError> {
    let wrong = || LineError::unmapped(format!("`{field}` must be an array of policy ids"));
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(id) => Ok(id),
                _ => Err(wrong()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(wrong()),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` then anything (fraction, `Z` or an offset): enough to refuse a
/// number or a date without a time; the order of times is that of their text.
fn looks_like_rfc3339(time: &str) -> bool {
    let b = time.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.clone().all(|i| b[i].is_ascii_digit());
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Problem;

    fn error(text: &str) -> LineError {
        parse_line(text).unwrap_err()
    }

    #[test]
    fn a_full_line_maps() {
        let record = parse_line(
            r#"{"time":"2026-11-23T08:00:00Z","principal":"Ops::Agent::\"openclaw\"","action":{"type":"Ops::Action","id":"ReadLogs"},"resource":"Ops::LogDirectory::\"web-1/nginx\"","context":{"mfa":false},"entities":[],"decision":"allow","reason":["agent-read-managed-logs"],"errors":[]}"#,
        )
        .unwrap();
        assert_eq!(record.time.as_deref(), Some("2026-11-23T08:00:00Z"));
        assert_eq!(record.principal.to_string(), r#"Ops::Agent::"openclaw""#);
        assert_eq!(record.action.to_string(), r#"Ops::Action::"ReadLogs""#);
        assert_eq!(record.decision, Some(Decision::Allow));
        assert_eq!(
            record.reason,
            Some(vec!["agent-read-managed-logs".to_string()])
        );
        assert_eq!(record.entities, Some(Value::Array(vec![])));
    }

    #[test]
    fn bad_lines_say_why() {
        let e = error("{\"principal\": ");
        assert_eq!((e.problem, e.column), (Problem::InvalidJson, Some(14)));
        assert_eq!(e.message, "invalid JSON: EOF while parsing a value");
        assert_eq!(
            error("[1]").message,
            "a decision is a JSON object, not an array"
        );
        assert_eq!(
            error(r#"{"action":"A::\"a\"","resource":"R::\"r\""}"#).message,
            "`principal` is missing"
        );
        assert_eq!(
            error(r#"{"principal":"openclaw","action":"A::\"a\"","resource":"R::\"r\""}"#).message,
            "`principal`: `openclaw` is not an entity uid (unexpected end of input)"
        );
        assert_eq!(
            error(r#"{"principal":"P::\"p\"","action":"A::\"a\"","resource":"R::\"r\"","decision":"maybe"}"#).message,
            "`decision` must be \"allow\" or \"deny\", not \"maybe\""
        );
        assert_eq!(
            error(r#"{"principal":"P::\"p\"","action":"A::\"a\"","resource":"R::\"r\"","time":"yesterday"}"#).message,
            "`time` must be an RFC 3339 timestamp such as \"2026-11-23T08:00:00Z\", not \"yesterday\""
        );
        assert_eq!(
            error(r#"{"principal":"P::\"p\"","action":"A::\"a\"","resource":"R::\"r\"","who":1}"#)
                .problem,
            Problem::Unmapped
        );
    }
}
