//! Every rule is tested alone on its fixtures: `fixtures/<rule-id>/bad.cedar` marks each line
//! where a finding starts with `//~ rule-id` (several ids may follow), and `good.cedar` — the
//! fix — must come out clean of every rule. Fixtures are validated against
//! `fixtures/schema.cedarschema` unless their directory has its own.

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

/// (line, rule) of every finding when `file` is checked alone with its fixture schema.
fn findings(dir: &Path, file: &str) -> BTreeSet<(usize, String)> {
    let own_schema = dir.join("schema.cedarschema");
    let schema = if own_schema.exists() {
        own_schema
    } else {
        fixtures().join("schema.cedarschema")
    };
    let policy = read(&dir.join(file));
    let input = PolicySetInput {
        policies: vec![policy.clone()],
        schema: Some(read(&schema)),
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
        if !expected.iter().any(|(_, id)| id == rule.id) {
            failures.push(format!("{}: bad.cedar marks no `//~ {0}` finding", rule.id));
        }
        let actual = findings(&dir, "bad.cedar");
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
