//! `--base REV`: the workspace as it was at a git revision, exported with `git archive` into a
//! temporary directory as `cedarcheck diff --base` reads it (README "Comparing policy sets"):
//! no checkout, the working tree and the index are never touched.

use std::path::Path;
use std::process::{Command, Stdio};

use cedarcheck_workspace::{Workspace, CONFIG_FILE};

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

/// The workspace directory `root` as it was at `rev`, in a temporary directory.
pub fn export(rev: &str, root: &Path) -> Result<tempfile::TempDir, String> {
    let top = git(root, &["rev-parse", "--show-toplevel"])
        .map_err(|why| format!("--base needs a git repository: {}: {why}", root.display()))?;
    let commit = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| format!("--base {rev}: no such revision in {top}"))?;
    let canonical =
        |path: &Path| std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()));
    let top = canonical(Path::new(&top))?;
    let root = canonical(root)?;
    let prefix = root
        .strip_prefix(&top)
        .unwrap_or(Path::new(""))
        .to_string_lossy()
        .replace('\\', "/");
    let tree = if prefix.is_empty() {
        commit.clone()
    } else {
        format!("{commit}:{prefix}")
    };
    git(&root, &["cat-file", "-e", &tree])
        .map_err(|_| format!("--base {rev}: `{prefix}` did not exist at that revision"))?;
    let dir = tempfile::Builder::new()
        .prefix("cedarcheck-base-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let archive = Command::new("git")
        .current_dir(&root)
        .args(["archive", "--format=tar", &tree])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git archive: {e}"))?;
    let unpacked = Command::new("tar")
        .args(["-x", "-f", "-", "-C"])
        .arg(dir.path())
        .stdin(archive.stdout.ok_or("git archive has no output")?)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !unpacked.success() {
        return Err(format!("--base {rev}: cannot unpack the revision's files"));
    }
    Ok(dir)
}

/// The exported workspace: its own cedarcheck.toml if it had one, else zero-config (never a
/// config from the temporary directory's ancestors).
pub fn open(dir: &Path) -> Result<Workspace, String> {
    let config = dir.join(CONFIG_FILE);
    let config = config.is_file().then_some(config);
    let workspace =
        Workspace::open(dir, config.as_deref()).map_err(|e| format!("base side: {e}"))?;
    if config.is_none() && workspace.config.is_some() {
        return Err(
            "base side: a cedarcheck.toml above the temporary directory got in the way".into(),
        );
    }
    Ok(workspace)
}
