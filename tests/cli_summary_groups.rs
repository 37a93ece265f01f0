//! `check`'s summary groups repeats of one finding (issue 13 §1): a schema whose actions
//! declare no `context` makes every policy that reads `context.mfa` a `schema-error` with the
//! same message, and the summary says so once, after every finding has been printed.

mod support;

use std::path::Path;

use support::cedarcheck;
use tempfile::TempDir;

const CONFIG: &str = "policies = [\"policies/**/*.cedar\"]\nschema = \"schema.cedarschema\"\n";

/// The actions declare no `context`: any `context.mfa` is an attribute that is not there.
const SCHEMA: &str = "entity User;\nentity Doc;\n\
                      action read appliesTo { principal: User, resource: Doc };\n";

/// A workspace with [`CONFIG`], [`SCHEMA`] and `policies/<id>.cedar` for each `(id, text)`.
fn project(policies: impl IntoIterator<Item = (String, String)>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("cedarcheck.toml", CONFIG);
    write("schema.cedarschema", SCHEMA);
    for (id, text) in policies {
        write(
            &format!("policies/{id}.cedar"),
            &format!("@id(\"{id}\")\n{text}"),
        );
    }
    dir
}

/// `n` policies `p01`, `p02`, … in their own files, each reading `context.mfa` with neither
/// principal nor resource constrained: two findings a policy (the schema error, and the broad
/// permit whose only guard is the context, with its open resource as related information).
fn workspace(n: usize) -> TempDir {
    project((1..=n).map(|i| {
        let text = "permit (principal, action == Action::\"read\", resource)\n\
                    when { context.mfa };\n";
        (format!("p{i:02}"), text.to_owned())
    }))
}

fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    cedarcheck(dir, &[&["check"], args].concat())
}

/// The pretty block for the twenty-policy workspace: the same schema error from every policy,
/// and the scope warning whose message differs only by the policy's id.
const PRETTY_BLOCK: &str = "\
Most frequent:
  20 × error[schema-error] attribute `mfa` in context for Action::\"read\" not found  (first at policies/p01.cedar:3:8)
  20 × warn[unscoped-principal] permit `…` applies to every principal, and its only guard is the request's `context`, which the caller supplies  (first at policies/p01.cedar:2:9)
Found 20 errors, 20 warnings (20 policies in 21 files).
";

const COMPACT_NOTES: &str = "\
note: most frequent: 20 × error[schema-error] attribute `mfa` in context for Action::\"read\" not found (first at policies/p01.cedar:3:8)
note: most frequent: 20 × warn[unscoped-principal] permit `…` applies to every principal, and its only guard is the request's `context`, which the caller supplies (first at policies/p01.cedar:2:9)
";

#[test]
fn pretty_prints_every_finding_then_the_most_frequent_groups() {
    let dir = workspace(20);
    let (code, stdout, _) = check(dir.path(), &["--format", "pretty", "--color", "never"]);
    assert_eq!(code, 1, "{stdout}");
    // Every finding is still there, each with its own location.
    assert_eq!(
        stdout.matches("[schema-error] Error:").count(),
        20,
        "{stdout}"
    );
    assert_eq!(stdout.matches("] Warning:").count(), 20, "{stdout}");
    for i in 1..=20 {
        let at = format!("─[ policies/p{i:02}.cedar:3:8 ]");
        assert!(stdout.contains(&at), "{at} missing:\n{stdout}");
    }
    // The block comes after the last finding and ends the output with the tally.
    assert!(
        stdout.ends_with(&format!("───╯\n{PRETTY_BLOCK}")),
        "{stdout}"
    );
    assert_eq!(stdout.matches("Most frequent:").count(), 1, "{stdout}");
}

