//! Where deep findings stand: on the policy's head, where static findings on the policy stand
//! (not on its `@id`); a may-error finding on the expression that raises the error in its
//! counterexample, with the error in words. Needs cvc5: skips without it, fails under CI.

mod common;

use cedarcheck_analyzer::{check, Finding, LineIndex, PolicySetInput, Settings, SourceFile};
use cedarcheck_prover::{prove_set, CheckedSet, DeepOptions};
use common::*;

fn fixture(name: &str) -> SourceFile {
    source(&fixtures().join("placement").join(name), name)
}

fn text(file: &SourceFile, finding_span: cedarcheck_analyzer::Span) -> &str {
    &file.text[finding_span.start..finding_span.end]
}

/// (line, column), 1-based, of where a span starts.
fn start(file: &SourceFile, offset: usize) -> (usize, usize) {
    let position = LineIndex::new(&file.text).position(&file.text, offset);
    (position.line, position.column)
}

fn only<'a>(findings: &'a [Finding], rule: &str, policy: &str) -> &'a Finding {
    let matching: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == rule && f.policy_id.as_deref() == Some(policy))
        .collect();
    assert_eq!(matching.len(), 1, "{rule} on {policy}: {findings:#?}");
    matching[0]
}

#[test]
fn deep_findings_on_a_policy_stand_on_its_head_as_static_findings_do() {
    let Some(cvc5) =
        cvc5_or_skip("deep_findings_on_a_policy_stand_on_its_head_as_static_findings_do")
    else {
        return;
    };
    let policies = fixture("policies.cedar");
    let run = prove(
        &fixture("app.cedarschema"),
        vec![policies.clone()],
        vec![],
        solver(cvc5, 10_000),
        Default::default(),
    );
    let deep = &run.report.findings;

    // With an @id: on the head, from `forbid` to the scope's `)`, not on the annotation.
    let never = only(deep, "vacuous-policy", "never");
    assert_eq!(
        text(&policies, never.span),
        r#"forbid (principal, action == App::Action::"edit", resource)"#
    );
    assert_eq!(start(&policies, never.span.start), (4, 1));

    // Without one: exactly where `missing-policy-id` stands on the same policy.
    let unnamed = only(deep, "vacuous-policy", "policy1");
    let missing_id = only(&run.static_findings, "missing-policy-id", "policy1");
    assert_eq!(unnamed.span, missing_id.span);
    assert_eq!(
        text(&policies, unnamed.span),
        r#"permit (principal is App::User, action == App::Action::"edit", resource is App::Doc)"#
    );

    // Past every annotation, over a scope on several lines; the overriding forbid, related,
    // on its head too.
    let viewers = only(deep, "overridden-permit", "viewers");
    assert_eq!(start(&policies, viewers.span.start), (13, 1));
    assert_eq!(
        text(&policies, viewers.span),
        "permit (\n  principal is App::User,\n  action == App::Action::\"view\",\n  resource is App::Doc\n)"
    );
    assert_eq!(viewers.related.len(), 1, "{viewers:#?}");
    assert_eq!(
        text(&policies, viewers.related[0].span),
        r#"forbid (principal, action == App::Action::"view", resource)"#
    );
}

#[test]
fn deep_and_static_findings_on_a_policy_with_an_id_share_its_head() {
    let Some(cvc5) = cvc5_or_skip("deep_and_static_findings_on_a_policy_with_an_id_share_its_head")
    else {
        return;
    };
    let everyone = fixture("everyone.cedar");
    let run = prove(
        &fixture("app.cedarschema"),
        vec![everyone.clone()],
        vec![],
        solver(cvc5, 10_000),
        Default::default(),
    );
    let permit_all = only(&run.static_findings, "permit-all", "everyone");
    assert_eq!(
        text(&everyone, permit_all.span),
        "permit (principal, action, resource)"
    );
    let unconditional = only(&run.report.findings, "unconditional-permit", "everyone");
    assert_eq!(unconditional.span, permit_all.span);
    // `allows-all` would stand on the permit that grants the access, and say the same again.
    assert!(
        run.report.findings.iter().all(|f| f.rule != "allows-all"),
        "{:#?}",
        run.report.findings
    );
}

