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

/// A set large enough to be parsed and validated in chunks on several threads, with findings of every
/// kind the validator gives (errors, impossible policies, suspicious strings, errors in
/// links), rule findings and duplicate ids across three files: `--jobs 1` and `--jobs 4`
/// print the same bytes in every format.
#[test]
fn check_output_does_not_depend_on_the_number_of_jobs() {
    let dir = std::env::temp_dir().join(format!("cedarcheck-jobs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("app.cedarschema"),
        "entity Team;\n\
         entity User in [Team] { level: Long, name: String };\n\
         entity Doc { owner: User, public: Bool };\n\
         action view, edit appliesTo { principal: [User], resource: [Doc], \
         context: { mfa: Bool } };\n",
    )
    .unwrap();
    let policy = |file: usize, i: usize| -> String {
        let id = format!("f{file}-{i}");
        match i % 7 {
            0 => format!("@id(\"{id}\")\npermit (principal, action == Action::\"view\", resource) when {{ resource.owner.level > {i} }};"),
            1 => format!("@id(\"{id}\")\npermit (principal == User::\"u{i}\", action == Action::\"edit\", resource) when {{ resource.nope }};"),
            2 => format!("@id(\"{id}\")\nforbid (principal is Doc, action == Action::\"view\", resource);"),
            3 => format!("@id(\"{id}\")\npermit (principal in Team::\"t\", action, resource is Doc) when {{ principal.name == \"аdmin{i}\" }};"),
            4 => format!("@id(\"f0-{}\")\npermit (principal == User::\"u\", action == Action::\"view\", resource == Doc::\"d{i}\");", i - 1),
            5 => format!("@id(\"{id}\")\npermit (principal == ?principal, action == Action::\"view\", resource) when {{ context.mfa }};"),
            _ => format!("@id(\"{id}\")\npermit (principal == User::\"u{i}\", action == Action::\"undeclared\", resource);"),
        }
    };
    // The first file is large enough to be parsed in pieces.
    for (file, policies) in [900, 150, 150].into_iter().enumerate() {
        let text: Vec<String> = (0..policies).map(|i| policy(file, i)).collect();
        std::fs::write(dir.join(format!("p{file}.cedar")), text.join("\n\n") + "\n").unwrap();
    }
    let links: Vec<String> = (0..60)
        .map(|n| {
            let template = format!("f{}-{}", n % 3, 5 + 7 * (n % 20));
            // Every other link puts a Doc where the template wants a User.
            let principal = if n % 2 == 0 { "User" } else { "Doc" };
            format!(
                r#"{{"template_id":"{template}","link_id":"link-{n}","args":{{"?principal":"{principal}::\"x{n}\""}}}}"#
            )
        })
        .collect();
    std::fs::write(
        dir.join("app.links.json"),
        format!("[{}]\n", links.join(",\n")),
    )
    .unwrap();
    std::fs::write(
        dir.join("cedarcheck.toml"),
        "policies = [\"p*.cedar\"]\nschema = \"app.cedarschema\"\nlinks = [\"app.links.json\"]\n",
    )
    .unwrap();

    for format in ["pretty", "compact", "json", "sarif", "github", "junit"] {
        let run = |jobs: &str| {
            let args = ["check", "--no-deep", "--jobs", jobs, "--format", format];
            support::cedarcheck(&dir, &[&args[..], &["--color", "never"]].concat())
        };
        let one = run("1");
        assert_eq!(one.0, 1, "{}\n{}", one.1, one.2);
        let four = run("4");
        assert!(
            four == one,
            "--format {format}: --jobs 4 differs from --jobs 1: {}",
            first_difference(
                &format!("{}{}", one.1, one.2),
                &format!("{}{}", four.1, four.2)
            ),
        );
    }
    // Every kind of finding is there to be ordered.
    let (_, json, _) = support::cedarcheck(&dir, &["check", "--no-deep", "--format", "json"]);
    for rule in [
        "\"schema-error\"",
        "\"impossible-policy\"",
        "\"suspicious-identifier\"",
        "\"duplicate-policy-id\"",
        "in link `link-1`",
    ] {
        assert!(json.contains(rule), "no {rule} finding:\n{json}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
