//! Entity uids in the forms test files accept: `Type::"id"`, `{"type": …, "id": …}` or
//! `{"__entity": {…}}`.

use cedar_policy::EntityUid;
use serde_json::Value;

use crate::LineError;

/// The uid in field `field` of a decision.
pub(crate) fn uid(field: &str, value: Option<&Value>) -> Result<EntityUid, LineError> {
    match value {
        None | Some(Value::Null) => Err(LineError::unmapped(format!("`{field}` is missing"))),
        Some(Value::String(text)) => text.parse().map_err(|e: cedar_policy::ParseErrors| {
            LineError::unmapped(format!(
                "`{field}`: `{text}` is not an entity uid ({})",
                first_line(&e.to_string())
            ))
        }),
        Some(value @ Value::Object(_)) => EntityUid::from_json(value.clone()).map_err(|e| {
            LineError::unmapped(format!(
                "`{field}`: {value} is not an entity uid ({})",
                first_line(&e.to_string())
            ))
        }),
        Some(other) => Err(LineError::unmapped(format!(
            "`{field}` must be an entity uid such as `Type::\"id\"`, not {other}"
        ))),
    }
}

pub(crate) fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}
