//! End-to-end tests of `[[set]]` tables without a `schema` key: each set is zero-config within
//! the directories its `policies` cover, so it takes the single schema next to its policies
//! (never another set's), asks which one when there are several, and goes without one (with
//! the zero-config note) when there is none.
//!
//! The binary runs in a fresh temporary directory without a solver (`$CVC5` names a missing
//! file), so what is asserted does not depend on cvc5 being installed.

use std::path::Path;
use std::process::Command;

/// Runs `cedarcheck ARGS` in `dir`; returns exit code, stdout and stderr.
fn cedarcheck(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cedarcheck"))
        .current_dir(dir)
        .args(args)
        .env("CVC5", "/nonexistent/cvc5")
        .env("NO_COLOR", "1")
        .output()
        .expect("cedarcheck runs");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8(output.stdout).unwrap(),
        stderr,
    )
}

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Two sets, neither with a `schema` key; `infra`'s policies lie one directory below the set's
/// own directory, so only its glob (not a common parent) decides where its schema may be.
const TWO_SETS: &str = r#"[[set]]
name = "app"
policies = ["app/**/*.cedar"]

[[set]]
name = "infra"
policies = ["infra/policies/*.cedar"]
"#;

const APP_SCHEMA: &str = r#"namespace App {
  entity User;
  entity Doc;
  action Read appliesTo { principal: User, resource: Doc };
}
"#;

const INFRA_SCHEMA: &str = r#"namespace Infra {
  entity Agent;
  entity Host;
  action Reboot appliesTo { principal: Agent, resource: Host };
}
"#;

const APP_POLICY: &str = r#"@id("users-read-docs")
permit(principal is App::User, action == App::Action::"Read", resource is App::Doc);
"#;

/// Its first policy is valid under the infra schema only, its second under the app schema
/// only: in the infra set, only the second is a schema error.
const INFRA_POLICIES: &str = r#"@id("agents-reboot-hosts")
permit(principal is Infra::Agent, action == Infra::Action::"Reboot", resource is Infra::Host);

@id("users-read-docs-here-too")
permit(principal is App::User, action == App::Action::"Read", resource is App::Doc);
"#;

fn two_sets() -> tempfile::TempDir {
    workspace(&[
        ("cedarcheck.toml", TWO_SETS),
        ("app/app.cedarschema", APP_SCHEMA),
        ("app/a.cedar", APP_POLICY),
        ("infra/policies/infra.cedarschema", INFRA_SCHEMA),
        ("infra/policies/b.cedar", INFRA_POLICIES),
    ])
}

#[test]
fn each_set_is_validated_against_the_schema_next_to_its_policies() {
    let ws = two_sets();
    let (code, stdout, stderr) = cedarcheck(ws.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    // The app policy is valid under the app schema, the first infra policy under the infra
    // schema; the infra set's copy of the app policy is not, so the infra set was validated
    // against the infra schema and the app set against the app schema.
    assert_eq!(
        stdout,
        "infra/policies/b.cedar:5:21: error[schema-error] unrecognized entity type `App::User`\n\
         infra/policies/b.cedar:5:42: error[schema-error] unrecognized action `App::Action::\"Read\"`\n\
         infra/policies/b.cedar:5:75: error[schema-error] unrecognized entity type `App::Doc`\n\
         Found 3 errors (3 policies in 4 files).\n",
        "{stderr}"
    );
    assert!(
        !stderr.contains("strict validation was skipped"),
        "{stderr}"
    );

    // Without the offending policy, both sets pass.
    let fixed = INFRA_POLICIES.split("\n\n").next().unwrap();
    std::fs::write(ws.path().join("infra/policies/b.cedar"), fixed).unwrap();
    let (code, stdout, stderr) = cedarcheck(ws.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stdout, "All checks passed: 2 policies in 4 files.\n");
}

#[test]
fn verbose_says_which_schema_each_set_took_and_why() {
    let ws = two_sets();
    let (_, stdout, stderr) = cedarcheck(ws.path(), &["check", "-v", "--format", "compact"]);
    assert!(
        stderr.contains(
            "cedarcheck: app: 1 policy file(s), schema app/app.cedarschema (no `schema` key: \
             the only schema next to its policies, in app/)\n"
        ),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains(
            "cedarcheck: infra: 1 policy file(s), schema infra/policies/infra.cedarschema (no \
             `schema` key: the only schema next to its policies, in infra/policies/)\n"
        ),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn a_set_with_two_schemas_next_to_its_policies_exits_2_and_asks_which() {
    let ws = two_sets();
    std::fs::write(
        ws.path().join("infra/policies/infra-v2.cedarschema.json"),
        "{}",
    )
    .unwrap();
    let (code, stdout, stderr) = cedarcheck(ws.path(), &["check"]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert_eq!(stdout, "");
    // Line 5, column 1: the infra set's `[[set]]` header.
    let config = ws.path().join("cedarcheck.toml");
    assert_eq!(
        stderr,
        format!(
            "cedarcheck: error: {}:5:1: the [[set]] `infra` has no `schema`, and 2 schemas lie \
             next to its policies (infra/policies/infra-v2.cedarschema.json, \
             infra/policies/infra.cedarschema): say which one it uses with `schema = \"…\"` in \
             this table\n",
            std::path::absolute(&config).unwrap().display()
        )
    );

    // Naming it settles it.
    let named = TWO_SETS.replace(
        "policies = [\"infra/policies/*.cedar\"]\n",
        "policies = [\"infra/policies/*.cedar\"]\nschema = \"infra/policies/infra.cedarschema\"\n",
    );
    std::fs::write(&config, named).unwrap();
    let (code, stdout, stderr) = cedarcheck(ws.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with(
            "infra/policies/b.cedar:5:21: error[schema-error] unrecognized entity type `App::User`"
        ),
        "{stdout}"
    );
}

#[test]
fn a_set_with_no_schema_next_to_its_policies_is_not_validated_and_says_so() {
    // The app schema lies outside the infra set's directories: it is not the infra set's.
    let ws = workspace(&[
        ("cedarcheck.toml", TWO_SETS),
        ("app/app.cedarschema", APP_SCHEMA),
        ("app/a.cedar", APP_POLICY),
        ("infra/policies/b.cedar", INFRA_POLICIES),
    ]);
    let (code, stdout, stderr) = cedarcheck(ws.path(), &["check", "-v", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stdout.contains("schema-error"), "{stdout}");
    assert!(
        stderr.contains(
            "cedarcheck: infra: 1 policy file(s), no schema (no `schema` key, and none next to \
             its policies, in infra/policies/)\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("note: infra under .: no schema found, so strict validation was skipped"),
        "{stderr}"
    );
}
