//! `@cedarcheck_ignore("rule-a, rule-b")` silences exactly the listed rules for exactly that
//! policy: other rules still report on it, and other policies are untouched.

use std::collections::BTreeSet;

use cedarcheck_analyzer::{check, Finding, PolicySetInput, Settings, SourceFile};

const SCHEMA: &str = r#"namespace Ops {
  entity User;
  entity Doc;
  action Read appliesTo { principal: User, resource: Doc };
}
"#;

fn run(policies: &str, links: Option<&str>) -> Vec<Finding> {
    let input = PolicySetInput {
        policies: vec![SourceFile::new("a.cedar", policies)],
        schema: Some(SourceFile::new("s.cedarschema", SCHEMA)),
        links: links
            .map(|l| vec![SourceFile::new("a.links.json", l)])
            .unwrap_or_default(),
    };
    check(&input, &Settings::default()).findings
}

/// (policy id, rule) of every finding.
fn found(findings: &[Finding]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .map(|f| (f.policy_id.clone().unwrap_or_default(), f.rule.to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect()
}

#[test]
fn only_the_listed_rules_of_the_annotated_policy_are_silenced() {
    // The first two policies are the same permit-all; only the first waives it. The third
    // waives missing-policy-id but not unscoped-resource.
    let policies = r#"
@id("waived")
@cedarcheck_ignore("permit-all")
@description("temporary, ticket OPS-1")
permit(principal, action, resource);

@id("not-waived")
permit(principal, action, resource);

@cedarcheck_ignore("missing-policy-id")
permit(principal is Ops::User, action == Ops::Action::"Read", resource);
"#;
    let findings = run(policies, None);
    assert_eq!(
        found(&findings),
        pairs(&[
            ("not-waived", "permit-all"),
            ("policy2", "unscoped-resource"),
        ]),
        "{findings:#?}"
    );
}

#[test]
fn without_the_annotation_the_same_policies_report() {
    let policies = r#"
@id("waived")
permit(principal, action, resource);

permit(principal is Ops::User, action == Ops::Action::"Read", resource);
"#;
    let findings = run(policies, None);
    assert_eq!(
        found(&findings),
        pairs(&[
            ("waived", "permit-all"),
            ("policy1", "missing-policy-id"),
            ("policy1", "unscoped-resource"),
        ]),
    );
}

#[test]
fn several_rules_commas_and_spaces() {
    let policies = r#"@cedarcheck_ignore("missing-policy-id,unscoped-resource   ")
permit(principal is Ops::User, action == Ops::Action::"Read", resource);
"#;
    assert_eq!(found(&run(policies, None)), BTreeSet::new());
}

#[test]
fn an_unknown_id_is_reported_at_the_id_and_silences_nothing() {
    let policies = r#"@id("p")
@cedarcheck_ignore("permit-all, premit-all")
permit(principal, action, resource);
"#;
    let findings = run(policies, None);
    assert_eq!(
        found(&findings),
        pairs(&[("p", "unknown-ignored-rule")]),
        "permit-all is waived, the unknown id is reported: {findings:#?}"
    );
    let finding = &findings[0];
    assert_eq!(
        &policies[finding.span.start..finding.span.end],
        "premit-all"
    );
    assert!(finding.message.contains("`premit-all`"));
    assert_eq!(
        finding.help.as_deref(),
        Some("did you mean `permit-all`? (`cedarcheck rules` lists the rules)")
    );
}

#[test]
fn the_unknown_id_rule_can_itself_be_waived_or_turned_off() {
    let policies = r#"@id("p")
@cedarcheck_ignore("unknown-ignored-rule, future-rule")
permit(principal is Ops::User, action == Ops::Action::"Read", resource is Ops::Doc);
"#;
    assert!(run(policies, None).is_empty());
}

#[test]
fn a_link_follows_its_template_s_annotation() {
    let template = |annotation: &str| {
        format!(
            "@id(\"t\")\n{annotation}\npermit(principal == ?principal, action == Ops::Action::\"Read\", resource is Ops::Doc);\n"
        )
    };
    // The link's principal has a type the schema does not know: a schema-error on the link.
    let links =
        r#"[{"template_id": "t", "link_id": "l", "args": {"?principal": "Ops::Nobody::\"x\""}}]"#;
    let reported = run(&template(""), Some(links));
    assert!(
        reported
            .iter()
            .any(|f| f.rule == "schema-error" && f.policy_id.as_deref() == Some("l")),
        "{reported:#?}"
    );
    let waived = run(
        &template("@cedarcheck_ignore(\"schema-error\")"),
        Some(links),
    );
    assert!(
        waived.iter().all(|f| f.rule != "schema-error"),
        "{waived:#?}"
    );
}

#[test]
fn findings_about_a_whole_file_are_never_silenced() {
    let policies = "@cedarcheck_ignore(\"parse-error\")\npermit(principal, action, resource)\n";
    let findings = run(policies, None);
    assert!(findings.iter().any(|f| f.rule == "parse-error"));
}
