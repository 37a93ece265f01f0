//! `entity-literal-attribute`: the findings themselves, Cedar's semantics behind them, and the
//! counterexample replayed through cedar-policy's Authorizer against the user's own set.

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Response,
};
use cedarcheck_analyzer::{check, Finding, LineIndex, PolicySetInput, Settings, SourceFile};

const SCHEMA: &str = r#"
entity User;
entity Group { manager: User };
entity Doc;
action delete appliesTo { principal: [User], resource: [Doc] };
"#;

/// (line, column, level, message) of a finding.
type Located = (usize, usize, String, String);

/// Where every `entity-literal-attribute` finding is, and the findings themselves.
fn findings(policies: &str, schema: Option<&str>) -> (Vec<Located>, Vec<Finding>) {
    let file = SourceFile::new("policies.cedar", policies);
    let input = PolicySetInput {
        policies: vec![file.clone()],
        schema: schema.map(|text| SourceFile::new("schema.cedarschema", text)),
        links: vec![],
    };
    let index = LineIndex::new(&file.text);
    let found: Vec<Finding> = check(&input, &Settings::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == "entity-literal-attribute")
        .collect();
    let located = found
        .iter()
        .map(|f| {
            let at = index.position(&file.text, f.span.start);
            (at.line, at.column, f.level.to_string(), f.message.clone())
        })
        .collect();
    (located, found)
}

fn uid(text: &str) -> EntityUid {
    EntityUid::from_str(text).unwrap()
}

/// The Authorizer's answer for `request` of the entry `cex` against `policies`, with `entities`.
fn replay(cex: &serde_json::Value, policies: &str, entities: serde_json::Value) -> Response {
    let request = &cex["request"];
    let part = |key: &str| uid(request[key].as_str().unwrap());
    let request = Request::new(
        part("principal"),
        part("action"),
        part("resource"),
        Context::empty(),
        None,
    )
    .unwrap();
    let set = PolicySet::from_str(policies).unwrap();
    let entities = Entities::from_json_value(entities, None).unwrap();
    Authorizer::new().is_authorized(&request, &set, &entities)
}

const MARKETING: &str = r#"@id("marketing-manager-only")
forbid (principal, action == Action::"delete", resource)
when { Group::"Marketing".manager == principal };

@id("anyone")
permit (principal, action, resource);
"#;

#[test]
fn a_forbid_reading_an_entity_literal_fails_open_without_that_entity() {
    let (located, found) = findings(MARKETING, None);
    assert_eq!(
        located,
        [(
            3,
            8,
            "error".to_string(),
            "`Group::\"Marketing\".manager` reads an attribute of an entity literal: a request \
             whose entities do not include `Group::\"Marketing\"` makes this forbid error, and \
             Cedar skips it (fails open); e.g. the request (Principal::\"principal\", \
             Action::\"delete\", Resource::\"resource\") with no entities: with a permit that \
             allows every request, Cedar allows it"
                .to_string()
        )]
    );
    let cex = found[0].counterexample.clone().expect("a counterexample");
    assert_eq!(
        cex,
        serde_json::json!({
            "name": "entity-literal-attribute: marketing-manager-only without Group::\"Marketing\"",
            "request": {
                "principal": "Principal::\"principal\"",
                "action": "Action::\"delete\"",
                "resource": "Resource::\"resource\"",
                "context": {},
            },
            "entities": [],
            "decision": "allow",
            "reason": ["permit-every-request"],
            "num_errors": 1,
        })
    );

    // Independent evidence, against the user's own set: without the entity the forbid errors
    // and the broad permit allows; with it (its manager the principal) the forbid denies.
    let without = replay(&cex, MARKETING, serde_json::json!([]));
    assert_eq!(without.decision(), Decision::Allow);
    let errors: Vec<String> = without
        .diagnostics()
        .errors()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    // `PolicySet::from_str` numbers policies by position: the forbid is `policy0`.
    assert_eq!(
        errors[0],
        "error while evaluating policy `policy0`: entity `Group::\"Marketing\"` does not exist"
    );
    let with = replay(
        &cex,
        MARKETING,
        serde_json::json!([{
            "uid": {"type": "Group", "id": "Marketing"},
            "attrs": {"manager": {"__entity": {"type": "Principal", "id": "principal"}}},
            "parents": [],
        }]),
    );
    assert_eq!(with.decision(), Decision::Deny);
    assert_eq!(with.diagnostics().errors().count(), 0);
}

#[test]
fn it_reports_with_a_schema_too_where_the_scope_names_the_request() {
    let policies = r#"forbid (principal is User, action == Action::"delete", resource is Doc)
when { Group::"Marketing".manager == principal };
"#;
    let (located, found) = findings(policies, Some(SCHEMA));
    assert_eq!(located.len(), 1, "{located:?}");
    assert_eq!(
        (located[0].0, located[0].1, located[0].2.as_str()),
        (2, 8, "error")
    );
    let cex = found[0].counterexample.clone().expect("a counterexample");
    assert_eq!(cex["request"]["principal"], "User::\"principal\"");
    assert_eq!(cex["request"]["resource"], "Doc::\"resource\"");

    // An unconstrained scope with a schema gives no valid request to build: the finding
    // stands, without a counterexample.
    let policies = r#"forbid (principal, action, resource)
when { Group::"Marketing".manager == principal };
"#;
    let (located, found) = findings(policies, Some(SCHEMA));
    assert_eq!(located.len(), 1, "{located:?}");
    assert!(!located[0].3.contains("e.g."), "{}", located[0].3);
    assert_eq!(found[0].counterexample, None);
}