#[test]
fn a_may_error_finding_stands_on_the_expression_that_raises_the_error() {
    let Some(cvc5) =
        cvc5_or_skip("a_may_error_finding_stands_on_the_expression_that_raises_the_error")
    else {
        return;
    };
    let policies = fixture("policies.cedar");
    let run = prove(
        &fixture("app.cedarschema"),
        vec![policies.clone()],
        vec![],
        solver(cvc5, 10_000),
        Default::default(),
    );
    let deep = &run.report.findings;

    let lockout = only(deep, "forbid-may-error", "lockout");
    assert_eq!(text(&policies, lockout.span), "context.n\n    * 1000");
    assert_eq!(start(&policies, lockout.span.start), (25, 3));
    assert!(
        lockout.message.starts_with(
            "forbid `lockout` can raise an evaluation error in its one request environment \
             (App::User, App::Action::\"edit\", App::Doc): `context.n * 1000` can overflow \
             (integer overflow while attempting to multiply the values `"
        ),
        "{}",
        lockout.message
    );
    assert!(
        lockout.message.ends_with(
            "; Cedar then skips it, so the access it should deny is allowed (fails open)"
        ),
        "{}",
        lockout.message
    );

    let late = only(deep, "forbid-may-error", "late");
    assert_eq!(text(&policies, late.span), "context.at.offset(context.d)");
    assert!(
        late.message.contains(
            ": `context.at.offset(context.d)` can fail (error while evaluating `offset` extension function: "
        ),
        "{}",
        late.message
    );

    let below_limit = only(deep, "permit-may-error", "below-limit");
    assert_eq!(text(&policies, below_limit.span), "context.n + 1");
    assert!(
        below_limit
            .message
            .contains(": `context.n + 1` can overflow (integer overflow while attempting to add"),
        "{}",
        below_limit.message
    );
    // The counterexample still comes along, ready to paste as a test.
    assert!(below_limit.counterexample.is_some());
}

#[test]
fn a_links_may_error_finding_stands_on_the_link_and_points_at_the_templates_expression() {
    let Some(cvc5) = cvc5_or_skip(
        "a_links_may_error_finding_stands_on_the_link_and_points_at_the_templates_expression",
    ) else {
        return;
    };
    let (templates, links) = (fixture("templates.cedar"), fixture("links.json"));
    let settings = Settings::default();
    let input = PolicySetInput {
        policies: vec![templates.clone()],
        schema: Some(fixture("app.cedarschema")),
        links: vec![links.clone()],
    };
    let report = check(&input, &settings);
    let proof = prove_set(
        CheckedSet {
            input: &input,
            report: &report,
            invariants: vec![],
            settings: &settings,
        },
        DeepOptions {
            solver: solver(cvc5, 10_000),
            jobs: 2,
            cache: Default::default(),
            progress: None,
            cancel: None,
        },
    )
    .expect("the fixture schema loads");
    let link = only(&proof.deep.findings, "forbid-may-error", "alice-limit");
    assert_eq!(link.file, "links.json");
    assert_eq!(text(&links, link.span), "\"alice-limit\"");
    assert!(
        link.message
            .contains(": `context.n * 2` can overflow (integer overflow"),
        "{}",
        link.message
    );
    assert_eq!(link.related.len(), 1, "{link:#?}");
    assert_eq!(link.related[0].file, "templates.cedar");
    assert_eq!(
        link.related[0].message,
        "the error is raised here, in template `per-user-limit`"
    );
    assert_eq!(text(&templates, link.related[0].span), "context.n * 2");
}
