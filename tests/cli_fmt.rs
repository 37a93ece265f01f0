//! `cedarcheck fmt`: the same output as `cedar format` (recorded in tests/fixtures/fmt/),
//! idempotent, `--check` as a unified diff with exit 1, atomic writes that only touch files
//! that change, and a file that does not parse left exactly as it was.

mod support;

use std::path::{Path, PathBuf};

use cedarcheck_test_support::{require_tool, Tool};
use support::cedarcheck;

use tempfile::TempDir;

/// Valid Cedar, badly laid out, with comments the formatter must keep.
const MESSY: &str = r#"// Who may read.
@id("owner-reads")   permit(principal==Ops::User::"alice",action in [Ops::Action::"Read"],resource)when{resource.owner==principal&&context.mfa};
forbid(principal,action,resource) unless { principal has role && principal.role == "admin" } ; // trailing
"#;

/// What `cedar format` makes of [`MESSY`] (the recorded case `messy`).
const MESSY_FORMATTED: &str = r#"// Who may read.
@id("owner-reads")
permit (
  principal == Ops::User::"alice",
  action in [Ops::Action::"Read"],
  resource
)
when { resource.owner == principal && context.mfa };

forbid (principal, action, resource)
unless { principal has role && principal.role == "admin" }; // trailing
"#;

