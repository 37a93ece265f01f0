//! The same input gives byte-identical `check` output on every run, in every format — even
//! where Cedar's own messages depend on the order of its hash maps, which changes from process
//! to process: "did you mean" among equally close names, several errors at one span, and a
//! schema with several undeclared types or actions (tests/fixtures/determinism/).

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

const RUNS: usize = 20;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/determinism")
}

/// The first line where `a` and `b` differ, for the failure message.
fn first_difference(a: &str, b: &str) -> String {
    let (mut a_lines, mut b_lines) = (a.lines(), b.lines());
    for line in 1.. {
        match (a_lines.next(), b_lines.next()) {
            (None, None) => return "no line differs".to_string(),
            (x, y) if x != y => {
                return format!("line {line}:\n  first run: {x:?}\n  this run:  {y:?}")
            }
            _ => {}
        }
    }
    unreachable!()
}

#[test]
fn check_output_is_the_same_on_every_run_in_every_format() {
    for format in ["pretty", "compact", "json", "sarif", "github", "junit"] {
        let args = ["check", "--format", format, "--color", "never"];
        let first = support::cedarcheck(&fixture(), &args);
        assert_eq!(first.0, 1, "{}\n{}", first.1, first.2);
        for run in 2..=RUNS {
            let again = support::cedarcheck(&fixture(), &args);
            assert!(
                again == first,
                "--format {format}: run {run} differs from the first: {}\nfirst run:\n{}{}",
                first_difference(
                    &format!("{}{}", first.1, first.2),
                    &format!("{}{}", again.1, again.2)
                ),
                first.1,
                first.2,
            );
        }
    }
}

/// What the runs agree on is a fixed choice: the first of the closest names, all undeclared
/// types in order, errors at one span ordered by message.
#[test]
fn ties_are_broken_by_name() {
    let (code, stdout, stderr) = support::cedarcheck(&fixture(), &["check", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let find = |needle: &str| {
        findings
            .iter()
            .find(|f| f["message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no finding says {needle:?}:\n{stdout}"))
    };

    let typo = find("unrecognized entity type `Usera`");
    assert_eq!(typo["help"], "did you mean `Userb`?", "{typo}");
    let action = find("unrecognized action `Action::\"viez\"`");
    assert_eq!(
        action["help"], "did you mean `Action::\"viea\"`?",
        "{action}"
    );

    let per_action: Vec<&str> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .filter(|m| m.starts_with("attribute `nickname`"))
        .collect();
    assert_eq!(
        per_action,
        [
            "attribute `nickname` on entity type `Admin` not found",
            "attribute `nickname` on entity type `Userb` not found",
        ]
    );

    // The undeclared types in the order the schema names them; the finding points at the first.
    let cedar = find("failed to resolve types: Foo, Group, Zone");
    assert_eq!(cedar["file"], "broken-cedar/app.cedarschema", "{cedar}");
    assert_eq!(cedar["start"]["line"], 1, "{cedar}");
    assert_eq!(cedar["start"]["column"], 18, "{cedar}");
    let json_schema = find("failed to resolve types: Home, Group, Zone");
    assert_eq!(json_schema["file"], "broken-json/app.cedarschema.json");
    assert_eq!(json_schema["start"]["line"], 7, "{json_schema}");
    // Undeclared parent actions, by name.
    find(
        r#"undeclared actions: Action::"alpha", Action::"gamma", Action::"mid dle", and Action::"zeta""#,
    );
}
