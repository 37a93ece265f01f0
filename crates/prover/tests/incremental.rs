//! Re-checking after editing one policy asks the solver only the queries that policy takes
//! part in; template links are analysed and templates without links are named.

mod common;

use cedarcheck_analyzer::SourceFile;
use common::*;

const POLICIES: &str = r#"
@id("agent-all-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/*" };

@id("agent-nginx-logs")
permit (principal is Ops::Agent, action == Ops::Action::"ReadLogs", resource is Ops::LogDirectory)
when { resource.path like "/var/log/nginx/*" };

@id("reboot-needs-mfa")
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
unless { context.mfa };

@id("operators-reboot")
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.risk < 50 };
"#;

#[test]
fn an_edit_re_asks_only_the_queries_of_the_edited_policy() {
    let Some(cvc5) = cvc5_or_skip("an_edit_re_asks_only_the_queries_of_the_edited_policy") else {
        return;
    };
    let schema = source(&fixtures().join("schema.cedarschema"), "schema.cedarschema");
    let cold = prove(
        &schema,
        vec![SourceFile::new("p.cedar", POLICIES)],
        vec![],
        solver(cvc5.clone(), 10_000),
        Default::default(),
    );
    assert!(cold.report.stats.solver_queries > 0);
    assert_eq!(cold.report.stats.cached_queries, 0);
    assert!(
        cold.report.stats.witness_queries > 0,
        "some questions are settled by a request found for another: {:?}",
        cold.report.stats
    );
    assert!(
        cold.report.stats.naive_queries >= 10 * cold.report.stats.solver_queries,
        "{:?}",
        cold.report.stats
    );

    let same = prove(
        &schema,
        vec![SourceFile::new("p.cedar", POLICIES)],
        vec![],
        solver(cvc5.clone(), 10_000),
        cold.report.cache.clone(),
    );
    assert_eq!(
        same.report.stats.solver_queries, 0,
        "nothing changed, nothing is asked"
    );
    assert_eq!(same.report.findings, cold.report.findings);

    let edited = POLICIES.replace("context.risk < 50", "context.risk < 40");
    let warm = prove(
        &schema,
        vec![SourceFile::new("p.cedar", edited.as_str())],
        vec![],
        solver(cvc5.clone(), 10_000),
        cold.report.cache.clone(),
    );
    assert!(
        warm.report.stats.solver_queries > 0,
        "the edited policy is asked again"
    );
    assert!(
        warm.report.stats.cached_queries > 0,
        "the others come from the cache"
    );
    assert!(
        warm.report.stats.solver_queries < cold.report.stats.solver_queries,
        "warm {:?} vs cold {:?}",
        warm.report.stats,
        cold.report.stats
    );
    // The finding about the untouched policies is still there.
    let redundant = warm
        .report
        .findings
        .iter()
        .find(|f| {
            f.rule == "redundant-permit" && f.policy_id.as_deref() == Some("agent-nginx-logs")
        })
        .expect("agent-nginx-logs is still reported redundant");
    assert_eq!(redundant.level, cedarcheck_analyzer::Level::Warn);
    assert!(
        redundant.message.starts_with(
            "permit `agent-nginx-logs` is redundant: every request it matches is also allowed by permit `agent-all-logs`"
        ),
        "{}",
        redundant.message
    );
    // Cached answers and last run's witnesses change nothing but the time: a run without
    // a cache finds the same.
    let fresh = prove(
        &schema,
        vec![SourceFile::new("p.cedar", edited.as_str())],
        vec![],
        solver(cvc5, 10_000),
        Default::default(),
    );
    assert_eq!(warm.report.findings, fresh.report.findings);
}

#[test]
fn links_are_analysed_and_templates_without_links_are_named() {
    let Some(cvc5) = cvc5_or_skip("links_are_analysed_and_templates_without_links_are_named")
    else {
        return;
    };
    let schema = source(&fixtures().join("schema.cedarschema"), "schema.cedarschema");
    let policies = SourceFile::new(
        "p.cedar",
        r#"
@id("view-template")
permit (principal == ?principal, action == Ops::Action::"ViewHostStatus", resource is Ops::Host)
when { context.risk > 5 && context.risk < 3 };

@id("unused-template")
permit (principal == ?principal, action == Ops::Action::"RebootHost", resource is Ops::Host);
"#,
    );
    let links = SourceFile::new(
        "links.json",
        r#"[{"template_id": "view-template", "link_id": "alice-views", "args": {"?principal": "Ops::Operator::\"alice\""}}]"#,
    );
    let settings = cedarcheck_analyzer::Settings::default();
    let input = cedarcheck_analyzer::PolicySetInput {
        policies: vec![policies],
        schema: Some(schema.clone()),
        links: vec![links],
    };
    let report = cedarcheck_analyzer::check(&input, &settings);
    let files = vec![
        "p.cedar".to_string(),
        "schema.cedarschema".into(),
        "links.json".into(),
    ];
    let skip = Default::default();
    let deep = cedarcheck_prover::analyze(
        &cedarcheck_prover::DeepInput {
            policies: cedarcheck_prover::LoadedPolicies {
                loaded: &report.loaded,
                files: &files,
                skip: &skip,
            },
            schema: report.schema.as_ref().unwrap(),
            schema_text: &schema.text,
            schema_path: &schema.path,
            invariants: None,
            settings: &settings,
        },
        cedarcheck_prover::DeepOptions {
            solver: solver(cvc5, 10_000),
            jobs: 1,
            cache: Default::default(),
            progress: None,
            cancel: None,
        },
    );
    let vacuous: Vec<_> = deep
        .findings
        .iter()
        .filter(|f| f.rule == "vacuous-policy")
        .collect();
    assert_eq!(vacuous.len(), 1, "{:?}", deep.findings);
    assert_eq!(vacuous[0].policy_id.as_deref(), Some("alice-views"));
    // Decided, not unknown; and only where the link can apply: its principal is an
    // Operator, so the Agent environment of the same action is not one of its own.
    assert_eq!(vacuous[0].level, cedarcheck_analyzer::Level::Error);
    assert_eq!(
        vacuous[0].message,
        "template-linked policy `alice-views` matches no valid request in its one request \
         environment (Ops::Operator, Ops::Action::\"ViewHostStatus\", Ops::Host)"
    );
    assert_eq!(deep.stats.unknown, 0, "{:?}", deep.findings);
    assert_eq!(
        vacuous[0].file, "links.json",
        "a link's finding points at the link"
    );
    assert_eq!(deep.skipped_templates, ["unused-template"]);
}