#[test]
fn a_permit_is_one_level_lower_and_has_no_counterexample() {
    let policies = r#"permit (principal, action, resource)
when { principal == Group::"Marketing"["manager"] };
"#;
    let (located, found) = findings(policies, None);
    assert_eq!(
        located,
        [(
            2,
            21,
            "warn".to_string(),
            "`Group::\"Marketing\".manager` reads an attribute of an entity literal: a request \
             whose entities do not include `Group::\"Marketing\"` makes this permit error, and \
             Cedar skips it (it never grants)"
                .to_string()
        )]
    );
    assert_eq!(found[0].counterexample, None);
}

#[test]
fn guards_membership_and_has_are_not_reported_as_cedar_does_not_error_on_them() {
    let policies = r#"forbid (principal, action, resource)
when { !(Group::"Marketing" has manager) || Group::"Marketing".manager == principal };
forbid (principal, action, resource)
when { Group::"Marketing" has manager && Group::"Marketing".manager != principal };
forbid (principal, action, resource)
when { if Group::"Marketing" has manager then Group::"Marketing".manager == principal else true };
forbid (principal, action, resource)
when { principal in Group::"Marketing" || Group::"Marketing".hasTag("x") };
"#;
    assert_eq!(findings(policies, None).0, []);

    // Cedar's semantics behind it: on an entity the request does not carry, `has`, `hasTag`
    // and `in` are false without error, while reading the attribute errors.
    let request = Request::new(
        uid("User::\"alice\""),
        uid("Action::\"delete\""),
        uid("Doc::\"d\""),
        Context::empty(),
        None,
    )
    .unwrap();
    let decide = |text: &str| {
        let set = PolicySet::from_str(text).unwrap();
        let response = Authorizer::new().is_authorized(&request, &set, &Entities::empty());
        (response.decision(), response.diagnostics().errors().count())
    };
    assert_eq!(
        decide(r#"permit (principal, action, resource) when { !(Group::"M" has manager) };"#),
        (Decision::Allow, 0)
    );
    assert_eq!(
        decide(r#"permit (principal, action, resource) when { !Group::"M".hasTag("t") };"#),
        (Decision::Allow, 0)
    );
    assert_eq!(
        decide(r#"permit (principal, action, resource) when { !(principal in Group::"M") };"#),
        (Decision::Allow, 0)
    );
    assert_eq!(
        decide(
            r#"permit (principal, action, resource) when { Group::"M".manager == principal || true };"#
        ),
        (Decision::Deny, 1)
    );
}

#[test]
fn one_finding_per_read_at_its_first_unguarded_occurrence() {
    let policies = r#"forbid (principal, action, resource)
when { Team::"a".lead == principal || Team::"a".lead == resource || Team::"b".getTag("k") == "v" };
"#;
    let (located, _) = findings(policies, None);
    let at: Vec<(usize, usize)> = located.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(at, [(2, 8), (2, 69)], "{located:?}");
    assert!(
        located[1].3.starts_with("`Team::\"b\".getTag(\"k\")`"),
        "{}",
        located[1].3
    );

    // A name that is not an identifier is written as Cedar would read it.
    let policies = r#"forbid (principal, action, resource)
when { Team::"a"["first lead"] == principal };
"#;
    let (located, found) = findings(policies, None);
    assert!(
        located[0]
            .3
            .starts_with("`Team::\"a\"[\"first lead\"]` reads an attribute"),
        "{}",
        located[0].3
    );
    assert!(
        found[0].help.as_deref().unwrap_or_default().starts_with(
            "write `when { !(Team::\"a\" has \"first lead\") || (Team::\"a\"[\"first lead\"] \
                 == principal) }`: a request without it is then forbidden too (fail closed); or \
                 pass `Team::\"a\"` in every request's entities"
        ),
        "{:?}",
        found[0].help
    );
}

#[test]
fn the_incremental_check_gives_the_same_finding_and_counterexample() {
    let input = |policies: &str| PolicySetInput {
        policies: vec![SourceFile::new("policies.cedar", policies)],
        schema: None,
        links: vec![],
    };
    let settings = Settings::default();
    let mut incremental = cedarcheck_analyzer::IncrementalCheck::new();
    let edited = format!("permit (principal, action, resource) when {{ true }};\n\n{MARKETING}");
    for text in [MARKETING, edited.as_str(), MARKETING] {
        let expected = check(&input(text), &settings).findings;
        assert!(
            expected
                .iter()
                .any(|f| f.rule == "entity-literal-attribute" && f.counterexample.is_some()),
            "{expected:#?}"
        );
        assert_eq!(incremental.check(&input(text), &settings), expected);
    }
}
