//! `IncrementalCheck` must give exactly the findings of `check` (ids, spans, messages, order,
//! levels) after every edit, whatever it reused: each step of every sequence below checks the
//! same input both ways, with one `IncrementalCheck` kept across the steps.

use std::path::Path;

use cedarcheck_analyzer::{check, Finding, IncrementalCheck, PolicySetInput, Settings, SourceFile};

const SCHEMA: &str = r#"namespace Ops {
  type Ctx = { mfa: Bool, ticket?: String };
  entity Team;
  entity Operator in [Team] { team: Team, role: String };
  entity Host { environment: String, owner: Team };
  action ReadLogs appliesTo { principal: [Operator], resource: [Host], context: Ctx };
  action RebootHost appliesTo { principal: [Operator], resource: [Host], context: Ctx };
}
"#;

/// Policies with the things a statement split must get right: `;` in strings, comments and
/// annotations, quotes in comments, escapes, a template, a duplicate id, suppressions,
/// policies without `@id`, findings of every kind.
const POLICIES: &str = r#"// Operators; "quoted" in a comment
@id("read-logs")
permit (
  principal is Ops::Operator,
  action == Ops::Action::"ReadLogs",
  resource is Ops::Host
) when { resource.environment == "a;b\";c" && context.mfa };

@id("reboot;prod") @advice("semi; colon")
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
unless { context has ticket };
permit (principal, action, resource) when { true };   // permit-all; no id
@id("read-logs")
permit (principal == ?principal, action == Ops::Action::"ReadLogs", resource)
when { resource.enviroment == "prod" };
@cedarcheck_ignore("unscoped-principal")
permit (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.environment like "*" && principal.role == "x*y" };
// trailing comment without a newline ;"#;

const LINKS: &str = r#"[
  {"template_id": "read-logs", "link_id": "alice-logs", "args": {"?principal": "Ops::Operator::\"alice\""}},
  {"template_id": "nope", "link_id": "broken", "args": {}}
]"#;

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile::new(path, text)
}

fn input(policies: &[(&str, &str)], schema: Option<&str>, links: Option<&str>) -> PolicySetInput {
    PolicySetInput {
        policies: policies.iter().map(|(p, t)| file(p, t)).collect(),
        schema: schema.map(|s| file("ops.cedarschema", s)),
        links: links.map(|l| file("links.json", l)).into_iter().collect(),
    }
}

/// What must be equal: everything, in order. `check` settles what Cedar leaves to hash
/// order (which of several equally close names a "did you mean" suggests, the order of
/// the validator's findings on one span), and the incremental check must settle it the same.
fn comparable(findings: &[Finding]) -> Vec<Vec<Finding>> {
    findings.iter().map(|f| vec![f.clone()]).collect()
}

