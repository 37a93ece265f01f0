//! A [`Record`] made into what Cedar's authorizer takes, validated against the schema.

use cedar_policy::{Context, Entities, Request, Schema};

use crate::uid::first_line;
use crate::{LineError, Problem, Record};

/// A request ready to be decided. `entities` is `None` when the snapshot is to be used.
pub struct Prepared {
    pub request: Request,
    pub entities: Option<Entities>,
}

/// The request and entities of `record`, checked against `schema` when there is one: the
/// action must still exist, the principal and resource types must be ones it applies to, the
/// context and the entities must have the declared types. `has_snapshot` says whether a
/// snapshot of the entity store stands in for a record without entities; without either the
/// decision is not replayable.
pub fn prepare(
    record: &Record,
    schema: Option<&Schema>,
    has_snapshot: bool,
) -> Result<Prepared, LineError> {
    let schema_error = |what: &str, e: &dyn std::error::Error| {
        LineError::new(Problem::Schema, format!("{what}: {}", chain(e)))
    };
    if let Some(schema) = schema {
        if !schema.actions().any(|a| a == &record.action) {
            return Err(LineError::new(
                Problem::Schema,
                format!("action `{}` is not in the schema", record.action),
            ));
        }
    }
    let entities = match &record.entities {
        Some(json) => Some(
            Entities::from_json_value(json.clone(), schema)
                .map_err(|e| schema_error("the entities do not validate", &e))?,
        ),
        None if has_snapshot => None,
        None => {
            return Err(LineError::new(
                Problem::NotReplayable,
                "the line has no entities and no --entities snapshot was given",
            ))
        }
    };
    let context =
        Context::from_json_value(record.context.clone(), schema.zip(Some(&record.action)))
            .map_err(|e| schema_error("the context does not validate", &e))?;
    let request = Request::new(
        record.principal.clone(),
        record.action.clone(),
        record.resource.clone(),
        context,
        schema,
    )
    .map_err(|e| match e {
        cedar_policy::RequestValidationError::InvalidContext(_) => LineError::new(
            Problem::Schema,
            format!(
                "the context does not have the type the schema gives `{}`'s context",
                record.action
            ),
        ),
        e => schema_error("the request does not validate", &e),
    })?;
    Ok(Prepared { request, entities })
}

/// An error and its causes, on one line: Cedar puts the detail of an entity that does not
/// conform to the schema in the cause.
fn chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![first_line(&error.to_string()).to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = first_line(&cause.to_string()).to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::parse_line;

    const SCHEMA: &str = r#"namespace Ops {
  entity Agent;
  entity Host { environment: String };
  action ViewHostStatus appliesTo { principal: [Agent], resource: [Host], context: { mfa: Bool } };
}"#;

    fn schema() -> Schema {
        SCHEMA.parse().unwrap()
    }

    fn line(rest: &str) -> Record {
        parse_line(&format!(
            r#"{{"principal":"Ops::Agent::\"a\"","resource":"Ops::Host::\"h\"",{rest}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_valid_line_prepares() {
        let record = line(
            r#""action":"Ops::Action::\"ViewHostStatus\"","context":{"mfa":true},"entities":[{"uid":{"type":"Ops::Host","id":"h"},"attrs":{"environment":"prod"},"parents":[]}]"#,
        );
        let prepared = prepare(&record, Some(&schema()), false).unwrap();
        assert!(prepared.entities.is_some());
    }

    #[test]
    fn schema_problems_are_named() {
        let removed = line(r#""action":"Ops::Action::\"RebootHost\"","context":{},"entities":[]"#);
        let error = prepare(&removed, Some(&schema()), false).err().unwrap();
        assert_eq!(error.problem, Problem::Schema);
        assert_eq!(
            error.message,
            "action `Ops::Action::\"RebootHost\"` is not in the schema"
        );
        let wrong = line(
            r#""action":"Ops::Action::\"ViewHostStatus\"","context":{"mfa":"yes"},"entities":[]"#,
        );
        let error = prepare(&wrong, Some(&schema()), false).err().unwrap();
        assert_eq!(error.problem, Problem::Schema);
        assert_eq!(
            error.message,
            "the context does not have the type the schema gives `Ops::Action::\"ViewHostStatus\"`'s context"
        );
    }

    #[test]
    fn without_entities_or_snapshot_a_line_is_not_replayable() {
        let record = line(r#""action":"Ops::Action::\"ViewHostStatus\"","context":{"mfa":true}"#);
        let error = prepare(&record, Some(&schema()), false).err().unwrap();
        assert_eq!(error.problem, Problem::NotReplayable);
        assert!(prepare(&record, Some(&schema()), true).is_ok());
    }
}
