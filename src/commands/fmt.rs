//! `cedarcheck fmt [--check] [PATH…]`: format policy files byte for byte as `cedar format`
//! does (cedar-policy-formatter, 80 columns, 2-space indent).
//!
//! A directory means the policy and invariant files of its workspace's policy sets that lie
//! below it (the same discovery as `check`); a file means that file. A file that does not
//! parse is reported and left alone; a file whose formatting does not change is not touched.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use cedarcheck_analyzer::ide::{self, FormatError};
use cedarcheck_analyzer::{LineIndex, SourceFile};
use cedarcheck_workspace::Workspace;

use crate::cli::{CommonArgs, FmtArgs};

pub fn run(args: &FmtArgs, common: &CommonArgs) -> u8 {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => return super::fail(format!("cannot read the current directory: {e}")),
    };
    let files = match files_to_format(&args.paths, common.config.as_deref()) {
        Ok(files) => files,
        Err(message) => return super::fail(message),
    };
    if files.is_empty() {
        if !common.quiet {
            eprintln!("cedarcheck: no policy files to format");
        }
        return crate::exit::CLEAN;
    }
    let (mut changed, mut unchanged, mut failed) = (0usize, 0usize, 0usize);
    for path in &files {
        let shown = cedarcheck_analyzer::display_path(path, &cwd);
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("cedarcheck: error: {shown}: {e}");
                failed += 1;
                continue;
            }
        };
        let source = SourceFile::from_bytes(shown.clone(), bytes);
        let formatted = match format_source(&source) {
            Ok(formatted) => formatted,
            Err(problems) => {
                for problem in problems {
                    eprintln!("{problem}");
                }
                eprintln!("cedarcheck: error: {shown}: not formatted: it does not parse");
                failed += 1;
                continue;
            }
        };
        if formatted == *source.text {
            unchanged += 1;
            continue;
        }
        changed += 1;
        if args.check {
            let diff = similar::TextDiff::from_lines(&*source.text, &formatted);
            let diff = diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{shown}"), &format!("b/{shown}"))
                .to_string();
            crate::output::to_stdout(|out| out.write_all(diff.as_bytes()));
        } else if let Err(e) = write_atomically(path, formatted.as_bytes()) {
            eprintln!("cedarcheck: error: {shown}: cannot write: {e}");
            changed -= 1;
            failed += 1;
        }
    }
    if !common.quiet {
        eprintln!("{}", summary(args.check, changed, unchanged, failed));
    }
    if failed > 0 {
        crate::exit::TOOL_ERROR
    } else if args.check && changed > 0 {
        crate::exit::FINDINGS
    } else {
        crate::exit::CLEAN
    }
}

fn summary(check: bool, changed: usize, unchanged: usize, failed: usize) -> String {
    let files = |n: usize| if n == 1 { "file" } else { "files" };
    let mut parts = Vec::new();
    if check {
        parts.push(format!("{changed} {} would be reformatted", files(changed)));
        parts.push(format!(
            "{unchanged} {} already formatted",
            files(unchanged)
        ));
    } else {
        parts.push(format!("{changed} {} reformatted", files(changed)));
        parts.push(format!("{unchanged} {} left unchanged", files(unchanged)));
    }
    if failed > 0 {
        parts.push(format!("{failed} {} could not be formatted", files(failed)));
    }
    parts.join(", ")
}

/// The formatted text ([`ide::format`], the language server's formatting too), or the
/// located reasons the file cannot be formatted, as `file:line:col: error[parse-error]
/// message` lines.
fn format_source(source: &SourceFile) -> Result<String, Vec<String>> {
    let located = |finding: &cedarcheck_analyzer::Finding| {
        let index = LineIndex::new(&source.text);
        let at = index.position(&source.text, finding.span.start);
        let message = finding.message.split_whitespace().collect::<Vec<_>>();
        format!(
            "{}:{}:{}: error[{}] {}",
            source.path,
            at.line,
            at.column,
            finding.rule,
            message.join(" ")
        )
    };
    // The analysis core parses first and locates every problem as `check` reports it; only
    // text Cedar parsed (UTF-8, not nested too deep for its recursive parser) is formatted.
    ide::format(source).map_err(|error| match error {
        FormatError::DoesNotParse(findings) => findings.iter().map(located).collect(),
        FormatError::Formatter(_) => vec![format!("{}: error: {error}", source.path)],
    })
}

/// The files to format, absolute and without duplicates, in a stable order.
fn files_to_format(paths: &[PathBuf], config: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &default } else { paths };
    let mut files = BTreeSet::new();
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file or directory", path.display()));
        }
        let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if !path.is_dir() {
            let name = path.to_string_lossy();
            if name.ends_with(".cedarschema") || name.ends_with(".json") {
                return Err(format!(
                    "{}: not a policy file; `cedarcheck fmt` formats Cedar policies (*.cedar)",
                    path.display()
                ));
            }
            files.insert(absolute);
            continue;
        }
        let workspace = Workspace::open(path, config).map_err(|e| e.to_string())?;
        for set in workspace.policy_sets().map_err(|e| e.to_string())? {
            // Policies in Cedar's JSON format are not Cedar text to format.
            let cedar = set.policies.iter().filter(|f| !f.ends_with(".json"));
            for file in cedar.chain(&set.invariants) {
                let file = workspace.root.join(file);
                if file.starts_with(&absolute) {
                    files.insert(file);
                }
            }
        }
    }
    Ok(files.into_iter().collect())
}

/// Replaces the file at `path` with `contents` at once: written to a temporary file in the
/// same directory, then renamed over it, so that a reader never sees half a file. An existing
/// file keeps its permissions, and a symbolic link keeps pointing at the file it names.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = if path.exists() {
        std::fs::canonicalize(path)?
    } else {
        std::path::absolute(path)?
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    let existing = std::fs::metadata(&target).ok().map(|m| m.permissions());
    if existing.as_ref().is_some_and(|p| p.readonly()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cedarcheck-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A new file gets the permissions the umask allows, as `fs::write` would give it.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(contents)?;
    temp.as_file().sync_all()?;
    if let Some(permissions) = existing {
        temp.as_file().set_permissions(permissions)?;
    }
    temp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}
