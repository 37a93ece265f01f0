//! `cedarcheck init`: a commented starter cedarcheck.toml that describes the directory, loads,
//! and is never written over an existing one.

mod support;

use std::path::Path;
use support::cedarcheck;

const SCHEMA: &str = r#"namespace Ops {
  entity User;
  entity Doc;
  action Read appliesTo { principal: User, resource: Doc };
}
"#;

const GOOD: &str = r#"@id("users-read-docs")
permit(principal is Ops::User, action == Ops::Action::"Read", resource is Ops::Doc);
"#;

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn init_describes_the_directory_and_check_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "policies/app.cedarschema", SCHEMA);
    write(root, "policies/app.cedar", GOOD);
    write(root, "tests/app.json", "[]");
    write(
        root,
        "tests/invariants/no-admin.cedar",
        "forbid(principal, action, resource);\n",
    );
    write(root, "target/junk.cedar", "not cedar");
    let (code, stdout, stderr) = cedarcheck(root, &["init"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Wrote ./cedarcheck.toml"), "{stdout}");
    let config = std::fs::read_to_string(root.join("cedarcheck.toml")).unwrap();
    for line in [
        "policies = [\"policies/**/*.cedar\"]\n",
        "schema = \"policies/app.cedarschema\"\n",
        "tests = [\"tests/**/*.json\"]\n",
        "invariants = [\"tests/invariants/**/*.cedar\"]\n",
        "# links = [",
        "[rules]\n# missing-policy-id = \"error\"\n",
        "# deep = \"auto\"",
    ] {
        assert!(config.contains(line), "lacks {line:?}:\n{config}");
    }
    let comments = config.lines().filter(|l| l.starts_with('#')).count();
    assert!(comments >= 10, "commented:\n{config}");
    // check picks it up: the invariant is not loaded as a policy, the junk is not read.
    let (code, stdout, stderr) = cedarcheck(root, &["check", "-v", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("cedarcheck.toml"), "{stderr}");
    assert!(stdout.contains("1 policy in 2 files"), "{stdout}");
}

#[test]
fn init_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cedarcheck.toml", "# mine\n");
    write(dir.path(), "a.cedar", GOOD);
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["init"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains("cedarcheck.toml already exists; not overwriting it"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("cedarcheck.toml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn several_schemas_are_offered_commented_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "one.cedarschema", SCHEMA);
    write(root, "two.cedarschema", SCHEMA);
    write(root, "a.cedar", GOOD);
    let (code, stdout, _) = cedarcheck(root, &["init"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("2 found (one.cedarschema, two.cedarschema)"),
        "{stdout}"
    );
    let config = std::fs::read_to_string(root.join("cedarcheck.toml")).unwrap();
    assert!(config.contains("policies = [\"**/*.cedar\"]\n"), "{config}");
    assert!(config.contains("# schema = \"one.cedarschema\"\n# schema = \"two.cedarschema\"\n"));
    // Choosing one makes check work.
    let chosen = config.replace("# schema = \"two", "schema = \"two");
    std::fs::write(root.join("cedarcheck.toml"), chosen).unwrap();
    let (code, stdout, stderr) = cedarcheck(root, &["check", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn an_empty_directory_gets_a_starter_and_a_missing_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = cedarcheck(dir.path(), &["init", "sub"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("sub: no such directory"), "{stderr}");
    let (code, stdout, _) = cedarcheck(dir.path(), &["init"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("0 files found"), "{stdout}");
    let config = std::fs::read_to_string(dir.path().join("cedarcheck.toml")).unwrap();
    assert!(config.contains("# schema = "), "{config}");
    let (code, _, stderr) = cedarcheck(dir.path(), &["init", "--config", "x.toml"]);
    assert_eq!(code, 2, "{stderr}");
}

/// `examples/` and `run/` each hold their own schema (one a Cedar JSON schema named
/// `schema.json`, found by its content) and policies: zero-config cannot tell which schema is
/// meant, and `init` proposes one `[[set]]` per deployment, says so, and `check` then checks
/// both sets, each against its own schema (a merged set would reject one side's policies).
#[test]
fn init_proposes_a_set_per_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zero_config_deployments");
    for file in [
        "examples/schema.json",
        "examples/photos.cedar",
        "run/app.cedarschema",
        "run/policies/app.cedar",
    ] {
        write(
            root,
            file,
            &std::fs::read_to_string(fixture.join(file)).unwrap(),
        );
    }
    let (code, _, stderr) = cedarcheck(root, &["check", "--format", "compact"]);
    assert_eq!(code, 2);
    assert!(
        stderr.ends_with(
            "found 2 schemas (examples/schema.json, run/app.cedarschema) and no cedarcheck.toml \
             saying which one to use; create one with `cedarcheck init`, which proposes a [[set]] \
             per directory that holds its own schema and policies, or set `schema = \"…\"` in it\n"
        ),
        "{stderr}"
    );

    let (code, stdout, stderr) = cedarcheck(root, &["init"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Wrote ./cedarcheck.toml:\n  \
         2 deployments, each with its own schema and policies: one [[set]] each\n  \
         [[set]] \"examples\": policies = [\"examples/**/*.cedar\"] (1 file), schema = \
         \"examples/schema.json\"\n  \
         [[set]] \"run\": policies = [\"run/policies/**/*.cedar\"] (1 file), schema = \
         \"run/app.cedarschema\"\n\
         Run `cedarcheck check` to check the policies; every key is explained in the file.\n"
    );
    let config = std::fs::read_to_string(root.join("cedarcheck.toml")).unwrap();
    assert!(
        config.contains(
            "[[set]]\nname = \"examples\"\npolicies = [\"examples/**/*.cedar\"]\n\
             schema = \"examples/schema.json\"\n\n\
             [[set]]\nname = \"run\"\npolicies = [\"run/policies/**/*.cedar\"]\n\
             schema = \"run/app.cedarschema\"\n"
        ),
        "{config}"
    );
    assert!(
        !config.contains("\npolicies = [\"**/*.cedar\"]"),
        "{config}"
    );

    let (code, stdout, stderr) = cedarcheck(root, &["check", "-v", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "All checks passed: 2 policies in 4 files.\n");
    assert!(
        stderr.contains(
            "cedarcheck: examples: 1 policy file(s), schema examples/schema.json\n\
             cedarcheck: run: 1 policy file(s), schema run/app.cedarschema\n"
        ),
        "{stderr}"
    );
}

/// A Cedar JSON schema named `schema.json` is found by its content, and policies in Cedar's
/// JSON format are named one by one (a `*.json` glob would take the tests too).
#[test]
fn init_finds_cedar_json_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let copy = |from: &str, to: &str| {
        write(
            root,
            to,
            &std::fs::read_to_string(fixtures.join(from)).unwrap(),
        );
    };
    copy(
        "zero_config_deployments/examples/schema.json",
        "policies/schema.json",
    );
    copy(
        "zero_config_deployments/examples/photos.cedar",
        "policies/photos.cedar",
    );
    write(
        root,
        "policies/more.json",
        r#"{"annotations": {"id": "users-view"}, "effect": "permit", "principal": {"op": "is", "entity_type": "Demo::User"}, "action": {"op": "==", "entity": {"type": "Demo::Action", "id": "View"}}, "resource": {"op": "is", "entity_type": "Demo::Photo"}, "conditions": []}"#,
    );
    write(root, "tests/photos.json", "[]");
    let (code, stdout, stderr) = cedarcheck(root, &["init"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "  policies   = [\"policies/**/*.cedar\", \"policies/more.json\"]  (2 files found)\n  \
             schema     = \"policies/schema.json\"\n  tests      = [\"tests/**/*.json\"]\n"
        ),
        "{stdout}"
    );
    let (code, stdout, stderr) = cedarcheck(root, &["check", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "All checks passed: 2 policies in 3 files.\n");
}
