//! `new-access` and `removed-access` are built by the prover next to the diff, so every consumer
//! (SARIF, GitHub, JUnit, an editor) reports the same findings: each stands at the policy that
//! decides its example on the new side, with its words, and its example replays through
//! cedar-policy's Authorizer as the change it claims.

mod common;

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Schema,
};
use cedarcheck_analyzer::{check, Level, LineIndex, PolicySetInput, Settings, SourceFile};
use cedarcheck_prover::diff::{diff, findings, DiffInput, NewSide};
use cedarcheck_prover::LoadedPolicies;
use common::*;
use serde_json::Value;

const SCHEMA: &str = r#"namespace Ops {
  entity Operator;
  entity Host;
  action RebootHost, ReadLogs appliesTo {
    principal: Operator,
    resource: Host,
    context: { mfa: Bool }
  };
}
"#;

const OLD: &str = r#"@id("sre-reboot")
permit (principal, action == Ops::Action::"RebootHost", resource) when { context.mfa };
@id("read-logs")
permit (principal, action == Ops::Action::"ReadLogs", resource);
"#;

const NEW: &str = r#"@id("sre-reboot")
permit (principal, action == Ops::Action::"RebootHost", resource);
@id("read-logs")
permit (principal, action == Ops::Action::"ReadLogs", resource);
@id("no-logs-without-mfa")
forbid (principal, action == Ops::Action::"ReadLogs", resource) unless { context.mfa };
"#;

fn input(name: &str, text: &str) -> PolicySetInput {
    PolicySetInput {
        policies: vec![SourceFile::from_bytes(name, text.as_bytes().to_vec())],
        schema: Some(SourceFile::from_bytes(
            "ops.cedarschema",
            SCHEMA.as_bytes().to_vec(),
        )),
        links: vec![],
    }
}

/// What `set` decides on a `run-tests` entry's request.
fn decide(case: &Value, schema: &Schema, set: &str) -> Decision {
    let uid = |k: &str| EntityUid::from_str(case["request"][k].as_str().unwrap()).unwrap();
    let action = uid("action");
    let context =
        Context::from_json_value(case["request"]["context"].clone(), Some((schema, &action)))
            .unwrap();
    let request = Request::new(
        uid("principal"),
        action,
        uid("resource"),
        context,
        Some(schema),
    )
    .unwrap();
    let entities = Entities::from_json_value(case["entities"].clone(), Some(schema)).unwrap();
    let set = PolicySet::from_str(set).unwrap();
    Authorizer::new()
        .is_authorized(&request, &set, &entities)
        .decision()
}

#[test]
fn changes_are_findings_at_the_deciding_policy_and_their_examples_replay() {
    let Some(cvc5) =
        cvc5_or_skip("changes_are_findings_at_the_deciding_policy_and_their_examples_replay")
    else {
        return;
    };
    let settings = Settings::default();
    let (old_input, new_input) = (input("old.cedar", OLD), input("new.cedar", NEW));
    let (old_report, new_report) = (check(&old_input, &settings), check(&new_input, &settings));
    assert!(old_report
        .findings
        .iter()
        .chain(&new_report.findings)
        .all(
            |f| f.rule != cedarcheck_analyzer::rules::schema_error::RULE.id
                && f.rule != cedarcheck_analyzer::rules::parse_error::RULE.id
        ));
    let (old_files, new_files) = (vec!["old.cedar".to_string()], vec!["new.cedar".to_string()]);
    let schema = Schema::from_str(SCHEMA).unwrap();
    let report = diff(
        &DiffInput {
            old: LoadedPolicies {
                loaded: &old_report.loaded,
                files: &old_files,
                skip: &old_report.invalid_policies,
            },
            new: LoadedPolicies {
                loaded: &new_report.loaded,
                files: &new_files,
                skip: &new_report.invalid_policies,
            },
            schema: &schema,
            old_schema: &schema,
        },
        &solver(cvc5, 10_000),
        2,
    );
    let locations: Vec<(String, cedarcheck_analyzer::Span)> = new_report
        .loaded
        .entries
        .iter()
        .map(|e| (new_files[e.file].clone(), e.id_span))
        .collect();
    let found = findings(
        &report,
        &NewSide {
            locations: &locations,
            schema_file: Some("ops.cedarschema"),
        },
    );
    let index = LineIndex::new(NEW);
    let shown: Vec<(String, Level, String, Option<String>)> = found
        .iter()
        .map(|f| {
            let at = index.position(NEW, f.span.start);
            (
                format!("{}:{}:{}: {}", f.file, at.line, at.column, f.rule),
                f.level,
                f.message.clone(),
                f.policy_id.clone(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{shown:#?}");

    // In the order of the schema's environments: ReadLogs first. The new forbid denies a request the base allowed.
    let (at, level, message, policy) = &shown[0];
    assert_eq!(at, "new.cedar:5:1: removed-access", "{shown:#?}");
    assert_eq!(*level, Level::Info);
    assert_eq!(policy.as_deref(), Some("no-logs-without-mfa"));
    assert!(
        message.starts_with("Ops::Operator may no longer ReadLogs on Ops::Host — e.g. ")
            && message.contains(r#"context {"mfa":false}"#)
            && message
                .ends_with(" (denied by `no-logs-without-mfa`; it was allowed by `read-logs`)"),
        "{message}"
    );
    let case = found[0].counterexample.as_ref().expect("an example");
    assert_eq!(decide(case, &schema, NEW), Decision::Deny);
    assert_eq!(decide(case, &schema, OLD), Decision::Allow);

    // The permit that lost its condition now allows a request the base denied.
    let (at, level, message, policy) = &shown[1];
    assert_eq!(at, "new.cedar:1:1: new-access", "{shown:#?}");
    assert_eq!(*level, Level::Error);
    assert_eq!(policy.as_deref(), Some("sre-reboot"));
    assert!(
        message.starts_with("Ops::Operator may now RebootHost on Ops::Host — e.g. ")
            && message.contains(r#"context {"mfa":false}"#)
            && message.ends_with(" (allowed by `sre-reboot`)"),
        "{message}"
    );
    let case = found[1].counterexample.as_ref().expect("an example");
    assert_eq!(decide(case, &schema, NEW), Decision::Allow);
    assert_eq!(decide(case, &schema, OLD), Decision::Deny);
}
