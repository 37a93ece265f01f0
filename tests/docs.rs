//! Every rule is documented, and the expectation comes from the registry
//! (`cedarcheck_analyzer::RULES`), not from a list kept by hand: a rule added without its
//! documentation sections, without its README row, or missing from `cedarcheck rules` fails
//! here, and so does a README row for a rule that no longer exists.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use cedarcheck_analyzer::{Rule, RULES};
use support::cedarcheck;

const README: &str = include_str!("../README.md");

/// The sections of a rule's documentation, in this order (see `Rule::doc`).
const SECTIONS: [&str; 3] = ["## What it does", "## Why is this bad?", "## Example"];

/// `cedarcheck rules ARGS` in the repository; its stdout, after checking it exited 0.
fn rules(args: &[&str]) -> String {
    let mut all = vec!["rules"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = cedarcheck(Path::new(env!("CARGO_MANIFEST_DIR")), &all);
    assert_eq!(code, 0, "cedarcheck {all:?}: {stderr}");
    stdout
}

/// The rows of the README's rule tables: the lines of its `## Rules` section that start with
/// a backquoted id, split into cells.
fn readme_rule_rows() -> Vec<Vec<&'static str>> {
    let start = README
        .find("\n## Rules\n")
        .expect("the README has a `## Rules` section");
    let section = &README[start + 1..];
    let end = section[1..].find("\n## ").map_or(section.len(), |i| i + 1);
    section[..end]
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            // `\|` inside a cell is an escaped pipe, not a cell boundary.
            let mut cells = Vec::new();
            let mut rest = line.trim().trim_matches('|');
            while let Some(i) = (0..rest.len()).find(|&i| {
                rest.as_bytes()[i] == b'|' && (i == 0 || rest.as_bytes()[i - 1] != b'\\')
            }) {
                cells.push(rest[..i].trim());
                rest = &rest[i + 1..];
            }
            cells.push(rest.trim());
            cells
        })
        .collect()
}

#[test]
fn the_registry_is_not_empty_and_its_ids_are_unique() {
    let ids: BTreeSet<_> = RULES.iter().map(|rule| rule.id).collect();
    assert!(RULES.len() >= 26, "{} rules", RULES.len());
    assert_eq!(ids.len(), RULES.len(), "a rule id is registered twice");
}

