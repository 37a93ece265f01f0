//! A broad permit gets one finding, as loud as its risk: a state-changing action for anyone
//! or a guard the caller supplies warns; a role grant over every resource, or "anyone may
//! read", is information; the other sides of the same cause are the finding's related
//! information, each with its place.

use cedarcheck_analyzer::{check, LineIndex, PolicySetInput, Settings, SourceFile};

const SCHEMA: &str = r#"
entity Role;
entity User in [Role];
entity Doc { owner: User };
action ReadDoc, DeleteDoc appliesTo { principal: [User], resource: [Doc], context: { is_admin: Bool } };
"#;

/// A finding as (rule, level, line:col, message, [related as "line:col message"]).
type Seen = (String, String, String, String, Vec<String>);

fn findings(policies: &str) -> Vec<Seen> {
    let input = PolicySetInput {
        policies: vec![SourceFile::new("p.cedar", policies)],
        schema: Some(SourceFile::new("s.cedarschema", SCHEMA)),
        links: vec![],
    };
    let index = LineIndex::new(policies);
    let at = |offset: usize| {
        let p = index.position(policies, offset);
        format!("{}:{}", p.line, p.column)
    };
    check(&input, &Settings::default())
        .findings
        .into_iter()
        .map(|f| {
            (
                f.rule.to_string(),
                f.level.to_string(),
                at(f.span.start),
                f.message,
                f.related
                    .iter()
                    .map(|r| format!("{} {}", at(r.span.start), r.message))
                    .collect(),
            )
        })
        .collect()
}

fn one(rule: &str, level: &str, at: &str, message: &str, related: &[&str]) -> Vec<Seen> {
    vec![(
        rule.into(),
        level.into(),
        at.into(),
        message.into(),
        related.iter().map(|r| r.to_string()).collect(),
    )]
}

#[test]
fn a_role_grant_over_every_resource_is_information() {
    let policies = "@id(\"admins\")\npermit (principal in Role::\"admin\", action in [Action::\"ReadDoc\", Action::\"DeleteDoc\"], resource);\n";
    assert_eq!(
        findings(policies),
        one(
            "unscoped-resource",
            "info",
            "2:89",
            "permit `admins` applies to every resource",
            &[]
        )
    );
}

#[test]
fn anyone_may_read_is_one_finding_of_information() {
    let policies =
        "@id(\"public-read\")\npermit (principal, action == Action::\"ReadDoc\", resource);\n";
    assert_eq!(
        findings(policies),
        one(
            "unscoped-principal",
            "info",
            "2:9",
            "permit `public-read` applies to every principal",
            &["2:49 also unscoped-resource: permit `public-read` applies to every resource"],
        )
    );
}

#[test]
fn a_state_changing_action_for_anyone_on_anything_warns_once() {
    let policies =
        "@id(\"anyone-deletes\")\npermit (principal, action == Action::\"DeleteDoc\", resource);\n";
    assert_eq!(
        findings(policies),
        one(
            "unscoped-principal",
            "warn",
            "2:9",
            "permit `anyone-deletes` applies to every principal",
            &["2:51 also unscoped-resource: permit `anyone-deletes` applies to every resource"],
        )
    );
}

#[test]
fn a_guard_the_caller_supplies_warns_even_for_reading() {
    let policies = "@id(\"admin-flag\")\npermit (principal, action == Action::\"ReadDoc\", resource is Doc)\nwhen { context.is_admin };\n";
    assert_eq!(
        findings(policies),
        one(
            "unscoped-principal",
            "warn",
            "2:9",
            "permit `admin-flag` applies to every principal, and its only guard is the request's `context`, which the caller supplies",
            &[],
        )
    );
}

#[test]
fn every_action_and_every_principal_is_one_finding_with_both_places() {
    let policies = "@id(\"flagged\")\npermit (principal, action, resource is Doc)\nwhen { context.is_admin };\n";
    assert_eq!(
        findings(policies),
        one(
            "unscoped-action",
            "warn",
            "2:20",
            "permit `flagged` applies to every action",
            &["2:9 also unscoped-principal: permit `flagged` applies to every principal, and its only guard is the request's `context`, which the caller supplies"],
        )
    );
}

