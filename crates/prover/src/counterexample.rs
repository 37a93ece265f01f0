//! Counterexamples: the solver's model as a Cedar CLI `run-tests` request, and its replay
//! through cedar-policy's own Authorizer before anything is reported (SymCC has produced
//! spurious counterexamples before; a claim the Authorizer does not confirm is "unknown").

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Schema,
};
use cedar_policy_symcc::Env;
use serde_json::{json, Value};

/// The request and entities of a counterexample, as `run-tests` JSON:
/// `{"request": {"principal", "action", "resource", "context"}, "entities": [...]}`.
pub fn to_json(env: &Env) -> Result<Value, String> {
    let uid = |uid: Option<&EntityUid>| {
        uid.map(ToString::to_string)
            .ok_or_else(|| "the counterexample has an unknown request variable".to_string())
    };
    let context = match env.request.context() {
        Some(context) => context.to_json_value().map_err(|e| e.to_string())?,
        None => json!({}),
    };
    let entities = env.entities.to_json_value().map_err(|e| e.to_string())?;
    Ok(json!({
        "request": {
            "principal": uid(env.request.principal())?,
            "action": uid(env.request.action())?,
            "resource": uid(env.request.resource())?,
            "context": context,
        },
        "entities": entities,
    }))
}

/// A counterexample parsed back through the public API, validated against the schema.
pub struct Replay {
    pub request: Request,
    pub entities: Entities,
}

impl Replay {
    pub fn parse(cex: &Value, schema: &Schema) -> Result<Self, String> {
        let field = |name: &str| -> Result<EntityUid, String> {
            let text = cex["request"][name]
                .as_str()
                .ok_or_else(|| format!("counterexample has no {name}"))?;
            EntityUid::from_str(text).map_err(|e| e.to_string())
        };
        let (principal, action, resource) =
            (field("principal")?, field("action")?, field("resource")?);
        let context =
            Context::from_json_value(cex["request"]["context"].clone(), Some((schema, &action)))
                .map_err(|e| e.to_string())?;
        let request = Request::new(principal, action, resource, context, Some(schema))
            .map_err(|e| e.to_string())?;
        let entities = Entities::from_json_value(cex["entities"].clone(), Some(schema))
            .map_err(|e| e.to_string())?;
        Ok(Self { request, entities })
    }

    /// The decision of `set` on this request, with the ids of the deciding policies and the
    /// ids of the policies that errored.
    pub fn decide(&self, set: &PolicySet) -> (Decision, Vec<String>, Vec<String>) {
        let response = Authorizer::new().is_authorized(&self.request, set, &self.entities);
        let mut reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        reasons.sort();
        let mut errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(
                |cedar_policy::AuthorizationError::PolicyEvaluationError(e)| {
                    e.policy_id().to_string()
                },
            )
            .collect();
        errors.sort();
        (response.decision(), reasons, errors)
    }
}

/// A `run-tests` entry that records what the policy set decides today, ready to paste into a
/// test file (and to edit into the decision the author wants). Action entities are left out —
/// the schema declares them — and the rest are sorted by uid.
pub fn test_case(
    name: &str,
    cex: &Value,
    schema: &Schema,
    outcome: (Decision, &[String], usize),
) -> Value {
    let (decision, reasons, errors) = outcome;
    let actions: Vec<Value> = schema
        .actions()
        .map(|a| json!({"type": a.type_name().to_string(), "id": a.id().unescaped()}))
        .collect();
    let mut entities: Vec<Value> = cex["entities"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|e| !actions.contains(&e["uid"]))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    entities.sort_by_key(|e| e["uid"].to_string());
    json!({
        "name": name,
        "request": cex["request"],
        "entities": entities,
        "decision": match decision {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        },
        "reason": reasons,
        "num_errors": errors,
    })
}
