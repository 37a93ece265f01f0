//! Template links at the scale of a sharing store: a link's coverage by many other links is
//! decided (static candidates first, their counterexample replayed against the links, the
//! whole union only when a link matches it), and links of one template share their answers.

mod common;

use cedarcheck_analyzer::{check, Level, PolicySetInput, Settings, SourceFile};
use cedarcheck_prover::{analyze, DeepInput, DeepOptions, DeepReport, LoadedPolicies};
use common::*;

const TEMPLATES: &str = r#"@id("group-share")
permit (principal in ?principal, action == App::Action::"t1", resource in ?resource);

@id("user-share")
permit (principal == ?principal, action == App::Action::"t2", resource == ?resource)
when { context.mfa };
"#;

/// `group-share` linked for groups g0…g11 on folders f0…f11, and `user-share` for users
/// u0…u29 on documents d0…d29.
fn links() -> String {
    let mut links = Vec::new();
    for i in 0..12 {
        links.push(format!(
            r#"{{"template_id": "group-share", "link_id": "g{i}", "args": {{"?principal": "App::Group::\"g{i}\"", "?resource": "App::Group::\"f{i}\""}}}}"#
        ));
    }
    for i in 0..30 {
        links.push(format!(
            r#"{{"template_id": "user-share", "link_id": "u{i}", "args": {{"?principal": "App::User::\"u{i}\"", "?resource": "App::Doc::\"d{i}\""}}}}"#
        ));
    }
    format!("[{}]", links.join(",\n"))
}

fn run(statics: &str) -> Option<DeepReport> {
    let cvc5 = cvc5_or_skip("links")?;
    let schema = source(
        &fixtures().join("operators/schema.cedarschema"),
        "schema.cedarschema",
    );
    // These tests are about the links' questions; the schema's other actions have no permit.
    let mut settings = Settings::default();
    settings.set_level("unreachable-action", None);
    let input = PolicySetInput {
        policies: vec![
            SourceFile::new("templates.cedar", TEMPLATES),
            SourceFile::new("static.cedar", statics),
        ],
        schema: Some(schema.clone()),
        links: vec![SourceFile::new("links.json", links().as_str())],
    };
    let report = check(&input, &settings);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.rule != "parse-error" && f.rule != "schema-error"),
        "{:?}",
        report.findings
    );
    let files: Vec<String> = input.files().iter().map(|f| f.path.clone()).collect();
    let skip = Default::default();
    Some(analyze(
        &DeepInput {
            policies: LoadedPolicies {
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
        DeepOptions {
            solver: solver(cvc5, 10_000),
            jobs: 2,
            cache: Default::default(),
            progress: None,
            cancel: None,
        },
    ))
}

#[test]
fn a_static_permit_that_repeats_a_link_is_found_among_many_links() {
    // The same grant as link g3: covered by a union of 12 links (the static candidates are
    // none, and the request that shows the permit applying is matched by g3, so the whole
    // union is asked), and the link is covered by the static permit.
    let Some(deep) = run(r#"@id("ops-folder")
permit (principal in App::Group::"g3", action == App::Action::"t1", resource in App::Group::"f3");
"#)
    else {
        return;
    };
    assert_eq!(deep.stats.unknown, 0, "{:#?}", deep.findings);
    let found: Vec<(&str, Level, &str, Option<&str>)> = deep
        .findings
        .iter()
        .map(|f| (f.rule, f.level, f.message.as_str(), f.policy_id.as_deref()))
        .collect();
    assert_eq!(
        found,
        [(
            "equivalent-policies",
            Level::Warn,
            "template-linked policy `g3` matches exactly the same requests as `ops-folder` in \
             every environment; one of them is a copy",
            Some("g3"),
        )],
        "{:#?}",
        deep.findings
    );
}

#[test]
fn links_of_one_template_are_asked_about_once() {
    let Some(deep) = run("") else {
        return;
    };
    assert_eq!(deep.stats.unknown, 0, "{:#?}", deep.findings);
    assert!(deep.findings.is_empty(), "{:#?}", deep.findings);
    // 42 links, each with its single-policy and coverage questions: answered from the first
    // link of each template, not asked 42 times.
    assert!(deep.stats.cached_queries >= 3 * 40, "{:?}", deep.stats);
    assert!(deep.stats.solver_queries < 40, "{:?}", deep.stats);
}