#[test]
fn compact_keeps_stdout_one_finding_a_line_and_notes_the_groups_on_stderr() {
    let dir = workspace(20);
    let (code, stdout, stderr) = check(dir.path(), &["--format", "compact"]);
    assert_eq!(code, 1, "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let (summary, findings) = lines.split_last().unwrap();
    assert_eq!(findings.len(), 40, "{stdout}");
    assert!(
        findings.iter().all(|line| line.starts_with("policies/p")),
        "{stdout}"
    );
    assert_eq!(
        findings
            .iter()
            .filter(|line| line.contains(": error[schema-error] attribute `mfa` in context"))
            .count(),
        20,
        "{stdout}"
    );
    assert_eq!(
        *summary,
        "Found 20 errors, 20 warnings (20 policies in 21 files)."
    );
    assert!(!stdout.contains("frequent"), "{stdout}");
    assert!(stderr.ends_with(COMPACT_NOTES), "{stderr}");
}

#[test]
fn fewer_than_three_repeats_print_no_block() {
    let dir = workspace(2);
    let (code, stdout, _) = check(dir.path(), &["--format", "pretty", "--color", "never"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.matches("[schema-error] Error:").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.ends_with("───╯\nFound 2 errors, 2 warnings (2 policies in 3 files).\n"),
        "{stdout}"
    );
    let (_, stdout, stderr) = check(dir.path(), &["--format", "compact"]);
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    assert!(!stdout.contains("frequent"), "{stdout}");
    assert!(!stderr.contains("frequent"), "{stderr}");
}

#[test]
fn three_repeats_are_a_group() {
    let dir = workspace(3);
    let (_, _, stderr) = check(dir.path(), &["--format", "compact"]);
    assert!(
        stderr.contains(
            "note: most frequent: 3 × error[schema-error] attribute `mfa` in context for \
             Action::\"read\" not found (first at policies/p01.cedar:3:8)\n"
        ),
        "{stderr}"
    );
}

#[test]
fn quiet_json_and_sarif_have_no_block() {
    let dir = workspace(20);
    let (_, stdout, stderr) = check(
        dir.path(),
        &["--format", "pretty", "--color", "never", "--quiet"],
    );
    assert!(!stdout.contains("Most frequent"), "{stdout}");
    assert!(!stderr.contains("frequent"), "{stderr}");
    for format in ["json", "sarif", "github", "junit"] {
        let (_, stdout, stderr) = check(dir.path(), &["--format", format]);
        assert!(!stdout.contains("frequent"), "{format}: {stdout}");
        assert!(!stderr.contains("frequent"), "{format}: {stderr}");
    }
}

/// For each `(attribute, n)`, `n` policies `<attribute>01`, … reading `context.<attribute>`
/// with principal and resource constrained: one `schema-error` a policy.
fn attribute_workspace(attributes: &[(&str, usize)]) -> TempDir {
    project(attributes.iter().flat_map(|&(attribute, n)| {
        (1..=n).map(move |i| {
            let text = format!(
                "permit (principal is User, action == Action::\"read\", resource is Doc)\n\
                 when {{ context.{attribute} }};\n"
            );
            (format!("{attribute}{i:02}"), text)
        })
    }))
}

#[test]
fn at_most_five_groups_largest_first_then_by_message() {
    let dir = attribute_workspace(&[
        ("f", 3),
        ("e", 3),
        ("g", 10),
        ("d", 3),
        ("c", 3),
        ("b", 3),
        ("a", 3),
        ("h", 2),
    ]);
    let (code, stdout, _) = check(dir.path(), &["--format", "pretty", "--color", "never"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.matches("[schema-error] Error:").count(),
        30,
        "{stdout}"
    );
    let line = |n: &str, attribute: &str| {
        format!(
            "  {n} × error[schema-error] attribute `{attribute}` in context for Action::\"read\" \
             not found  (first at policies/{attribute}01.cedar:3:8)\n"
        )
    };
    let block = [
        "Most frequent:\n".to_owned(),
        line("10", "g"),
        line(" 3", "a"),
        line(" 3", "b"),
        line(" 3", "c"),
        line(" 3", "d"),
        "Found 30 errors (30 policies in 31 files).\n".to_owned(),
    ]
    .concat();
    assert!(stdout.ends_with(&format!("───╯\n{block}")), "{stdout}");
}
