//! `cedarcheck diff --base REV [PATH]` / `--old DIR --new DIR`: which access a change adds or
//! removes. The base revision is read with `git archive` into a temporary directory — no
//! checkout, the working tree and the index are never touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cedarcheck_analyzer::{rules, PolicySetInput, Report, Settings};
use cedarcheck_prover::diff::{DiffInput, DiffReport};
use cedarcheck_prover::LoadedPolicies;
use cedarcheck_workspace::{PolicySetFiles, Workspace, WorkspaceError, CONFIG_FILE};

use crate::cli::{CommonArgs, DiffArgs};
use crate::output::diff::{self as render, ComparedSet};

/// Why `diff` cannot compare: a tool error (exit 2), printed as its text.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DiffError {
    #[error("give --base REV, or --old DIR and --new DIR")]
    Usage,
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
    #[error("{}: no such file or directory", .0.display())]
    NoSuchPath(PathBuf),
    #[error("{}: not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error(
        "cedarcheck diff needs the cvc5 solver: install it with `apt-get install cvc5` \
         (or `brew install cvc5`), or set $CVC5 to a cvc5 binary"
    )]
    NoSolver,
    /// The new side's workspace (or, with `--old`/`--new`, either side's).
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The base revision's workspace.
    #[error("base side: {0}")]
    BaseWorkspace(#[source] WorkspaceError),
    #[error("base side: a cedarcheck.toml above the temporary directory got in the way")]
    ConfigAboveExport,
    /// `name`: the new side's set, `None` for the only one.
    #[error("{}", match name {
        Some(name) => format!("the base side has no policy set named `{name}`"),
        None => "the base side has no policy set to compare with".to_string(),
    })]
    NoBaseSet { name: Option<String> },
    #[error("{label}: both sides need a schema to be compared")]
    NoSchema { label: String },
    /// `side`: "base side" or "new side".
    #[error("the {side} cannot be loaded:\n{}", indented(broken))]
    Unloadable {
        side: &'static str,
        broken: Vec<Broken>,
    },
    #[error(transparent)]
    Revision(#[from] RevisionError),
}

