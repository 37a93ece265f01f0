//! Sets `CEDARCHECK_VERSION`, what `cedarcheck --version` prints after the name: the package
//! version, and in a git checkout the commit it was built from and that commit's date
//! (`0.1.0 (1a2b3c4d5 2026-12-02)`, as ruff words it). Sources without their own `.git` (a
//! `cargo package`d crate, `cargo install cedarcheck`) or without `git` get the version alone:
//! asking git never fails the build.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let dir = Path::new(&dir);
    let full = match commit(dir) {
        Some((hash, date)) => format!("{version} ({hash} {date})"),
        None => version,
    };
    println!("cargo:rustc-env=CEDARCHECK_VERSION={full}");
}

/// The short hash and the date of `HEAD`, when `dir` is the root of a git checkout. Asks cargo
/// to run this again when `HEAD` moves (a commit, a checkout), so the hash is never stale.
fn commit(dir: &Path) -> Option<(String, String)> {
    // Only this repository's own `.git` (a directory, or a file in a worktree): a packaged
    // crate unpacked inside some other repository must not print that repository's commit.
    if !dir.join(".git").exists() {
        return None;
    }
    let hash = git(dir, &["rev-parse", "--short=9", "HEAD"])?;
    let date = git(dir, &["log", "-1", "--format=%cs", "HEAD"])?;
    let mut watched = vec![git(dir, &["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(dir, &["rev-parse", "--git-path", &branch])?);
    }
    watched.push(git(dir, &["rev-parse", "--git-path", "packed-refs"])?);
    for path in watched {
        let path = dir.join(path);
        // A path cargo cannot find would make it run this on every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    Some((hash, date))
}

/// `git ARGS` in `dir`: its first line of output, or `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.lines().next()?.trim().to_string();
    (!line.is_empty()).then_some(line)
}
