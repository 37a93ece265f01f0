//! Every rule is tested alone on its fixtures: `fixtures/<rule-id>/bad.cedar` marks each line
//! where a finding starts with `//~ rule-id` (several ids may follow; `rule-id@level` also
//! checks the finding's level, for every finding of that rule in the file), and `good.cedar` — the
//! fix — must come out clean of every rule. Fixtures are validated against
//! `fixtures/schema.cedarschema` unless their directory has its own, or without a schema when
//! it has a `schemaless` file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{check, LineIndex, PolicySetInput, Settings, Source, SourceFile, RULES};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path) -> SourceFile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    SourceFile::from_bytes(path.file_name().unwrap().to_string_lossy(), bytes)
}

/// (line, rule, level) of every finding when `file` is checked alone with its fixture schema,
/// or with none when its directory has a `schemaless` file.
fn findings(dir: &Path, file: &str) -> BTreeSet<(usize, String, String)> {
    let own_schema = dir.join("schema.cedarschema");
    let schema = if dir.join("schemaless").exists() {
        None
    } else if own_schema.exists() {
        Some(read(&own_schema))
    } else {
        Some(read(&fixtures().join("schema.cedarschema")))
    };
    let policy = read(&dir.join(file));
    let input = PolicySetInput {
        policies: vec![policy.clone()],
        schema,
        links: vec![],
    };
    let report = check(&input, &Settings::default());
    let index = LineIndex::new(&policy.text);
    report
        .findings
        .iter()
        .map(|f| {
            assert_eq!(
                f.file,
                policy.path,
                "{}: finding outside the fixture: {f:?}",
                dir.display()
            );
            (
                index.position(&policy.text, f.span.start).line,
                f.rule.to_string(),
                f.level.to_string(),
            )
        })
        .collect()
}

/// (line, rule) for every `//~ rule …` marker.
fn markers(path: &Path) -> BTreeSet<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| line.split_once("//~").map(|(_, ids)| (i + 1, ids)))
        .flat_map(|(line, ids)| ids.split_whitespace().map(move |id| (line, id.to_string())))
        .collect()
}

#[test]
fn every_rule_reports_exactly_its_marked_lines_and_passes_its_fix() {
    let mut failures = Vec::new();
    // The solver-backed rules have their fixtures in the prover crate, diff's in its tests.
    for rule in RULES
        .iter()
        .filter(|r| !matches!(r.source, Source::Deep | Source::Diff))
    {
        let dir = fixtures().join(rule.id);
        let (bad, good) = (dir.join("bad.cedar"), dir.join("good.cedar"));
        if !bad.exists() || !good.exists() {
            failures.push(format!(
                "{}: needs fixtures/{0}/bad.cedar and good.cedar",
                rule.id
            ));
            continue;
        }
        let expected = markers(&bad);
        if !expected
            .iter()
            .any(|(_, id)| id.split('@').next() == Some(rule.id))
        {
            failures.push(format!("{}: bad.cedar marks no `//~ {0}` finding", rule.id));
        }
        // The rules whose markers give a level are compared with their findings' levels.
        let levelled: BTreeSet<&str> = expected
            .iter()
            .filter_map(|(_, id)| id.split_once('@').map(|(rule, _)| rule))
            .collect();
        let actual: BTreeSet<(usize, String)> = findings(&dir, "bad.cedar")
            .into_iter()
            .map(|(line, rule, level)| {
                if levelled.contains(rule.as_str()) {
                    (line, format!("{rule}@{level}"))
                } else {
                    (line, rule)
                }
            })
            .collect();
        if actual != expected {
            failures.push(format!(
                "{}: bad.cedar\n  expected {expected:?}\n  actual   {actual:?}",
                rule.id
            ));
        }
        let clean = findings(&dir, "good.cedar");
        if !clean.is_empty() {
            failures.push(format!("{}: good.cedar is not clean: {clean:?}", rule.id));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_is_documented() {
    for rule in RULES {
        for section in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(
                rule.doc.contains(section),
                "{}: doc lacks `{section}`",
                rule.id
            );
        }
        assert!(
            rule.doc.contains("```cedar"),
            "{}: doc has no Cedar example",
            rule.id
        );
        assert!(
            !rule.summary.is_empty() && !rule.summary.ends_with('.'),
            "{}: summary",
            rule.id
        );
        let kebab = rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        assert!(kebab, "{}: ids are kebab-case", rule.id);
    }
    let ids: BTreeSet<_> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), RULES.len(), "rule ids are unique");
}