fn workspace(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

fn read(dir: &TempDir, path: &str) -> Vec<u8> {
    std::fs::read(dir.path().join(path)).unwrap()
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

#[test]
fn check_prints_a_unified_diff_exits_1_and_writes_nothing() {
    let dir = workspace(&[("a.cedar", MESSY.as_bytes())]);
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["fmt", "--check"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("--- a/a.cedar\n+++ b/a.cedar\n@@ -1,3 +1,11 @@\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\n-@id(\"owner-reads\")   permit(principal==Ops::User::\"alice\""));
    assert!(stdout.contains("\n+  principal == Ops::User::\"alice\",\n"));
    assert!(
        stdout.contains("\n // Who may read.\n"),
        "context lines: {stdout}"
    );
    assert!(stderr.contains("1 file would be reformatted, 0 files already formatted"));
    assert_eq!(read(&dir, "a.cedar"), MESSY.as_bytes());
}

#[test]
fn fmt_writes_cedar_format_s_layout_and_is_idempotent() {
    let dir = workspace(&[("a.cedar", MESSY.as_bytes())]);
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("1 file reformatted, 0 files left unchanged"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8(read(&dir, "a.cedar")).unwrap(),
        MESSY_FORMATTED
    );
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["a.cedar"]);

    let path = dir.path().join("a.cedar");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    #[cfg(unix)]
    let before = inode(&path);
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("0 files reformatted, 1 file left unchanged"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8(read(&dir, "a.cedar")).unwrap(),
        MESSY_FORMATTED
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    #[cfg(unix)]
    assert_eq!(inode(&path), before, "an unchanged file is not rewritten");
    let (code, stdout, _) = cedarcheck(dir.path(), &["fmt", "--check"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
#[cfg(unix)]
fn a_write_replaces_the_file_atomically_keeping_permissions_and_symlinks() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workspace(&[("real/a.cedar", MESSY.as_bytes())]);
    let real = dir.path().join("real/a.cedar");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("link.cedar")).unwrap();
    let before = inode(&real);
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt", "link.cedar"]);
    assert_eq!(code, 0, "{stderr}");
    let link = std::fs::symlink_metadata(dir.path().join("link.cedar")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is still a link");
    assert_eq!(std::fs::read_to_string(&real).unwrap(), MESSY_FORMATTED);
    assert_ne!(inode(&real), before, "written by rename, not in place");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_left_byte_for_byte_unchanged() {
    let broken: &[u8] =
        b"@id(\"x\")\r\npermit(principal,action,resource)\r\nwhen { \xc3\xa9 == ;\r\n  \t\n";
    let not_utf8: &[u8] = b"permit(principal, action, resource) when { \"\xff\" };\n";
    let deep = format!(
        "permit(principal, action, resource) when {{ {}true{} }};\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let dir = workspace(&[
        ("broken.cedar", broken),
        ("latin1.cedar", not_utf8),
        ("deep.cedar", deep.as_bytes()),
        ("ok.cedar", MESSY.as_bytes()),
    ]);
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["fmt"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("broken.cedar:3:"), "located: {stderr}");
    assert!(stderr.contains("error[parse-error]"), "{stderr}");
    assert!(stderr.contains("broken.cedar: not formatted"), "{stderr}");
    assert!(stderr.contains("latin1.cedar:1:"), "{stderr}");
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
    assert!(stderr.contains("deep.cedar:1:"), "{stderr}");
    assert!(
        stderr
            .contains("1 file reformatted, 0 files left unchanged, 3 files could not be formatted"),
        "{stderr}"
    );
    assert_eq!(read(&dir, "broken.cedar"), broken);
    assert_eq!(read(&dir, "latin1.cedar"), not_utf8);
    assert_eq!(read(&dir, "deep.cedar"), deep.as_bytes());
    // The files that parse are still formatted.
    assert_eq!(read(&dir, "ok.cedar"), MESSY_FORMATTED.as_bytes());
    // --check reports them the same way and touches nothing.
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt", "--check", "broken.cedar"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("broken.cedar:3:"), "{stderr}");
    assert_eq!(read(&dir, "broken.cedar"), broken);
}

#[test]
fn directories_follow_the_config_and_files_mean_just_those_files() {
    let dir = workspace(&[
        (
            "cedarcheck.toml",
            b"policies = [\"policies/**/*.cedar\"]\ninvariants = [\"invariants/*.cedar\"]\nexclude = [\"policies/vendor/**\"]\n",
        ),
        ("policies/a.cedar", MESSY.as_bytes()),
        ("policies/team/b.cedar", MESSY.as_bytes()),
        ("policies/vendor/c.cedar", MESSY.as_bytes()),
        ("invariants/i.cedar", MESSY.as_bytes()),
        ("scratch/d.cedar", MESSY.as_bytes()),
    ]);
    // A subdirectory: only its share of the set.
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt", "policies/team"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        read(&dir, "policies/team/b.cedar"),
        MESSY_FORMATTED.as_bytes()
    );
    assert_eq!(read(&dir, "policies/a.cedar"), MESSY.as_bytes());
    // The workspace: policies and invariants, not what the config leaves out.
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("2 files reformatted, 1 file left unchanged"),
        "{stderr}"
    );
    assert_eq!(read(&dir, "policies/a.cedar"), MESSY_FORMATTED.as_bytes());
    assert_eq!(read(&dir, "invariants/i.cedar"), MESSY_FORMATTED.as_bytes());
    assert_eq!(read(&dir, "policies/vendor/c.cedar"), MESSY.as_bytes());
    assert_eq!(read(&dir, "scratch/d.cedar"), MESSY.as_bytes());
    // A named file is formatted even outside the set.
    let (code, _, _) = cedarcheck(dir.path(), &["fmt", "scratch/d.cedar"]);
    assert_eq!(code, 0);
    assert_eq!(read(&dir, "scratch/d.cedar"), MESSY_FORMATTED.as_bytes());
}

#[test]
fn bad_arguments_exit_2() {
    let dir = workspace(&[("a.cedar", MESSY.as_bytes()), ("s.cedarschema", b"")]);
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt", "nope.cedar"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nope.cedar: no such file or directory"),
        "{stderr}"
    );
    let (code, _, stderr) = cedarcheck(dir.path(), &["fmt", "s.cedarschema"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a policy file"), "{stderr}");
    assert_eq!(read(&dir, "a.cedar"), MESSY.as_bytes());
}

// ------------------------------------------------------------------------------------------
// The same output as `cedar format`: recorded once (tests/fixtures/fmt/regenerate.sh runs the
// Cedar CLI on every case), compared always, with no tool needed.

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fmt")
}

/// The recorded cases: `<case>.cedar` and what `cedar format` printed for it,
/// `<case>.cedar-format.golden`.
fn golden_cases() -> Vec<(String, Vec<u8>, String)> {
    let dir = golden_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for name in &names {
        if let Some(input) = name.strip_suffix(".cedar-format.golden") {
            assert!(
                names.iter().any(|n| *n == format!("{input}.cedar")),
                "{name} has no {input}.cedar: run tests/fixtures/fmt/regenerate.sh"
            );
        }
        let Some(case) = name.strip_suffix(".cedar") else {
            continue;
        };
        let golden = dir.join(format!("{name}-format.golden"));
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: run tests/fixtures/fmt/regenerate.sh",
                golden.display()
            )
        });
        cases.push((
            case.to_string(),
            std::fs::read(dir.join(name)).unwrap(),
            expected,
        ));
    }
    cases
}