/// A file of a side that does not parse, at the place of its first problem.
#[derive(Debug)]
pub(crate) struct Broken {
    file: String,
    line: usize,
    column: usize,
    message: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// One line per broken file, indented under the error.
fn indented(broken: &[Broken]) -> String {
    let lines: Vec<String> = broken.iter().map(|b| format!("  {b}")).collect();
    lines.join("\n")
}

/// Why `--base REV` could not be exported.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RevisionError {
    /// `why`: git's own message.
    #[error("--base needs a git repository: {}: {why}", root.display())]
    NotARepository { root: PathBuf, why: GitError },
    #[error("--base {rev}: no such revision in {top}")]
    NoSuchRevision { rev: String, top: String },
    #[error("--base {rev}: `{prefix}` did not exist at that revision")]
    NotAtRevision { rev: String, prefix: String },
    #[error("{path}: {source}")]
    Canonicalize {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create a temporary directory: {0}")]
    TempDir(#[source] std::io::Error),
    #[error("cannot run git archive: {0}")]
    Archive(#[source] std::io::Error),
    #[error("git archive has no output")]
    NoArchiveOutput,
    #[error("cannot run tar: {0}")]
    Tar(#[source] std::io::Error),
    #[error("--base {rev}: cannot unpack the revision's files")]
    Unpack { rev: String },
}

/// A git command that failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GitError {
    #[error("cannot run git: {0}")]
    Run(#[source] std::io::Error),
    /// What it wrote to stderr, trimmed.
    #[error("{0}")]
    Failed(String),
}

pub fn run(args: &DiffArgs, common: &CommonArgs) -> u8 {
    match diff(args, common) {
        Ok(code) => code,
        Err(error) => super::fail(error),
    }
}

fn diff(args: &DiffArgs, common: &CommonArgs) -> Result<u8, DiffError> {
    let cwd = std::env::current_dir().map_err(DiffError::CurrentDir)?;
    // The base side lives in a temporary directory for the length of the run.
    let mut _base_checkout = None;
    let (old, new) = match (&args.base, &args.old, &args.new) {
        (Some(rev), _, _) => {
            let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
            if !path.exists() {
                return Err(DiffError::NoSuchPath(path));
            }
            let new = Workspace::open(&path, common.config.as_deref())?;
            let dir = read_revision(rev, &new.root)?;
            let old = open_exported(dir.path())?;
            _base_checkout = Some(dir);
            (old, new)
        }
        (None, Some(old), Some(new)) => {
            for dir in [old, new] {
                if !dir.is_dir() {
                    return Err(DiffError::NotADirectory(dir.clone()));
                }
            }
            (Workspace::open(old, None)?, Workspace::open(new, None)?)
        }
        _ => return Err(DiffError::Usage),
    };
    let solver = cedarcheck_prover::find_cvc5().ok_or(DiffError::NoSolver)?;
    let analysis = new.analysis();
    let command = cedarcheck_prover::solver_command(solver, analysis.timeout_ms);
    let jobs = common.jobs.unwrap_or(analysis.jobs);

    let old_sets = old.policy_sets().map_err(DiffError::BaseWorkspace)?;
    let new_sets = new.policy_sets()?;
    let mut compared = Vec::new();
    for new_set in &new_sets {
        let old_set = old_sets
            .iter()
            .find(|s| s.name == new_set.name)
            .ok_or_else(|| DiffError::NoBaseSet {
                name: new_set.name.clone(),
            })?;
        compared.push(compare(&old, old_set, &new, new_set, &command, jobs, &cwd)?);
    }
    render::print(&compared, common, args.allow_new_access);
    let adds = compared
        .iter()
        .flat_map(|c| &c.report.environments)
        .any(|e| e.change.may_add_access());
    Ok(if adds && !args.allow_new_access {
        crate::exit::FINDINGS
    } else {
        crate::exit::CLEAN
    })
}

/// Loads both sides of one policy set and asks the solver.
fn compare(
    old: &Workspace,
    old_set: &PolicySetFiles,
    new: &Workspace,
    new_set: &PolicySetFiles,
    solver: &cedarcheck_prover::SolverCommand,
    jobs: usize,
    cwd: &Path,
) -> Result<ComparedSet, DiffError> {
    let label = new_set.name.clone().unwrap_or_else(|| "policy set".into());
    let old_input = old_set.read(&old.root).map_err(DiffError::BaseWorkspace)?;
    let new_input = new_set.read(&new.root)?;
    let old_report = load("base side", &old_input)?;
    let new_report = load("new side", &new_input)?;
    let (Some(old_schema), Some(new_schema)) = (&old_report.schema, &new_report.schema) else {
        return Err(DiffError::NoSchema { label });
    };
    let mut notes = Vec::new();
    // Both sides are compared under the new schema; old policies it rejects are left out.
    let old_under_new = cedarcheck_analyzer::check(
        &PolicySetInput {
            policies: old_input.policies.clone(),
            schema: new_input.schema.clone(),
            links: old_input.links.clone(),
        },
        &Settings::default(),
    );
    let schema_changed =
        old_input.schema.as_ref().map(|s| &s.text) != new_input.schema.as_ref().map(|s| &s.text);
    if !old_under_new.invalid_policies.is_empty() {
        notes.push(format!(
            "the schema changed incompatibly: the base side's {} no longer validate against the new schema and were left out of the comparison",
            quoted(&old_under_new.invalid_policies)
        ));
    } else if schema_changed {
        notes.push("the schema changed; both sides are compared under the new one".into());
    }
    if !new_report.invalid_policies.is_empty() {
        notes.push(format!(
            "{} on the new side do not validate (see `cedarcheck check`) and were left out",
            quoted(&new_report.invalid_policies)
        ));
    }
    let files = |input: &PolicySetInput| -> Vec<String> {
        input.files().iter().map(|f| f.path.clone()).collect()
    };
    let (old_files, new_files) = (files(&old_input), files(&new_input));
    let report: DiffReport = cedarcheck_prover::diff::diff(
        &DiffInput {
            old: LoadedPolicies {
                loaded: &old_under_new.loaded,
                files: &old_files,
                skip: &old_under_new.invalid_policies,
            },
            new: LoadedPolicies {
                loaded: &new_report.loaded,
                files: &new_files,
                skip: &new_report.invalid_policies,
            },
            schema: new_schema,
            old_schema,
        },
        solver,
        jobs,
    );
    let shown = |file: &str| cedarcheck_analyzer::display_path(&new.root.join(file), cwd);
    Ok(ComparedSet {
        label,
        notes,
        schema_file: new_input.schema.as_ref().map(|s| shown(&s.path)),
        locations: new_report
            .loaded
            .entries
            .iter()
            .map(|e| (shown(&new_files[e.file]), e.id_span))
            .collect(),
        sources: new_input
            .files()
            .into_iter()
            .map(|f| (shown(&f.path), f.text.clone()))
            .collect(),
        report,
    })
}

/// A side's policy set, or why it cannot be loaded: a file that does not parse.
fn load(side: &'static str, input: &PolicySetInput) -> Result<Report, DiffError> {
    let report = cedarcheck_analyzer::check(input, &Settings::default());
    let broken: Vec<Broken> = report
        .findings
        .iter()
        .filter(|f| {
            f.rule == rules::parse_error::RULE.id
                || (f.rule == rules::schema_error::RULE.id && f.policy_id.is_none())
        })
        .map(|f| {
            let text = input
                .files()
                .into_iter()
                .find(|s| s.path == f.file)
                .map_or("", |s| &s.text);
            let at = cedarcheck_analyzer::LineIndex::new(text).position(text, f.span.start);
            Broken {
                file: f.file.clone(),
                line: at.line,
                column: at.column,
                message: f.message.clone(),
            }
        })
        .collect();
    if broken.is_empty() {
        Ok(report)
    } else {
        Err(DiffError::Unloadable { side, broken })
    }
}

fn quoted(ids: &std::collections::BTreeSet<String>) -> String {
    let ids: Vec<String> = ids.iter().map(|id| format!("`{id}`")).collect();
    format!(
        "{} {}",
        if ids.len() == 1 { "policy" } else { "policies" },
        ids.join(", ")
    )
}

/// Exports the workspace directory `root` as it was at `rev` into a temporary directory, with
/// `git archive`: nothing in the working tree or the index changes. `replay --base` reads its
/// base side the same way.
pub(crate) fn read_revision(rev: &str, root: &Path) -> Result<tempfile::TempDir, RevisionError> {
    let git = |args: &[&str]| -> Result<String, GitError> {
        let output = Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .map_err(GitError::Run)?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            Err(GitError::Failed(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ))
        }
    };
    let top =
        git(&["rev-parse", "--show-toplevel"]).map_err(|why| RevisionError::NotARepository {
            root: root.to_path_buf(),
            why,
        })?;
    let commit = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| RevisionError::NoSuchRevision {
        rev: rev.to_string(),
        top: top.clone(),
    })?;
    let canonical = |path: &Path| {
        std::fs::canonicalize(path).map_err(|source| RevisionError::Canonicalize {
            path: path.display().to_string(),
            source,
        })
    };
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
    git(&["cat-file", "-e", &tree]).map_err(|_| RevisionError::NotAtRevision {
        rev: rev.to_string(),
        prefix: prefix.clone(),
    })?;
    let dir = tempfile::Builder::new()
        .prefix("cedarcheck-base-")
        .tempdir()
        .map_err(RevisionError::TempDir)?;
    let archive = Command::new("git")
        .current_dir(&root)
        .args(["archive", "--format=tar", &tree])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(RevisionError::Archive)?;
    let unpacked = Command::new("tar")
        .args(["-x", "-f", "-", "-C"])
        .arg(dir.path())
        .stdin(archive.stdout.ok_or(RevisionError::NoArchiveOutput)?)
        .status()
        .map_err(RevisionError::Tar)?;
    if !unpacked.success() {
        return Err(RevisionError::Unpack {
            rev: rev.to_string(),
        });
    }
    Ok(dir)
}

/// The workspace exported from a revision: its own cedarcheck.toml if it had one, else
/// zero-config (never a config from the temporary directory's ancestors).
pub(crate) fn open_exported(dir: &Path) -> Result<Workspace, DiffError> {
    let config = dir.join(CONFIG_FILE);
    let config = config.is_file().then_some(config);
    let workspace = Workspace::open(dir, config.as_deref()).map_err(DiffError::BaseWorkspace)?;
    if config.is_none() && workspace.config.is_some() {
        return Err(DiffError::ConfigAboveExport);
    }
    Ok(workspace)
}