/// (line, message, help) of every `rule` finding when `file` of `fixtures/<rule>` is checked.
fn explained(rule: &str, file: &str) -> Vec<(usize, String, Option<String>)> {
    let dir = fixtures().join(rule);
    let policy = read(&dir.join(file));
    let input = PolicySetInput {
        policies: vec![policy.clone()],
        schema: Some(read(&fixtures().join("schema.cedarschema"))),
        links: vec![],
    };
    let index = LineIndex::new(&policy.text);
    check(&input, &Settings::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            let line = index.position(&policy.text, f.span.start).line;
            (line, f.message, f.help)
        })
        .collect()
}

#[test]
fn wildcard_equality_never_suggests_a_pattern_that_matches_everything() {
    let like = "use `like` for a pattern, but `like` treats every `*` as a wildcard: escape a `*` meant literally as `\\*`";
    let found = explained("wildcard-equality", "bad.cedar");
    assert_eq!(
        found,
        [
            (
                3,
                "`==` compares with the literal string \"/var/log/secure/*\"; `*` is a wildcard only with `like`".to_string(),
                Some(like.to_string()),
            ),
            (
                7,
                "`==` compares with the literal string \"/var/log/nginx/*\"; `*` is a wildcard only with `like`".to_string(),
                Some(like.to_string()),
            ),
            (
                12,
                "`==` compares with the literal one-character string \"*\"; it is not a wildcard and matches only that exact value".to_string(),
                Some("if the value \"*\" is meant, keep `==` and silence this with @cedarcheck_ignore(\"wildcard-equality\") above the policy".to_string()),
            ),
        ]
    );
}

#[test]
fn unscoped_action_says_how_to_keep_every_action_on_purpose() {
    let found = explained("unscoped-action", "bad.cedar");
    assert_eq!(found.len(), 2, "{found:?}");
    for (_, message, help) in found {
        assert!(message.ends_with("applies to every action"), "{message}");
        let help = help.unwrap();
        assert!(
            help.contains("@cedarcheck_ignore(\"unscoped-action\")"),
            "{help}"
        );
    }
}

/// The `impossible-policy` findings of `policies` checked against `schema`, as
/// (policy, level, message).
fn impossible(schema: &str, policies: &str) -> Vec<(String, String, String)> {
    let input = PolicySetInput {
        policies: vec![SourceFile::new("p.cedar", policies)],
        schema: Some(SourceFile::new("s.cedarschema", schema)),
        links: vec![],
    };
    check(&input, &Settings::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == "impossible-policy")
        .map(|f| {
            (
                f.policy_id.unwrap_or_default(),
                f.level.to_string(),
                f.message,
            )
        })
        .collect()
}

const AGENTS: &str = r#"
entity Agent;
entity Session;
entity Tool;
action agent_spawn appliesTo { principal: [Agent], resource: [Session] };
action call appliesTo { principal: [Agent], resource: [Tool] };
action "admin";
"#;

#[test]
fn an_impossible_policy_gets_one_finding_that_says_why() {
    let found = impossible(
        AGENTS,
        r#"
@id("block-spawn")
forbid (principal, action == Action::"agent_spawn", resource is Tool);

@id("sessions-call")
permit (principal is Session, action == Action::"call", resource is Tool);

@id("spawn-anything")
permit (principal is Tool, action == Action::"agent_spawn", resource is Tool);

@id("no-calls-or-spawns")
forbid (principal, action in [Action::"call", Action::"agent_spawn"], resource is Agent);

@id("never")
permit (principal is Agent, action == Action::"call", resource is Tool)
when { principal is Session };

@id("no-admin")
forbid (principal, action == Action::"admin", resource);

@id("agents-in-sessions")
permit (principal is Agent in Session::"s", action == Action::"call", resource is Tool)
when { context has x };
"#,
    );
    let expected = [
        (
            "block-spawn",
            "error",
            "forbid `block-spawn` can never apply: `Action::\"agent_spawn\"` does not apply \
             to resource type `Tool` (it applies to `Session`)",
        ),
        (
            "sessions-call",
            "warn",
            "permit `sessions-call` can never apply: `Action::\"call\"` does not apply to \
             principal type `Session` (it applies to `Agent`)",
        ),
        (
            "spawn-anything",
            "warn",
            "permit `spawn-anything` can never apply: `Action::\"agent_spawn\"` does not apply \
             to principal type `Tool` (it applies to `Agent`), nor to resource type `Tool` \
             (it applies to `Session`)",
        ),
        (
            "no-calls-or-spawns",
            "error",
            "forbid `no-calls-or-spawns` can never apply: none of its 2 actions applies to \
             resource type `Agent`",
        ),
        (
            "never",
            "warn",
            "permit `never` can never apply: its condition is always false for every request \
             the schema allows",
        ),
        (
            "no-admin",
            "error",
            "forbid `no-admin` can never apply: `Action::\"admin\"` applies to no principal \
             and resource (it has no `appliesTo`)",
        ),
        (
            "agents-in-sessions",
            "warn",
            "permit `agents-in-sessions` can never apply: its principal `is Agent in \
             Session::\"s\"` matches no entity (the schema never puts `Agent` in `Session`)",
        ),
    ]
    .map(|(id, level, message)| (id.to_string(), level.to_string(), message.to_string()));
    assert_eq!(found, expected);
}

