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