#[test]
fn readme_rule_tables_have_one_row_per_registered_rule() {
    let rows = readme_rule_rows();
    let mut failures = Vec::new();
    for rule in RULES {
        let id = format!("`{}`", rule.id);
        let matching: Vec<_> = rows.iter().filter(|row| row[0] == id).collect();
        match matching.as_slice() {
            [row] => {
                let expected = [
                    id.as_str(),
                    rule.category.as_str(),
                    rule.default_level.as_str(),
                ];
                if row.len() != 4 || row[..3] != expected || row[3].is_empty() {
                    failures.push(format!(
                        "{}: README row {row:?}, expected {expected:?} and what it fires on",
                        rule.id
                    ));
                }
            }
            [] => failures.push(format!(
                "{}: no README row `| `{0}` | {} | {} | … |`",
                rule.id,
                rule.category.as_str(),
                rule.default_level.as_str()
            )),
            _ => failures.push(format!("{}: {} README rows", rule.id, matching.len())),
        }
    }
    for row in &rows {
        let id = row[0].trim_matches('`');
        if cedarcheck_analyzer::rule(id).is_none() {
            failures.push(format!(
                "README row for `{id}`, which is not a registered rule"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A line of the `cedarcheck rules` table: three padded words, then the summary.
fn columns(line: &str) -> [String; 4] {
    let mut rest = line;
    let mut word = || {
        let trimmed = rest.trim_start();
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        rest = &trimmed[end..];
        trimmed[..end].to_string()
    };
    let (id, category, level) = (word(), word(), word());
    [id, category, level, rest.trim().to_string()]
}

#[test]
fn rules_lists_every_rule_of_the_registry_in_its_order() {
    let text = rules(&[]);
    let mut lines = text.lines();
    let header: Vec<_> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["rule", "category", "default", "summary"], "{text}");
    let listed: Vec<[String; 4]> = lines.map(columns).collect();
    let expected: Vec<[String; 4]> = RULES
        .iter()
        .map(|rule| {
            [
                rule.id,
                rule.category.as_str(),
                rule.default_level.as_str(),
                rule.summary,
            ]
            .map(str::to_string)
        })
        .collect();
    assert_eq!(listed, expected, "{text}");
}

/// What a rule's documentation must hold: the three sections in order, none empty, and an
/// example with its fix (a Cedar block, `Use instead…:`, another Cedar block).
fn doc_problems(rule: &Rule, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let positions: Vec<Option<usize>> = SECTIONS.iter().map(|s| text.find(s)).collect();
    for (section, position) in SECTIONS.iter().zip(&positions) {
        if position.is_none() {
            problems.push(format!("{}: no `{section}`", rule.id));
        }
    }
    let found: Vec<usize> = positions.iter().flatten().copied().collect();
    if !found.is_sorted() {
        problems.push(format!("{}: sections out of order", rule.id));
    }
    if let [Some(what), Some(why), Some(example)] = positions[..] {
        let body = |from: usize, heading: &str, to: usize| text[from + heading.len()..to].trim();
        if body(what, SECTIONS[0], why).is_empty() || body(why, SECTIONS[1], example).is_empty() {
            problems.push(format!("{}: an empty section", rule.id));
        }
        let example = &text[example..];
        let fix = example.find("Use instead");
        let bad = example.find("```cedar");
        let good = fix.and_then(|fix| example[fix..].find("```cedar"));
        if bad.is_none() || fix.is_none() || good.is_none() || bad > fix {
            problems.push(format!(
                "{}: `## Example` needs a ```cedar block, `Use instead…:` and the fix in another",
                rule.id
            ));
        }
    }
    problems
}

#[test]
fn every_rule_s_documentation_has_its_sections_and_an_example_with_its_fix() {
    let problems: Vec<String> = RULES
        .iter()
        .flat_map(|rule| doc_problems(rule, rule.doc))
        .collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn rules_id_prints_each_rule_s_documentation() {
    let mut problems = Vec::new();
    for rule in RULES {
        let text = rules(&[rule.id]);
        let head = format!(
            "# {}\n\nCategory: {} · default level: {}\n\n{}\n\n",
            rule.id,
            rule.category.as_str(),
            rule.default_level.as_str(),
            rule.summary
        );
        if !text.starts_with(&head) {
            problems.push(format!(
                "{}: does not start with {head:?}:\n{text}",
                rule.id
            ));
        }
        if !text.contains(rule.doc.trim_end()) {
            problems.push(format!(
                "{}: the documentation is not printed whole",
                rule.id
            ));
        }
        problems.extend(doc_problems(rule, &text));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// docs/architecture.md names files and directories for newcomers to open: every `crates/…`
/// path, and every backquoted path in `src/`, `tests/` or `docs/` or ending in `.rs`, must exist, so a file that moves without
/// its mention fails here. Placeholders (`<rule_id>.rs`) and `…` are not paths.
#[test]
fn architecture_doc_names_only_paths_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = include_str!("../docs/architecture.md");
    let mut named = BTreeSet::new();
    for (i, quoted) in doc.split('`').enumerate() {
        // Odd pieces are inside backquotes.
        let in_repository = ["crates/", "src/", "tests/", "docs/"]
            .iter()
            .any(|dir| quoted.starts_with(dir));
        if i % 2 == 1 && (in_repository || quoted.ends_with(".rs")) {
            named.insert(quoted.to_string());
        }
    }
    for word in doc.split(|c: char| c.is_whitespace() || "`()|,;:".contains(c)) {
        if word.starts_with("crates/") {
            named.insert(word.trim_end_matches('.').to_string());
        }
    }
    let missing: Vec<&String> = named
        .iter()
        .filter(|path| !path.contains(['<', '…', ' ']))
        .filter(|path| !root.join(path).exists())
        .collect();
    assert!(named.len() >= 30, "only {} paths found", named.len());
    assert!(
        missing.is_empty(),
        "docs/architecture.md names missing paths: {missing:?}"
    );
}
