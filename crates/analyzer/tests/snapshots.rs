//! Every static rule's fixtures with their whole findings, as reviewed insta snapshots in
//! `snapshots/`: rule, level, file:line:col (start and end), policy, message, help, related
//! places and whether a counterexample comes with it. `rules.rs` checks which lines a rule
//! reports; these pin down what it says there. `cargo insta review` shows a change for review;
//! under `CI=true` a missing snapshot fails instead of being written.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{
    check, Finding, LineIndex, PolicySetInput, Settings, Source, SourceFile, Span, RULES,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path, name: &str) -> SourceFile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    SourceFile::from_bytes(name, bytes)
}

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
        writeln!(out, "{at}: {}[{}] {}", f.level, f.rule, f.message).unwrap();
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

/// `file` of `dir` checked alone, with the fixture schema (its directory's own, or none when
/// it has a `schemaless` file), as `rules.rs` checks it.
fn findings_of(dir: &Path, file: &str) -> String {
    let own_schema = dir.join("schema.cedarschema");
    let schema = if dir.join("schemaless").exists() {
        None
    } else if own_schema.exists() {
        Some(read(&own_schema, "schema.cedarschema"))
    } else {
        Some(read(
            &fixtures().join("schema.cedarschema"),
            "schema.cedarschema",
        ))
    };
    let policy = read(&dir.join(file), file);
    let input = PolicySetInput {
        policies: vec![policy.clone()],
        schema: schema.clone(),
        links: vec![],
    };
    let report = check(&input, &Settings::default());
    let files: Vec<&SourceFile> = std::iter::once(&policy).chain(schema.as_ref()).collect();
    render(&report.findings, &files)
}

#[test]
fn every_static_rule_says_on_its_fixtures_what_its_snapshot_says() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for rule in RULES
            .iter()
            .filter(|r| !matches!(r.source, Source::Deep | Source::Diff))
        {
            let dir = fixtures().join(rule.id);
            let snapshot = format!(
                "# bad.cedar\n{}\n# good.cedar\n{}",
                findings_of(&dir, "bad.cedar"),
                findings_of(&dir, "good.cedar")
            );
            insta::assert_snapshot!(rule.id, snapshot);
        }
    });
}
