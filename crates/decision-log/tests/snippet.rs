//! The ten lines docs/decision-logs.md gives an application that calls `is_authorized`: they
//! write a line that this crate reads back as the same decision.

use std::io::Write;

use cedar_policy::{
    AuthorizationError, Authorizer, Context, Decision, Entities, PolicyId, PolicySet, Request,
    Schema,
};
use cedarcheck_decision_log::{native, prepare};

const SCHEMA: &str = r#"namespace Ops {
  entity Agent;
  entity Host { environment: String };
  action ViewHostStatus appliesTo { principal: [Agent], resource: [Host], context: { mfa: Bool } };
}"#;

const POLICIES: &str = r#"@id("agent-views-staging")
permit (principal is Ops::Agent, action == Ops::Action::"ViewHostStatus", resource is Ops::Host)
when { resource.environment == "staging" };"#;

#[test]
fn the_documented_snippet_writes_a_line_that_replays() -> Result<(), Box<dyn std::error::Error>> {
    let schema: Schema = SCHEMA.parse()?;
    // Ids from `@id` annotations, as the Cedar CLI and cedarcheck give them.
    let parsed: PolicySet = POLICIES.parse()?;
    let policies = PolicySet::from_policies(parsed.policies().map(|p| {
        let id = p.annotation("id").unwrap_or(p.id().as_ref()).to_string();
        p.new_id(PolicyId::new(id))
    }))?;
    let entities = Entities::from_json_str(
        r#"[{"uid": {"type": "Ops::Host", "id": "stage-01"}, "attrs": {"environment": "staging"}, "parents": []},
            {"uid": {"type": "Ops::Agent", "id": "openclaw"}, "attrs": {}, "parents": []}]"#,
        Some(&schema),
    )?;
    let context = serde_json::json!({"mfa": false});
    let action = r#"Ops::Action::"ViewHostStatus""#.parse()?;
    let request = Request::new(
        r#"Ops::Agent::"openclaw""#.parse()?,
        action,
        r#"Ops::Host::"stage-01""#.parse()?,
        Context::from_json_value(context.clone(), None)?,
        Some(&schema),
    )?;
    let now = "2026-11-23T08:00:00Z";
    let mut log = Vec::new();

    // docs/decision-logs.md, "Logging a decision from Rust":
    let response = Authorizer::new().is_authorized(&request, &policies, &entities);
    let diagnostics = response.diagnostics();
    let line = serde_json::json!({
        "time": now, "context": context, "entities": entities.to_json_value()?,
        "principal": request.principal().map(ToString::to_string),
        "action": request.action().map(ToString::to_string),
        "resource": request.resource().map(ToString::to_string),
        "decision": if response.decision() == Decision::Allow { "allow" } else { "deny" },
        "reason": diagnostics.reason().map(ToString::to_string).collect::<Vec<_>>(),
        "errors": diagnostics.errors().map(|AuthorizationError::PolicyEvaluationError(e)| e.policy_id().to_string()).collect::<Vec<_>>(),
    });
    writeln!(log, "{line}")?;

    let text = String::from_utf8(log)?;
    let record = native::parse_line(text.trim_end())?;
    assert_eq!(
        record.decision,
        Some(cedarcheck_decision_log::Decision::Allow)
    );
    assert_eq!(record.reason, Some(vec!["agent-views-staging".to_string()]));
    assert_eq!(record.errors, Some(vec![]));
    let prepared = prepare(&record, Some(&schema), false)?;
    let replayed = Authorizer::new().is_authorized(
        &prepared.request,
        &policies,
        prepared.entities.as_ref().unwrap(),
    );
    assert_eq!(replayed.decision(), Decision::Allow);
    Ok(())
}
