//! `unreachable-action`: one finding per action the set denies for every request, at its
//! declaration in the schema; none for an action denied by design; "unknown" — never clean —
//! when the solver cannot decide; and the config entries checked against the schema.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::str::FromStr;

use cedarcheck_analyzer::{check, LineIndex, PolicySetInput, Settings, SourceFile};
use cedarcheck_prover::{prove_set, schema_action, CheckedSet, DeepOptions, SolverCommand};
use common::*;

/// (file:line:col, level, message) of every `unreachable-action` finding of `policies` under
/// `schema`.
fn unreachable(
    schema: &SourceFile,
    policies: &str,
    settings: &Settings,
    solver: SolverCommand,
) -> Vec<(String, String, String)> {
    let input = PolicySetInput {
        policies: vec![SourceFile::new("policies.cedar", policies)],
        schema: Some(schema.clone()),
        links: vec![],
    };
    let report = check(&input, settings);
    let proof = prove_set(
        CheckedSet {
            input: &input,
            report: &report,
            invariants: vec![],
            settings,
        },
        DeepOptions {
            solver,
            jobs: 2,
            cache: Default::default(),
            progress: None,
            cancel: None,
        },
    )
    .expect("the schema loads");
    let index = LineIndex::new(&schema.text);
    proof
        .deep
        .findings
        .iter()
        .filter(|f| f.rule == "unreachable-action")
        .map(|f| {
            assert_eq!(f.file, schema.path, "{f:?}");
            let at = index.position(&schema.text, f.span.start);
            (
                format!("{}:{}:{}", f.file, at.line, at.column),
                f.level.to_string(),
                f.message.clone(),
            )
        })
        .collect()
}

fn fixture_schema() -> SourceFile {
    source(
        &fixtures().join("unreachable-action/schema.cedarschema"),
        "schema.cedarschema",
    )
}

fn bad() -> String {
    std::fs::read_to_string(fixtures().join("unreachable-action/bad.cedar")).unwrap()
}

const EXPORT_ALL: &str = "no request can perform `Ops::Action::\"ExportAll\"`: no permit applies to it, in its one request environment (Ops::Operator, Ops::Action::\"ExportAll\", Ops::Host)";
const REBOOT_HOST: &str = "no request can perform `Ops::Action::\"RebootHost\"`: the permits that apply to it (`reboot-with-mfa`) never allow a request that no forbid denies, in all 2 of its request environments ((Ops::Agent, Ops::Action::\"RebootHost\", Ops::Host), (Ops::Operator, Ops::Action::\"RebootHost\", Ops::Host))";

#[test]
fn each_action_nobody_can_perform_is_reported_once_at_its_declaration() {
    let Some(cvc5) =
        cvc5_or_skip("each_action_nobody_can_perform_is_reported_once_at_its_declaration")
    else {
        return;
    };
    let found = unreachable(
        &fixture_schema(),
        &bad(),
        &Settings::default(),
        solver(cvc5, 10_000),
    );
    assert_eq!(
        found,
        [
            (
                "schema.cedarschema:10:10".to_string(),
                "info".to_string(),
                REBOOT_HOST.to_string()
            ),
            (
                "schema.cedarschema:11:10".to_string(),
                "info".to_string(),
                EXPORT_ALL.to_string()
            ),
        ]
    );
}

#[test]
fn the_rule_level_and_intentionally_denied_actions_come_from_the_settings() {
    let Some(cvc5) =
        cvc5_or_skip("the_rule_level_and_intentionally_denied_actions_come_from_the_settings")
    else {
        return;
    };
    let mut settings = Settings::default();
    settings.intentionally_denied = vec!["Ops::Action::\"RebootHost\"".into()];
    settings.set_level("unreachable-action", Some(cedarcheck_analyzer::Level::Warn));
    let found = unreachable(&fixture_schema(), &bad(), &settings, solver(cvc5, 10_000));
    assert_eq!(
        found,
        [(
            "schema.cedarschema:11:10".to_string(),
            "warn".to_string(),
            EXPORT_ALL.to_string()
        )]
    );
}

