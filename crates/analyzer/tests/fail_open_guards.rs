//! `unguarded-attribute`'s advice keeps a forbid failing closed under every shape of clause —
//! a `!`, an `unless`, a permit — and a tag read without `hasTag` is reported like an attribute.
//! The advice is checked with cedar-policy's Authorizer: the rewritten forbid denies a request
//! without the key that the original let through.

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityUid, PolicySet, Request,
};
use cedarcheck_analyzer::{check, LineIndex, PolicySetInput, Settings, SourceFile};

/// (line:col, level, message, help) of every `unguarded-attribute` finding, schemaless.
fn unguarded(policies: &str) -> Vec<(String, String, String, String)> {
    let input = PolicySetInput {
        policies: vec![SourceFile::new("p.cedar", policies)],
        schema: None,
        links: vec![],
    };
    let index = LineIndex::new(policies);
    check(&input, &Settings::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == "unguarded-attribute")
        .map(|f| {
            let p = index.position(policies, f.span.start);
            (
                format!("{}:{}", p.line, p.column),
                f.level.to_string(),
                f.message,
                f.help.unwrap_or_default(),
            )
        })
        .collect()
}

/// The rewrite in backquotes after "write ".
fn rewrite(help: &str) -> &str {
    let start = help.find("write `").expect(help) + "write `".len();
    &help[start..start + help[start..].find('`').unwrap()]
}

/// Whether `policies` (plus a permit of everything) allow a request whose context is empty and
/// whose resource has no tags.
fn allows_without_the_key(policies: &str) -> bool {
    let set = PolicySet::from_str(&format!(
        "{policies}\npermit (principal, action, resource);"
    ))
    .unwrap();
    let uid = |t: &str| EntityUid::from_str(&format!("{t}::\"x\"")).unwrap();
    let resource = Entity::new_no_attrs(uid("Doc"), Default::default());
    let entities = Entities::from_entities([resource], None).unwrap();
    let request = Request::new(
        uid("User"),
        uid("Action"),
        uid("Doc"),
        Context::empty(),
        None,
    )
    .unwrap();
    Authorizer::new()
        .is_authorized(&request, &set, &entities)
        .decision()
        == Decision::Allow
}

#[test]
fn a_negated_read_gets_a_rewrite_that_still_forbids() {
    let forbid =
        "@id(\"bg\")\nforbid (principal, action, resource)\nwhen { !context.break_glass };\n";
    let found = unguarded(forbid);
    assert_eq!(found.len(), 1, "{found:?}");
    let (at, level, message, help) = &found[0];
    assert_eq!((at.as_str(), level.as_str()), ("3:9", "error"));
    assert_eq!(
        message,
        "`context.break_glass` is read without `context has break_glass`: a request without it makes this forbid error, and Cedar skips it (fails open)"
    );
    assert_eq!(
        help,
        "write `when { !(context has break_glass) || (!context.break_glass) }`: a request without it is then forbidden too (fail closed)"
    );
    assert!(allows_without_the_key(forbid), "the original fails open");
    let fixed = format!("forbid (principal, action, resource)\n{};", rewrite(help));
    assert!(!allows_without_the_key(&fixed), "{fixed}");
    assert!(unguarded(&fixed).is_empty());
}

#[test]
fn an_unless_clause_is_guarded_the_other_way() {
    let forbid = "forbid (principal, action, resource)\nunless { context.approved };\n";
    let found = unguarded(forbid);
    let help = &found[0].3;
    assert_eq!(
        help,
        "write `unless { context has approved && (context.approved) }`: a request without it is then forbidden too (fail closed)"
    );
    let fixed = format!("forbid (principal, action, resource)\n{};", rewrite(help));
    assert!(allows_without_the_key(forbid));
    assert!(!allows_without_the_key(&fixed), "{fixed}");
    assert!(unguarded(&fixed).is_empty());
}

#[test]
fn a_permit_is_told_how_not_to_grant_without_an_error() {
    let permit = "permit (principal, action, resource)\nunless { context.blocked };\n";
    let found = unguarded(permit);
    assert_eq!(found[0].1, "warn");
    assert_eq!(
        found[0].3,
        "write `unless { !(context has blocked) || (context.blocked) }`: a request without it is then not permitted, without an error"
    );
}

#[test]
fn a_tag_read_without_has_tag_fails_open_too() {
    let forbid =
        "forbid (principal, action, resource)\nwhen { resource.getTag(\"env\") == \"prod\" };\n";
    let found = unguarded(forbid);
    assert_eq!(found.len(), 1, "{found:?}");
    let (at, level, message, help) = &found[0];
    assert_eq!((at.as_str(), level.as_str()), ("2:8", "error"));
    assert_eq!(
        message,
        "`resource.getTag(\"env\")` is read without `resource.hasTag(\"env\")`: a request without it makes this forbid error, and Cedar skips it (fails open)"
    );
    assert!(allows_without_the_key(forbid), "the original fails open");
    let fixed = format!("forbid (principal, action, resource)\n{};", rewrite(help));
    assert!(!allows_without_the_key(&fixed), "{fixed}");
    assert!(unguarded(&fixed).is_empty());
    let guarded = "forbid (principal, action, resource)\nwhen { resource.hasTag(\"env\") && resource.getTag(\"env\") == \"prod\" };\n";
    assert!(unguarded(guarded).is_empty());
}
