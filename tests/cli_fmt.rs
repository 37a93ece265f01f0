//! `cedarcheck fmt`: the same output as `cedar format`, idempotent, `--check` as a unified
//! diff with exit 1, atomic writes that only touch files that change, and a file that does
//! not parse left exactly as it was.

mod support;

use std::path::{Path, PathBuf};
use support::cedarcheck;

use tempfile::TempDir;

/// Valid Cedar, badly laid out, with comments the formatter must keep.
const MESSY: &str = r#"// Who may read.
@id("owner-reads")   permit(principal==Ops::User::"alice",action in [Ops::Action::"Read"],resource)when{resource.owner==principal&&context.mfa};
forbid(principal,action,resource) unless { principal has role && principal.role == "admin" } ; // trailing
"#;

/// What `cedar format` makes of [`MESSY`].
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

/// The reference `cedar` binary, if installed (CI does not install it).
fn cedar_cli() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("cedar"))
            .find(|candidate| candidate.is_file())
    });
    let in_cargo_home = std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cargo/bin/cedar"))
        .filter(|candidate| candidate.is_file());
    on_path.or(in_cargo_home)
}

#[test]
fn output_equals_cedar_format_s() {
    let Some(cedar) = cedar_cli() else {
        eprintln!("skipped: the `cedar` CLI is not installed (cargo install cedar-policy-cli --version 4.14.1)");
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(String, String)> = std::fs::read_dir(repo.join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cedar"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    inputs.push(("messy".into(), MESSY.into()));
    inputs.push((
        "long".into(),
        format!(
            "@id(\"long\") @description(\"{}\")\npermit(principal in Ops::Team::\"a\", action in [{}], resource) when {{ context.x.contains(\"{}\") }} unless {{ false }};\n// end\n",
            "d".repeat(90),
            (0..12).map(|i| format!("Ops::Action::\"a{i}\"")).collect::<Vec<_>>().join(","),
            "y".repeat(70)
        ),
    ));
    inputs.push(("template".into(), "permit(principal == ?principal, action, resource in ?resource) when { resource.tags.containsAny([\"a\",\"b\"]) && principal.level >= 3 };".into()));
    inputs.push(("empty".into(), String::new()));
    assert!(inputs.len() >= 5);
    for (name, text) in inputs {
        let dir = workspace(&[("p.cedar", text.as_bytes())]);
        let path = dir.path().join("p.cedar");
        let expected = std::process::Command::new(&cedar)
            .args(["format", "-p"])
            .arg(&path)
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