#[test]
fn a_forbid_that_can_never_apply_is_one_level_above_the_configured_level() {
    let input = PolicySetInput {
        policies: vec![SourceFile::new(
            "p.cedar",
            "forbid (principal, action == Action::\"agent_spawn\", resource is Tool);\n\
             permit (principal is Tool, action == Action::\"agent_spawn\", resource is Session);",
        )],
        schema: Some(SourceFile::new("s.cedarschema", AGENTS)),
        links: vec![],
    };
    let mut settings = Settings::default();
    settings.set_level("impossible-policy", Some(cedarcheck_analyzer::Level::Info));
    let levels: Vec<(String, String)> = check(&input, &settings)
        .findings
        .into_iter()
        .filter(|f| f.rule == "impossible-policy")
        .map(|f| (f.policy_id.unwrap_or_default(), f.level.to_string()))
        .collect();
    assert_eq!(
        levels,
        [("policy0", "warn"), ("policy1", "info")].map(|(id, level)| (id.into(), level.into()))
    );
    settings.set_level("impossible-policy", None);
    assert!(check(&input, &settings)
        .findings
        .iter()
        .all(|f| f.rule != "impossible-policy"));
}

#[test]
fn the_incremental_check_says_the_same_about_impossible_policies() {
    let policies = r#"
@id("block-spawn")
forbid (principal, action == Action::"agent_spawn", resource is Tool);

@id("spawner")
permit (principal == ?principal, action == Action::"agent_spawn", resource is Session);

@id("never")
permit (principal is Agent, action == Action::"call", resource is Tool)
when { principal is Session };
"#;
    let links = r#"[{"template_id": "spawner", "link_id": "tool-spawns", "args": {"?principal": "Tool::\"t\""}}]"#;
    let input = |policies: &str| PolicySetInput {
        policies: vec![SourceFile::new("p.cedar", policies)],
        schema: Some(SourceFile::new("s.cedarschema", AGENTS)),
        links: vec![SourceFile::new("l.links.json", links)],
    };
    let settings = Settings::default();
    let mut incremental = cedarcheck_analyzer::IncrementalCheck::new();
    // The second round reuses the validation of the unchanged policies.
    let edited =
        format!("permit (principal, action, resource is Agent) when {{ false }};\n{policies}");
    for text in [policies, edited.as_str(), policies] {
        let expected = check(&input(text), &settings).findings;
        assert_eq!(incremental.check(&input(text), &settings), expected);
        let impossible: Vec<_> = expected
            .iter()
            .filter(|f| f.rule == "impossible-policy")
            .map(|f| {
                (
                    f.policy_id.as_deref().unwrap_or_default(),
                    f.message.as_str(),
                )
            })
            .collect();
        assert!(
            impossible.contains(&(
                "tool-spawns",
                "in link `tool-spawns`: the linked permit can never apply: \
                 `Action::\"agent_spawn\"` does not apply to principal type `Tool` (it applies \
                 to `Agent`)"
            )),
            "{impossible:#?}"
        );
        assert_eq!(
            impossible
                .iter()
                .filter(|(id, _)| *id == "block-spawn")
                .count(),
            1,
            "{impossible:#?}"
        );
    }
}

/// (rule, level, message, help, spanned text) of every finding of `rule` when `policies` is
/// checked, with `schema` when one is given.
fn fail_open(
    rule: &str,
    schema: Option<&str>,
    policies: &str,
) -> Vec<(String, String, String, String, String)> {
    let input = PolicySetInput {
        policies: vec![SourceFile::new("policies.cedar", policies)],
        schema: schema.map(|text| SourceFile::new("schema.cedarschema", text)),
        links: vec![],
    };
    check(&input, &Settings::default())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            (
                f.rule.to_string(),
                f.level.to_string(),
                f.message,
                f.help.unwrap_or_default(),
                policies[f.span.start..f.span.end].to_string(),
            )
        })
        .collect()
}

const TOOL_SCHEMA: &str = r#"
type Ctx = { tool: String, is_mcp_tool_known?: Bool };
entity User;
entity Tool;
action call_tool appliesTo { principal: [User], resource: [Tool], context: Ctx };
"#;