/// Checks `input` both ways and fails on the first difference.
fn same(incremental: &mut IncrementalCheck, input: &PolicySetInput, settings: &Settings) {
    let expected: Vec<Finding> = check(input, settings).findings;
    let actual = incremental.check(input, settings);
    if comparable(&actual) != comparable(&expected) {
        let show = |f: &[Finding]| {
            f.iter()
                .map(|f| {
                    format!(
                        "{} {}:{:?} {:?} {}",
                        f.rule, f.file, f.span, f.policy_id, f.message
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "incremental findings differ for\n{:#?}\n--- check:\n{}\n--- incremental:\n{}",
            input.policies.iter().map(|f| &f.text).collect::<Vec<_>>(),
            show(&expected),
            show(&actual)
        );
    }
}

#[test]
fn the_base_set_has_findings_of_every_stage() {
    // The comparisons below are only worth something if the set has findings to compare.
    let input = input(&[("p.cedar", POLICIES)], Some(SCHEMA), Some(LINKS));
    let findings = check(&input, &Settings::default()).findings;
    let rules: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    for rule in [
        "duplicate-policy-id",
        "schema-error",
        "parse-error",
        "permit-all",
        "missing-policy-id",
        "wildcard-pattern",
        "wildcard-equality",
    ] {
        assert!(rules.contains(rule), "no {rule} in {findings:#?}");
    }
    same(&mut IncrementalCheck::new(), &input, &Settings::default());
}

#[test]
fn edits_that_add_remove_rename_and_break_policies() {
    let settings = Settings::default();
    let mut incremental = IncrementalCheck::new();
    let extra = "permit (principal, action == Ops::Action::\"ReadLogs\", resource) when { context.nope };\n";
    let edits: Vec<String> = vec![
        POLICIES.to_string(),
        // Type in the middle of a condition (one policy changes, the rest shift).
        POLICIES.replacen("context.mfa", "context.mfa ", 1),
        // Add a policy at the start: every later policy moves and `policyN` ids renumber.
        format!("{extra}{POLICIES}"),
        // ...and at the end.
        format!("{POLICIES}\n{extra}"),
        // Remove the first policy.
        POLICIES
            .split_once("context.mfa };")
            .map(|(_, rest)| rest.to_string())
            .unwrap(),
        // Rename an id: the duplicate goes away, and comes back under another name.
        POLICIES.replacen("@id(\"read-logs\")", "@id(\"read-logs-2\")", 1),
        POLICIES.replace("@id(\"reboot;prod\")", "@id(\"read-logs\")"),
        // An empty id falls back to `policyN`.
        POLICIES.replacen("@id(\"read-logs\")", "@id(\"\")", 1),
        // Break the syntax in several ways, then fix it.
        POLICIES.replacen("context.mfa };", "context.mfa }", 1),
        POLICIES.replacen("context.mfa };", "context.mfa };;", 1),
        POLICIES.replacen("\"a;b\\\";c\"", "\"a;b", 1),
        POLICIES.replacen("\"a;b\\\";c\"", "\"a;b\\\nc\"", 1),
        POLICIES.replacen("(principal, action, resource)", "(principal, action)", 1),
        format!("{POLICIES}\npermit"),
        format!("{POLICIES}\n// only a comment after the last policy"),
        POLICIES.to_string(),
        // A comment that a carriage return ends: Cedar reads the policy after it.
        POLICIES.replacen(
            "// Operators;",
            "// Operators;\r@id(\"cr\") forbid (principal, action, resource);",
            1,
        ),
        // Two identical policies (the same statement text twice).
        format!("{extra}{extra}{POLICIES}"),
        // Nothing, then only trivia.
        String::new(),
        "  \n// nothing here;\n".to_string(),
        // Too deeply nested to parse.
        format!(
            "permit (principal, action, resource) when {{ {} }};",
            "(".repeat(2000)
        ),
        POLICIES.to_string(),
    ];
    for text in &edits {
        let input = input(&[("p.cedar", text)], Some(SCHEMA), Some(LINKS));
        same(&mut incremental, &input, &settings);
    }
    // The same sequence backwards, from the state the forward pass left.
    for text in edits.iter().rev() {
        let input = input(&[("p.cedar", text)], Some(SCHEMA), Some(LINKS));
        same(&mut incremental, &input, &settings);
    }
}

#[test]
fn edits_to_the_schema_and_the_links() {
    let settings = Settings::default();
    let mut incremental = IncrementalCheck::new();
    let schemas = [
        Some(SCHEMA.to_string()),
        // An attribute disappears: policies that read it stop validating.
        Some(SCHEMA.replace("environment: String, ", "")),
        // A schema that does not parse, then one that parses but is inconsistent.
        Some(SCHEMA.replace("entity Team;", "entity Team")),
        // (One undeclared name: with several, Cedar's message names one of them at random.)
        Some(SCHEMA.replace("owner: Team", "owner: Teem")),
        None,
        Some(SCHEMA.replace("role: String", "role: Long")),
        Some(SCHEMA.to_string()),
    ];
    let links = [
        Some(LINKS.to_string()),
        // Links with findings of their own: a principal of a type the action does not
        // apply to, and of a type the schema does not declare.
        Some(LINKS.replace(
            r#"{"template_id": "nope", "link_id": "broken", "args": {}}"#,
            r#"{"template_id": "read-logs", "link_id": "host", "args": {"?principal": "Ops::Host::\"h\""}},
  {"template_id": "read-logs", "link_id": "ghost", "args": {"?principal": "Ops::Ghost::\"g\""}}"#,
        )),
        None,
        Some("[not json".to_string()),
        Some(LINKS.replace("read-logs", "reboot;prod")),
        Some(LINKS.replace("\"broken\"", "\"alice-logs\"")),
    ];
    // With the first `read-logs` renamed, the links name the template.
    let linked = POLICIES.replacen("@id(\"read-logs\")", "@id(\"read-logs-1\")", 1);
    let with_links = input(&[("p.cedar", &linked)], Some(SCHEMA), links[1].as_deref());
    let found = check(&with_links, &settings).findings;
    for link in ["host", "ghost"] {
        assert!(
            found
                .iter()
                .any(|f| f.message.starts_with(&format!("in link `{link}`"))),
            "no validation finding of link {link} in {found:#?}"
        );
    }
    for schema in &schemas {
        for link in &links {
            for policies in [POLICIES, &linked] {
                let input = input(&[("p.cedar", policies)], schema.as_deref(), link.as_deref());
                same(&mut incremental, &input, &settings);
            }
        }
    }
}

#[test]
fn several_files_settings_and_renames() {
    let mut incremental = IncrementalCheck::new();
    let other = "permit (principal, action, resource is Ops::Host) when { resource.owner == 1 };\n@id(\"read-logs\") forbid (principal, action, resource);";
    let default = Settings::default();
    let mut quiet = Settings::default();
    quiet.set_level("missing-policy-id", None);
    quiet.set_level("schema-error", Some(cedarcheck_analyzer::Level::Warn));
    let steps: Vec<(Vec<(&str, &str)>, &Settings)> = vec![
        (vec![("p.cedar", POLICIES)], &default),
        // A second file: ids without `@id` become `FILE#policyN`.
        (vec![("p.cedar", POLICIES), ("q.cedar", other)], &default),
        (vec![("q.cedar", other), ("p.cedar", POLICIES)], &default),
        // The same texts under other paths.
        (vec![("a/p.cedar", POLICIES), ("q.cedar", other)], &default),
        (vec![("a/p.cedar", POLICIES), ("q.cedar", other)], &quiet),
        (vec![("q.cedar", other)], &quiet),
        (vec![("q.cedar", other)], &default),
    ];
    for (files, settings) in &steps {
        let input = input(files, Some(SCHEMA), Some(LINKS));
        same(&mut incremental, &input, settings);
    }
    // A file that is not UTF-8 is reported as such and read no further.
    let mut input = input(&[("p.cedar", POLICIES)], Some(SCHEMA), None);
    input.policies.push(SourceFile::from_bytes(
        "bad.cedar",
        b"permit \xff(principal, action, resource);".to_vec(),
    ));
    same(&mut incremental, &input, &Settings::default());
}

/// Random edits: insertions and deletions of the pieces that move statement boundaries
/// (quotes, `;`, comments, line ends, whole policies) and of ordinary text, anywhere or at a
/// statement boundary. An edit that breaks the syntax is compared too, then the walk goes on
/// from the last text that parsed, so most steps reuse statements and some fall back.
#[test]
fn random_edits_keep_the_findings_of_check() {
    let settings = Settings::default();
    let mut incremental = IncrementalCheck::new();
    let palette = [
        ";", "\"", "//", "\n", "\r", "\\", " ", "}", "x", "é", "\"a;b\"",
        "@id(\"x\")", "@id(\"read-logs\")", "@cedarcheck_ignore(\"permit-all\")",
        "\npermit (principal, action, resource);",
        "\n@id(\"f\") forbid (principal, action, resource is Ops::Host) when { resource.environment == \";\" };",
        "\n// a comment; with \"quotes\n",
        "\npermit (principal == ?principal, action, resource) when { context.mfa };",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |bound: usize| {
        // xorshift64*: reproducible without a dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound.max(1)
    };
    let mut good = POLICIES.to_string();
    let (mut parsed, mut broken) = (0, 0);
    for _ in 0..250 {
        let mut text = good.clone();
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        let statement_ends: Vec<usize> = text.match_indices(';').map(|(i, _)| i + 1).collect();
        let at = if next(2) == 0 && !statement_ends.is_empty() {
            statement_ends[next(statement_ends.len())]
        } else {
            boundaries[next(boundaries.len())]
        };
        match next(4) {
            0 if at < text.len() => {
                let end = boundaries
                    .iter()
                    .copied()
                    .filter(|&b| b > at)
                    .nth(next(12))
                    .unwrap_or(text.len());
                text.replace_range(at..end, "");
            }
            1 => {
                // Delete from here to the end of the statement.
                let end = text[at..].find(';').map_or(text.len(), |i| at + i + 1);
                text.replace_range(at..end, "");
            }
            _ => text.insert_str(at, palette[next(palette.len())]),
        }
        let input = input(&[("p.cedar", &text)], Some(SCHEMA), Some(LINKS));
        same(&mut incremental, &input, &settings);
        if check(&input, &settings)
            .findings
            .iter()
            .any(|f| f.rule == "parse-error" && f.file == "p.cedar")
        {
            broken += 1;
        } else {
            parsed += 1;
            good = text;
        }
    }
    // Both paths were taken, many times.
    assert!(
        parsed > 50 && broken > 50,
        "{parsed} parsed, {broken} broken"
    );
}

/// The example policy set and every rule fixture, checked one after the other with the same
/// `IncrementalCheck` (statements come and go between them).
#[test]
fn the_repository_s_policy_sets_give_the_same_findings() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read =
        |path: &Path, name: String| SourceFile::from_bytes(name, std::fs::read(path).unwrap());
    let mut incremental = IncrementalCheck::new();
    let example = manifest.join("../../policies");
    let mut policies: Vec<SourceFile> = std::fs::read_dir(&example)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cedar"))
        .map(|p| {
            read(
                &p,
                format!("policies/{}", p.file_name().unwrap().to_string_lossy()),
            )
        })
        .collect();
    policies.sort_by(|a, b| a.path.cmp(&b.path));
    assert!(!policies.is_empty());
    let input = PolicySetInput {
        policies,
        schema: Some(read(
            &example.join("openclaw.cedarschema"),
            "policies/openclaw.cedarschema".into(),
        )),
        links: Vec::new(),
    };
    same(&mut incremental, &input, &Settings::default());

    let fixtures = manifest.join("tests/fixtures");
    let schema = read(
        &fixtures.join("schema.cedarschema"),
        "schema.cedarschema".into(),
    );
    let mut dirs: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let own = dir.join("schema.cedarschema");
        let schema = if own.exists() {
            read(&own, "schema.cedarschema".into())
        } else {
            schema.clone()
        };
        for name in ["bad.cedar", "good.cedar"] {
            let input = PolicySetInput {
                policies: vec![read(&dir.join(name), name.into())],
                schema: Some(schema.clone()),
                links: Vec::new(),
            };
            same(&mut incremental, &input, &Settings::default());
        }
    }
}
