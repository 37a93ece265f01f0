//! Every deep rule's fixtures with their whole solver-backed findings, as reviewed insta
//! snapshots in `snapshots/`: rule, level, file:line:col (start and end), policy, message, help,
//! related places and whether a counterexample comes with it (`deep_rules.rs` replays them).
//! `deep_rules.rs` checks which lines a rule reports; these pin down what it says there, and
//! which other deep rules speak on the same fixture. Skipped without cvc5, failing under
//! `CI=true`.

mod common;

use std::fmt::Write;

use cedarcheck_analyzer::{Finding, LineIndex, Source, SourceFile, Span, RULES};
use common::*;

/// `file:line:col-line:col` of `span` in whichever of `files` is named `file`.
fn place(files: &[&SourceFile], file: &str, span: Span) -> String {
    let Some(source) = files.iter().find(|s| s.path == file) else {
        return format!("{file}:{}..{}", span.start, span.end);
    };
    let index = LineIndex::new(&source.text);
    let (start, end) = (
        index.position(&source.text, span.start),
        index.position(&source.text, span.end),
    );
    format!(
        "{file}:{}:{}-{}:{}",
        start.line, start.column, end.line, end.column
    )
}

/// One block per finding, in the report's order.
fn render(findings: &[Finding], files: &[&SourceFile]) -> String {
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("(no findings)\n");
    }
    for f in findings {
        let at = place(files, &f.file, f.span);
        let message = solver_values_redacted(&f.message);
        writeln!(out, "{at}: {}[{}] {message}", f.level, f.rule).unwrap();
        if let Some(policy) = &f.policy_id {
            writeln!(out, "  policy: {policy}").unwrap();
        }
        if let Some(help) = &f.help {
            writeln!(out, "  help: {help}").unwrap();
        }
        for r in &f.related {
            writeln!(
                out,
                "  related: {}: {}",
                place(files, &r.file, r.span),
                r.message
            )
            .unwrap();
        }
        if f.counterexample.is_some() {
            out.push_str("  counterexample: yes\n");
        }
    }
    out
}

/// `message` with each backquoted integer of six digits or more — a value the solver chose for
/// a counterexample, which another cvc5 version may choose otherwise — written `[value]`.
fn solver_values_redacted(message: &str) -> String {
    let parts: Vec<&str> = message.split('`').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let digits = part.strip_prefix('-').unwrap_or(part);
            let quoted = i % 2 == 1;
            if quoted && digits.len() >= 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
                "[value]".to_string()
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

#[test]
fn every_deep_rule_says_on_its_fixtures_what_its_snapshot_says() {
    let Some(cvc5) = cvc5_or_skip("every_deep_rule_says_on_its_fixtures_what_its_snapshot_says")
    else {
        return;
    };
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for rule in RULES.iter().filter(|r| matches!(r.source, Source::Deep)) {
            let dir = fixtures().join(rule.id);
            // A rule whose findings stand in the schema has its own.
            let own_schema = dir.join("schema.cedarschema");
            let schema_path = if own_schema.exists() {
                own_schema
            } else {
                fixtures().join("schema.cedarschema")
            };
            let schema = source(&schema_path, "schema.cedarschema");
            let invariants_path = dir.join("invariants.cedar");
            let invariants: Vec<SourceFile> = if invariants_path.exists() {
                vec![source(&invariants_path, "invariants.cedar")]
            } else {
                vec![]
            };
            let mut snapshot = String::new();
            for file in ["bad.cedar", "good.cedar"] {
                let policy = source(&dir.join(file), file);
                let run = prove(
                    &schema,
                    vec![policy.clone()],
                    invariants.clone(),
                    solver(cvc5.clone(), 10_000),
                    Default::default(),
                );
                // The fixture schema's other actions have no permit in these sets: their
                // unreachable-action findings are noise outside that rule's own fixture.
                let mut findings: Vec<Finding> = run
                    .report
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule.id || f.rule != "unreachable-action")
                    .cloned()
                    .collect();
                findings.sort_by(|a, b| {
                    (&a.file, a.span.start, a.span.end, a.rule, &a.message).cmp(&(
                        &b.file,
                        b.span.start,
                        b.span.end,
                        b.rule,
                        &b.message,
                    ))
                });
                let files: Vec<&SourceFile> = std::iter::once(&policy)
                    .chain(&invariants)
                    .chain(std::iter::once(&schema))
                    .collect();
                write!(snapshot, "# {file}\n{}\n", render(&findings, &files)).unwrap();
            }
            insta::assert_snapshot!(rule.id, snapshot.trim_end());
        }
    });
}
