//! `unreachable-action` through the binary: the finding at the schema's action declaration,
//! `[analysis] intentionally-denied` silencing it, and an entry that names no action of the
//! schema as a config error at its line and column.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{cedarcheck, have_cvc5};
use tempfile::TempDir;

const SCHEMA: &str = r#"namespace Ops {
  entity Operator;
  entity Host;
  action RebootHost appliesTo { principal: [Operator], resource: [Host] };
  action ExportAll appliesTo { principal: [Operator], resource: [Host] };
}
"#;

const POLICIES: &str = r#"@id("operators-reboot")
permit (principal == Ops::Operator::"alice", action == Ops::Action::"RebootHost", resource is Ops::Host);
"#;

fn workspace(analysis: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "policies = [\"policies.cedar\"]\nschema = \"ops.cedarschema\"\n\n[analysis]\n{analysis}"
    );
    std::fs::write(dir.path().join("cedarcheck.toml"), config).unwrap();
    std::fs::write(dir.path().join("ops.cedarschema"), SCHEMA).unwrap();
    std::fs::write(dir.path().join("policies.cedar"), POLICIES).unwrap();
    dir
}

/// `cedarcheck ARGS` in `dir` with the cvc5 on PATH.
fn with_cvc5(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn an_action_nobody_can_perform_is_reported_at_its_declaration_unless_denied_by_design() {
    if !have_cvc5(
        "an_action_nobody_can_perform_is_reported_at_its_declaration_unless_denied_by_design",
    ) {
        return;
    }
    let dir = workspace("");
    let (code, stdout, stderr) = with_cvc5(
        dir.path(),
        &["check", "--format", "compact", "--fail-level", "info"],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    let found: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("[unreachable-action]"))
        .collect();
    assert_eq!(
        found,
        ["ops.cedarschema:5:10: info[unreachable-action] no request can perform `Ops::Action::\"ExportAll\"`: no permit applies to it, in its one request environment (Ops::Operator, Ops::Action::\"ExportAll\", Ops::Host)"],
        "{stdout}"
    );

    let dir = workspace("intentionally-denied = ['Ops::Action::\"ExportAll\"']\n");
    let (code, stdout, stderr) = with_cvc5(
        dir.path(),
        &["check", "--format", "compact", "--fail-level", "info"],
    );
    assert!(!stdout.contains("unreachable-action"), "{stdout}{stderr}");
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn an_intentionally_denied_entry_that_names_no_action_is_a_config_error_at_its_place() {
    // Checked once the schema loads, with or without cvc5.
    let dir = workspace("intentionally-denied = [\n  'Ops::Action::\"Export\"',\n]\n");
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "cedarcheck.toml:6:3: `Ops::Action::\"Export\"` in [analysis] intentionally-denied \
             is not an action of the schema (its actions: Ops::Action::\"ExportAll\", \
             Ops::Action::\"RebootHost\")"
        ),
        "{stderr}"
    );

    let dir = workspace("intentionally-denied = ['ExportAll']\n");
    let (code, _, stderr) = cedarcheck(dir.path(), &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "cedarcheck.toml:5:25: `ExportAll` in [analysis] intentionally-denied is not an \
             action uid like `Ops::Action::\"read\"`"
        ),
        "{stderr}"
    );
}

#[test]
fn in_one_set_of_several_an_entry_of_another_namespace_is_another_sets() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("ops/ops.cedarschema", SCHEMA);
    write("ops/policies.cedar", POLICIES);
    write(
        "billing/billing.cedarschema",
        "namespace Billing {\n  entity Clerk;\n  entity Invoice;\n  action Purge appliesTo { principal: [Clerk], resource: [Invoice] };\n}\n",
    );
    write(
        "billing/policies.cedar",
        "@id(\"none\")\nforbid (principal, action, resource);\n",
    );
    let config = |entry: &str| {
        format!(
            "[analysis]\nintentionally-denied = ['{entry}']\n\n[[set]]\nname = \"ops\"\npolicies = [\"ops/*.cedar\"]\n\n[[set]]\nname = \"billing\"\npolicies = [\"billing/*.cedar\"]\n"
        )
    };
    write("cedarcheck.toml", &config("Billing::Action::\"Purge\""));
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_ne!(code, 2, "{stdout}{stderr}");
    assert!(!stderr.contains("intentionally-denied"), "{stderr}");

    // A typo in the billing namespace is still an error, at its place.
    write("cedarcheck.toml", &config("Billing::Action::\"Purg\""));
    let (code, _, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "cedarcheck.toml:2:25: `Billing::Action::\"Purg\"` in [analysis] intentionally-denied \
             is not an action of the schema (its actions: Billing::Action::\"Purge\")"
        ),
        "{stderr}"
    );
}