#[test]
fn an_action_without_permits_needs_no_solver_and_an_undecided_one_is_unknown() {
    // A solver that answers nothing useful: every question it gets is undecided.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake-cvc5");
    std::fs::write(&fake, "#!/bin/sh\necho garbage\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let found = unreachable(
        &fixture_schema(),
        &bad(),
        &Settings::default(),
        solver(fake, 2_000),
    );
    assert_eq!(found.len(), 2, "{found:#?}");
    // RebootHost: the Agent's environment has no permit (settled), the Operator's needs the
    // solver — undecided, so the action is reported as unknown, never as clean. (ReadLogs'
    // unconditional permit is settled by SymCC itself, which needs no solver for it.)
    let (at, level, message) = &found[0];
    assert_eq!(
        (at.as_str(), level.as_str()),
        ("schema.cedarschema:10:10", "info")
    );
    assert!(
        message.starts_with(
            "unknown: could not decide unreachable-action for `Ops::Action::\"RebootHost\"` in (Ops::Operator, Ops::Action::\"RebootHost\", Ops::Host): "
        ),
        "{message}"
    );
    // ExportAll has no permit, which settles it without the solver.
    assert_eq!(
        found[1],
        (
            "schema.cedarschema:11:10".to_string(),
            "info".to_string(),
            EXPORT_ALL.to_string()
        )
    );
}

#[test]
fn a_json_schema_finding_stands_on_the_actions_key() {
    let schema = SourceFile::new(
        "schema.cedarschema.json",
        r#"{
  "Ops": {
    "entityTypes": { "User": {}, "Doc": {} },
    "actions": {
      "read": { "appliesTo": { "principalTypes": ["User"], "resourceTypes": ["Doc"] } },
      "purge": { "appliesTo": { "principalTypes": ["User"], "resourceTypes": ["Doc"] } }
    }
  }
}"#,
    );
    let policies = r#"permit (principal, action == Ops::Action::"read", resource);"#;
    // No permit applies to `purge`: settled without the solver, whatever it is.
    let found = unreachable(
        &schema,
        policies,
        &Settings::default(),
        solver("/nonexistent/cvc5".into(), 1_000),
    );
    let purge: Vec<_> = found.iter().filter(|f| f.2.contains("purge")).collect();
    assert_eq!(
        purge,
        [&(
            "schema.cedarschema.json:6:7".to_string(),
            "info".to_string(),
            "no request can perform `Ops::Action::\"purge\"`: no permit applies to it, in its one request environment (Ops::User, Ops::Action::\"purge\", Ops::Doc)".to_string()
        )]
    );
}

#[test]
fn intentionally_denied_entries_must_name_an_action_of_the_schema() {
    let (schema, _) = cedar_policy::Schema::from_cedarschema_str(&fixture_schema().text).unwrap();
    assert_eq!(
        schema_action(&schema, " Ops::Action::\"ExportAll\" "),
        Ok("Ops::Action::\"ExportAll\"".to_string())
    );
    assert_eq!(
        schema_action(&schema, "Ops::Action::\"Export\"").map_err(|e| e.to_string()),
        Err("`Ops::Action::\"Export\"` in [analysis] intentionally-denied is not an action of the schema (its actions: Ops::Action::\"ExportAll\", Ops::Action::\"ReadLogs\", Ops::Action::\"RebootHost\", Ops::Action::\"read\")".to_string())
    );
    assert!(schema_action(&schema, "ExportAll")
        .unwrap_err()
        .to_string()
        .contains("is not an action uid like `Ops::Action::\"read\"`"));
    assert!(cedar_policy::EntityUid::from_str("Ops::Action::\"ExportAll\"").is_ok());
}
