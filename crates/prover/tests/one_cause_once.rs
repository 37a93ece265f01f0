//! One cause, one finding: two policies that cover each other are reported once, at the later
//! one, as a pair to keep one of; `allows-all` does not repeat what the static rules say about
//! the permit it stands on, and is information when the environment's action only reads.

mod common;

use cedarcheck_analyzer::{Finding, LineIndex, SourceFile};
use common::*;

/// A finding as (rule, level, line, message, related messages).
type Seen = (String, String, usize, String, Vec<String>);

/// The deep findings of `policies` against the fixture schema.
fn deep(test: &str, policies: &str) -> Option<Vec<Seen>> {
    let cvc5 = cvc5_or_skip(test)?;
    let schema = source(&fixtures().join("schema.cedarschema"), "schema.cedarschema");
    let run = prove(
        &schema,
        vec![SourceFile::new("p.cedar", policies)],
        vec![],
        solver(cvc5, 20_000),
        Default::default(),
    );
    let index = LineIndex::new(policies);
    let line = |f: &Finding| index.position(policies, f.span.start).line;
    Some(
        run.report
            .findings
            .iter()
            // The fixture schema's other actions have no permit here: not what these tests are about.
            .filter(|f| f.rule != "unreachable-action")
            .map(|f| {
                (
                    f.rule.to_string(),
                    f.level.to_string(),
                    line(f),
                    f.message.clone(),
                    f.related.iter().map(|r| r.message.clone()).collect(),
                )
            })
            .collect(),
    )
}

#[test]
fn two_permits_that_cover_each_other_in_some_environments_are_one_finding_at_the_later() {
    let policies = r#"@id("agent-reads-and-views")
permit (principal is Ops::Agent, action in [Ops::Action::"ReadLogs", Ops::Action::"ViewHostStatus"], resource)
when { context.mfa };

@id("agent-views-and-reboots")
permit (principal is Ops::Agent, action in [Ops::Action::"ViewHostStatus", Ops::Action::"RebootHost"], resource)
when { context.mfa };
"#;
    let Some(found) = deep(
        "two_permits_that_cover_each_other_in_some_environments_are_one_finding_at_the_later",
        policies,
    ) else {
        return;
    };
    assert_eq!(
        found,
        vec![(
            "redundant-permit".to_string(),
            "info".to_string(),
            6,
            "permit `agent-views-and-reboots` and `agent-reads-and-views` match exactly the same \
             requests in 1 of its 2 request environments: (Ops::Agent, \
             Ops::Action::\"ViewHostStatus\", Ops::Host): keep one of them there"
                .to_string(),
            vec!["`agent-reads-and-views`".to_string()],
        )]
    );
}

#[test]
fn allows_all_is_information_when_the_action_only_reads() {
    let policies = r#"@id("agent-views-hosts")
permit (principal is Ops::Agent, action == Ops::Action::"ViewHostStatus", resource is Ops::Host);
"#;
    let Some(found) = deep(
        "allows_all_is_information_when_the_action_only_reads",
        policies,
    ) else {
        return;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    let (rule, level, line, message, _) = &found[0];
    assert_eq!(
        (rule.as_str(), level.as_str(), *line),
        ("allows-all", "info", 2)
    );
    assert!(message.contains("ViewHostStatus"), "{message}");
}

#[test]
fn allows_all_does_not_repeat_a_broad_permit_the_static_rules_report() {
    let policies = r#"@id("anyone-reboots")
permit (principal, action == Ops::Action::"RebootHost", resource is Ops::Host);
"#;
    let Some(found) = deep(
        "allows_all_does_not_repeat_a_broad_permit_the_static_rules_report",
        policies,
    ) else {
        return;
    };
    assert_eq!(found, vec![]);
}

#[test]
fn a_permit_without_conditions_is_not_an_unconditional_permit() {
    // Its scope says what it grants; `unconditional-permit` is about guards that guard nothing.
    let policies = r#"@id("agent-reboots")
permit (principal is Ops::Agent, action == Ops::Action::"RebootHost", resource is Ops::Host);

@id("operator-reboots-always")
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.mfa || !context.mfa };
"#;
    let Some(found) = deep(
        "a_permit_without_conditions_is_not_an_unconditional_permit",
        policies,
    ) else {
        return;
    };
    let rules: Vec<(&str, usize)> = found.iter().map(|f| (f.0.as_str(), f.2)).collect();
    assert_eq!(
        rules,
        vec![("allows-all", 2), ("unconditional-permit", 5)],
        "{found:?}"
    );
}