/// The version of `cedar-policy-formatter` the analyzer pins (`=X.Y.Z` in its Cargo.toml;
/// `fmt` and the language server format through `cedarcheck_analyzer::ide::format`).
fn pinned_formatter_version() -> String {
    let manifest = include_str!("../crates/analyzer/Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.starts_with("cedar-policy-formatter = "))
        .expect("crates/analyzer/Cargo.toml depends on cedar-policy-formatter");
    let version = line.split('"').nth(1).unwrap();
    version
        .strip_prefix('=')
        .unwrap_or_else(|| panic!("cedar-policy-formatter is pinned with `=`: {line}"))
        .to_string()
}

#[test]
fn the_goldens_were_recorded_with_the_cedar_cli_of_the_pinned_formatter() {
    let recorded = std::fs::read_to_string(golden_dir().join("CEDAR_VERSION")).unwrap();
    let pinned = pinned_formatter_version();
    assert_eq!(
        recorded.split_whitespace().last(),
        Some(pinned.as_str()),
        "the goldens were recorded with `{}`, but cedar-policy-formatter is pinned at {pinned}: \
         install cedar-policy-cli {pinned} and run tests/fixtures/fmt/regenerate.sh",
        recorded.trim()
    );
}

#[test]
fn output_equals_the_recorded_cedar_format_output() {
    let cases = golden_cases();
    assert!(cases.len() >= 10, "only {} cases", cases.len());
    let files: Vec<(String, &[u8])> = cases
        .iter()
        .map(|(case, input, _)| (format!("{case}.cedar"), input.as_slice()))
        .collect();
    let dir = workspace(
        &files
            .iter()
            .map(|(name, bytes)| (name.as_str(), *bytes))
            .collect::<Vec<_>>(),
    );
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let mut args = vec!["fmt"];
    args.extend(&names);
    let (code, _, stderr) = cedarcheck(dir.path(), &args);
    assert_eq!(code, 0, "{stderr}");
    for (case, _, expected) in &cases {
        let actual = String::from_utf8(read(&dir, &format!("{case}.cedar"))).unwrap();
        assert_eq!(
            actual, *expected,
            "{case}: `cedarcheck fmt` differs from `cedar format` (tests/fixtures/fmt/{case}.cedar-format.golden)"
        );
    }
    // The constants the other tests use are one of the recorded cases.
    let messy = cases.iter().find(|(case, _, _)| case == "messy").unwrap();
    assert_eq!(
        (messy.1.as_slice(), messy.2.as_str()),
        (MESSY.as_bytes(), MESSY_FORMATTED)
    );
    // What `cedar format` prints is left alone by `cedarcheck fmt --check`.
    let mut args = vec!["fmt", "--check"];
    args.extend(&names);
    let (code, stdout, stderr) = cedarcheck(dir.path(), &args);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// The live comparison with the `cedar` CLI, on the recorded cases and the repository's own
/// policies. CI does not install the CLI (compiling it takes minutes): there the goldens stand
/// in for it, and tests/fixtures/fmt/regenerate.sh runs this test after recording them.
#[test]
#[ignore = "needs the `cedar` CLI; tests/fixtures/fmt/regenerate.sh runs it"]
fn output_equals_cedar_format_s_live() {
    let test = "output_equals_cedar_format_s_live";
    let Some(cedar) = require_tool(test, Tool::Cedar) else {
        return;
    };
    let version = std::process::Command::new(&cedar)
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    let pinned = pinned_formatter_version();
    assert_eq!(
        version.split_whitespace().last(),
        Some(pinned.as_str()),
        "{}: `{}` is not the CLI of the pinned cedar-policy-formatter {pinned}",
        cedar.display(),
        version.trim()
    );
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(String, Vec<u8>)> = golden_cases()
        .into_iter()
        .map(|(case, input, _)| (case, input))
        .collect();
    for dir in ["policies", "testcases"] {
        for entry in std::fs::read_dir(repo.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "cedar") {
                inputs.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    for (name, text) in inputs {
        let dir = workspace(&[("p.cedar", text.as_slice())]);
        let expected = std::process::Command::new(&cedar)
            .args(["format", "-p"])
            .arg(dir.path().join("p.cedar"))
            .output()
            .unwrap();
        assert!(expected.status.success(), "{name}: cedar format failed");
        let (code, _, stderr) = cedarcheck(dir.path(), &["fmt", "p.cedar"]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(
            String::from_utf8(read(&dir, "p.cedar")).unwrap(),
            String::from_utf8(expected.stdout).unwrap(),
            "{name}"
        );
    }
}
