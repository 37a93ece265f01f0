//! Adopting cedarcheck in a legacy repository: `--write-baseline` records today's findings,
//! `--baseline` fails only on new ones (whatever moved), and `@cedarcheck_ignore` waives a
//! rule for one policy.

mod support;

use support::cedarcheck;

use serde_json::Value;
use tempfile::TempDir;

const SCHEMA: &str = r#"namespace Ops {
  entity User;
  entity Doc;
  action Read appliesTo { principal: User, resource: Doc };
}
"#;

/// Three legacy findings: permit-all (error) on `legacy-all`, missing-policy-id (info) and
/// unscoped-resource (warning) on the unnamed policy.
const LEGACY: &str = r#"@id("legacy-all")
permit(principal, action, resource);

permit(principal is Ops::User, action == Ops::Action::"Read", resource);
"#;

fn workspace() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/s.cedarschema"), SCHEMA).unwrap();
    std::fs::write(dir.path().join("policies/legacy.cedar"), LEGACY).unwrap();
    dir
}

#[test]
fn baseline_round_trip_fails_only_on_new_findings() {
    let dir = workspace();
    let root = dir.path();
    // A git work tree: baseline paths are relative to its root, wherever cedarcheck runs.
    std::fs::create_dir(root.join(".git")).unwrap();
    let (code, stdout, stderr) = cedarcheck(
        root,
        &[
            "check",
            "--format",
            "compact",
            "--write-baseline",
            "baseline.json",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("wrote 3 findings to baseline.json"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(root.join("baseline.json")).unwrap();
    let json: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(
        json["findings"],
        serde_json::json!([
            { "rule": "permit-all", "file": "policies/legacy.cedar", "policy": "legacy-all", "count": 1 },
            { "rule": "missing-policy-id", "file": "policies/legacy.cedar", "policy": "policy1", "count": 1 },
            { "rule": "unscoped-resource", "file": "policies/legacy.cedar", "policy": "policy1", "count": 1 },
        ])
    );
    assert!(!written.contains("line"), "no line numbers: {written}");

    // Today's findings are all recorded.
    let (code, stdout, _) = cedarcheck(
        root,
        &[
            "check",
            "--format",
            "compact",
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout,
        "All checks passed: 2 policies in 2 files; 3 baselined findings not shown.\n"
    );

    // Lines move: comments and blank lines above and between. Still nothing new.
    let moved = format!(
        "// Moved down by an unrelated edit.\n// And again.\n\n{}",
        LEGACY.replace(
            "\n\npermit(principal is",
            "\n\n// reviewed\n\n\npermit(principal is"
        )
    );
    std::fs::write(root.join("policies/legacy.cedar"), &moved).unwrap();
    let (code, stdout, _) = cedarcheck(
        root,
        &[
            "check",
            "--format",
            "compact",
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(code, 0, "moved findings stay baselined: {stdout}");
    assert!(
        stdout.contains("3 baselined findings not shown"),
        "{stdout}"
    );
    let (_, unfiltered, _) = cedarcheck(root, &["check", "--format", "compact"]);
    assert!(
        unfiltered.contains("policies/legacy.cedar:5:1: error[permit-all]"),
        "the findings did move: {unfiltered}"
    );

    // A new finding fails, and is the only one shown.
    let new = format!("{moved}\n@id(\"new-all\")\npermit(principal, action, resource);\n");
    std::fs::write(root.join("policies/legacy.cedar"), new).unwrap();
    let (code, stdout, _) = cedarcheck(
        root,
        &[
            "check",
            "--format",
            "compact",
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(code, 1, "{stdout}");
    let findings: Vec<&str> = stdout.lines().filter(|l| l.contains('[')).collect();
    assert_eq!(findings.len(), 1, "{stdout}");
    assert!(
        findings[0].contains("error[permit-all] policy `new-all`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Found 1 error (3 policies in 2 files); 3 baselined findings not shown."),
        "{stdout}"
    );

    // Machine formats say it too, and the baseline works from a subdirectory (which is a
    // zero-config workspace of its own, in the same git work tree).
    let (_, stdout, _) = cedarcheck(
        &root.join("policies"),
        &[
            "check",
            "--format",
            "json",
            "--baseline",
            "../baseline.json",
        ],
    );
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["summary"]["baselined"], 3);
    assert_eq!(json["findings"].as_array().unwrap().len(), 1);
    let (_, stdout, _) = cedarcheck(root, &["check", "--format", "json"]);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["summary"].get("baselined"),
        None,
        "only with --baseline"
    );
    assert_eq!(json["findings"].as_array().unwrap().len(), 4);
}

#[test]
fn a_second_finding_of_a_recorded_kind_is_new() {
    let dir = workspace();
    let root = dir.path();
    cedarcheck(root, &["check", "--write-baseline", "b.json"]);
    // A second permit-all under the same id is a duplicate id and a second permit-all.
    let text = format!("{LEGACY}\n@id(\"legacy-all\")\npermit(principal, action, resource);\n");
    std::fs::write(root.join("policies/legacy.cedar"), text).unwrap();
    let (code, stdout, _) = cedarcheck(
        root,
        &["check", "--format", "compact", "--baseline", "b.json"],
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("error[permit-all]"), "{stdout}");
    assert!(stdout.contains("error[duplicate-policy-id]"), "{stdout}");
}

#[test]
fn a_bad_baseline_is_a_located_error() {
    let dir = workspace();
    let root = dir.path();
    let (code, _, stderr) = cedarcheck(root, &["check", "--baseline", "missing.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("cedarcheck: error: missing.json: cannot read the baseline"),
        "{stderr}"
    );

    std::fs::write(
        root.join("bad.json"),
        "{\n  \"version\": 1,\n  \"findings\": [,]\n}\n",
    )
    .unwrap();
    let (code, _, stderr) = cedarcheck(root, &["check", "--baseline", "bad.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("cedarcheck: error: bad.json:3:16: invalid JSON"),
        "{stderr}"
    );

    std::fs::write(root.join("v9.json"), "{\"version\": 9, \"findings\": []}").unwrap();
    let (code, _, stderr) = cedarcheck(root, &["check", "--baseline", "v9.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("baseline version 9 is not supported"),
        "{stderr}"
    );

    std::fs::write(
        root.join("shape.json"),
        "{\"version\": 1, \"findings\": [{\"rule\": 1}]}",
    )
    .unwrap();
    let (code, _, stderr) = cedarcheck(root, &["check", "--baseline", "shape.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("shape.json:1:"), "{stderr}");
    assert!(stderr.contains("invalid baseline"), "{stderr}");

    let (code, _, _) = cedarcheck(
        root,
        &[
            "check",
            "--baseline",
            "a.json",
            "--write-baseline",
            "b.json",
        ],
    );
    assert_eq!(code, 2, "the two flags conflict");

    let (code, _, stderr) = cedarcheck(root, &["check", "--write-baseline", "no/such/dir/b.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot write the baseline"), "{stderr}");
}

#[test]
fn an_ignore_annotation_waives_exactly_its_rules_and_typos_are_reported() {
    let dir = workspace();
    let root = dir.path();
    let waived = r#"@id("legacy-all")
@cedarcheck_ignore("permit-all")
permit(principal, action, resource);

@cedarcheck_ignore("missing-policy-id, unscoped-resources")
permit(principal is Ops::User, action == Ops::Action::"Read", resource);
"#;
    std::fs::write(root.join("policies/legacy.cedar"), waived).unwrap();
    let (code, stdout, _) = cedarcheck(root, &["check", "--format", "compact"]);
    assert_eq!(code, 1);
    let findings: Vec<&str> = stdout.lines().filter(|l| l.contains('[')).collect();
    assert_eq!(
        findings,
        [
            "policies/legacy.cedar:5:40: warn[unknown-ignored-rule] `@cedarcheck_ignore` names `unscoped-resources`, which is not a rule; it silences nothing",
            "policies/legacy.cedar:6:63: info[unscoped-resource] permit `policy1` applies to every resource",
        ],
        "{stdout}"
    );
}