#[test]
fn in_non_entity_names_the_expression_and_the_contains_fix() {
    let policies = "forbid (principal, action, resource)\n\
                    when { context has tool && context.tool in [\"shell\", \"exec\"] };\n";
    assert_eq!(
        fail_open("in-non-entity", None, policies),
        [(
            "in-non-entity".to_string(),
            "error".to_string(),
            "`context.tool in [\"shell\", \"exec\"]`: `in` works on entities only, and its right \
             side is a set of strings; this makes the forbid error at runtime, and Cedar skips \
             it (fails open)"
                .to_string(),
            "test set membership with `.contains`: `[\"shell\", \"exec\"].contains(context.tool)`"
                .to_string(),
            "context.tool in [\"shell\", \"exec\"]".to_string(),
        )]
    );
}

#[test]
fn in_non_entity_leaves_entity_membership_and_validated_sets_alone() {
    let readers = "permit (principal, action, resource)\n\
                   when { resource has readers && principal in resource.readers };\n";
    assert_eq!(fail_open("in-non-entity", None, readers), []);
    // With a schema, strict validation reports the operands as type errors; the rule stays
    // silent.
    let policies = "forbid (principal, action == Action::\"call_tool\", resource)\n\
                    when { context.tool in [\"shell\", \"exec\"] };\n";
    assert_eq!(fail_open("in-non-entity", Some(TOOL_SCHEMA), policies), []);
    let errors = fail_open("schema-error", Some(TOOL_SCHEMA), policies);
    let spanned: Vec<&str> = errors.iter().map(|e| e.4.as_str()).collect();
    assert_eq!(
        spanned,
        ["context.tool", "[\"shell\", \"exec\"]"],
        "{errors:?}"
    );
}

#[test]
fn unguarded_attribute_reports_the_first_unguarded_read_once() {
    let policies = "forbid (principal, action, resource)\n\
                    when { context.is_mcp_tool_known == false || !context.is_mcp_tool_known };\n";
    assert_eq!(
        fail_open("unguarded-attribute", None, policies),
        [(
            "unguarded-attribute".to_string(),
            "error".to_string(),
            "`context.is_mcp_tool_known` is read without `context has is_mcp_tool_known`: a \
             request without it makes this forbid error, and Cedar skips it (fails open)"
                .to_string(),
            "write `when { !(context has is_mcp_tool_known) || (context.is_mcp_tool_known == \
             false || !context.is_mcp_tool_known) }`: a request without it is then forbidden \
             too (fail closed)"
                .to_string(),
            "context.is_mcp_tool_known".to_string(),
        )]
    );
}

#[test]
fn unguarded_attribute_accepts_guards_and_stays_silent_with_a_schema() {
    for guarded in [
        "context has is_mcp_tool_known && context.is_mcp_tool_known == false",
        "!(context has is_mcp_tool_known) || context.is_mcp_tool_known == false",
        "if context has is_mcp_tool_known then context.is_mcp_tool_known == false else true",
        "context has session.risk && context.session.risk > 5",
        "(principal has team && resource has owner) && principal.team == resource.owner",
    ] {
        let policies = format!("forbid (principal, action, resource) when {{ {guarded} }};\n");
        assert_eq!(
            fail_open("unguarded-attribute", None, &policies),
            [],
            "{guarded}"
        );
    }
    let policies = "forbid (principal, action == Action::\"call_tool\", resource)\n\
                    when { context.is_mcp_tool_known == false };\n";
    assert_eq!(
        fail_open("unguarded-attribute", Some(TOOL_SCHEMA), policies),
        []
    );
}

#[test]
fn a_fail_open_permit_is_one_level_below_the_configured_level() {
    let input = PolicySetInput {
        policies: vec![SourceFile::new(
            "p.cedar",
            "forbid (principal, action, resource) when { context.risk > 5 };\n\
             permit (principal, action, resource) when { context.tool in \"read\" };\n",
        )],
        schema: None,
        links: vec![],
    };
    let mut settings = Settings::default();
    settings.set_level(
        "unguarded-attribute",
        Some(cedarcheck_analyzer::Level::Warn),
    );
    settings.set_level("in-non-entity", Some(cedarcheck_analyzer::Level::Warn));
    let levels: Vec<(String, String, String)> = check(&input, &settings)
        .findings
        .into_iter()
        .filter(|f| matches!(f.rule, "unguarded-attribute" | "in-non-entity"))
        .map(|f| {
            (
                f.policy_id.unwrap_or_default(),
                f.rule.to_string(),
                f.level.to_string(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("policy0", "unguarded-attribute", "warn"),
            ("policy1", "unguarded-attribute", "info"),
            ("policy1", "in-non-entity", "info"),
        ]
        .map(|(id, rule, level)| (id.into(), rule.into(), level.into()))
    );
}