#[test]
fn a_suppressed_side_leaves_the_other_standing() {
    let policies = "@id(\"public-read\")\n@cedarcheck_ignore(\"unscoped-principal\")\npermit (principal, action == Action::\"ReadDoc\", resource);\n";
    assert_eq!(
        findings(policies),
        one(
            "unscoped-resource",
            "info",
            "3:49",
            "permit `public-read` applies to every resource",
            &[]
        )
    );
}

#[test]
fn every_action_for_a_role_is_information_and_for_one_principal_a_warning() {
    let policies = "@id(\"admins\")\npermit (principal in Role::\"admin\", action, resource is Doc);\n\n@id(\"owners\")\npermit (principal, action, resource is Doc)\nwhen { resource.owner == principal };\n\n@id(\"bot\")\npermit (principal == User::\"bot\", action, resource is Doc);\n";
    let found: Vec<(String, String, String)> = findings(policies)
        .into_iter()
        .map(|(rule, level, at, _, _)| (rule, level, at))
        .collect();
    let expected = [
        ("unscoped-action", "info", "2:37"),
        ("unscoped-action", "info", "5:20"),
        ("unscoped-action", "warn", "9:35"),
    ];
    assert_eq!(
        found,
        expected
            .iter()
            .map(|(r, l, a)| (r.to_string(), l.to_string(), a.to_string()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn every_resource_for_every_principal_of_a_type_is_anyone() {
    let policies = "@id(\"users-delete\")\npermit (principal is User, action == Action::\"DeleteDoc\", resource);\n";
    assert_eq!(
        findings(policies),
        one(
            "unscoped-resource",
            "warn",
            "2:59",
            "permit `users-delete` applies to every resource",
            &[]
        )
    );
}

#[test]
fn two_policies_under_one_id_keep_their_own_findings() {
    let policies = "@id(\"twice\")\npermit (principal, action == Action::\"DeleteDoc\", resource is Doc);\n\n@id(\"twice\")\npermit (principal, action == Action::\"DeleteDoc\", resource is Doc);\n";
    let found: Vec<(String, String)> = findings(policies)
        .into_iter()
        .filter(|f| f.0 == "unscoped-principal")
        .map(|(_, _, at, _, related)| (at, related.join("; ")))
        .collect();
    assert_eq!(
        found,
        vec![
            ("2:9".to_string(), String::new()),
            ("5:9".to_string(), String::new())
        ]
    );
}

#[test]
fn a_condition_on_the_principal_alone_is_no_role() {
    // Everyone but mallory, on every action: no role is named, so it warns.
    let policies = "@id(\"all-but-mallory\")\npermit (principal, action, resource)\nunless { principal == User::\"mallory\" };\n";
    let found = findings(policies);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (
            found[0].0.as_str(),
            found[0].1.as_str(),
            found[0].2.as_str()
        ),
        ("unscoped-action", "warn", "2:20")
    );
    assert_eq!(
        found[0].4,
        ["2:28 also unscoped-resource: permit `all-but-mallory` applies to every resource"]
    );
}

#[test]
fn an_action_that_reads_and_writes_is_not_reading() {
    for action in [
        "read_write",
        "GetOrCreate",
        "GetThenDelete",
        "DownloadBackup",
    ] {
        let schema_action =
            format!("action {action} appliesTo {{ principal: [User], resource: [Doc] }};");
        let input = PolicySetInput {
            policies: vec![SourceFile::new(
                "p.cedar",
                format!(
                    "@id(\"p\")\npermit (principal, action == Action::\"{action}\", resource);\n"
                ),
            )],
            schema: Some(SourceFile::new(
                "s.cedarschema",
                format!("entity User; entity Doc;\n{schema_action}\n"),
            )),
            links: vec![],
        };
        let levels: Vec<(String, String)> = check(&input, &Settings::default())
            .findings
            .into_iter()
            .map(|f| (f.rule.to_string(), f.level.to_string()))
            .collect();
        assert_eq!(
            levels,
            [("unscoped-principal".to_string(), "warn".to_string())],
            "{action}"
        );
    }
}
