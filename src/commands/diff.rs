//! `cedarcheck diff --base REV [PATH]` / `--old DIR --new DIR`: which access a change adds or
//! removes. The base revision is read with `git archive` into a temporary directory — no
//! checkout, the working tree and the index are never touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cedarcheck_analyzer::{rules, PolicySetInput, Report, Settings};
use cedarcheck_prover::diff::{DiffInput, DiffReport};
use cedarcheck_prover::LoadedPolicies;
use cedarcheck_workspace::{PolicySetFiles, Workspace, CONFIG_FILE};

use crate::cli::{CommonArgs, DiffArgs};
use crate::output::diff::{self as render, ComparedSet};

pub fn run(args: &DiffArgs, common: &CommonArgs) -> u8 {
    match diff(args, common) {
        Ok(code) => code,
        Err(message) => super::fail(message),
    }
}

fn diff(args: &DiffArgs, common: &CommonArgs) -> Result<u8, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    // The base side lives in a temporary directory for the length of the run.
    let mut _base_checkout = None;
    let (old, new) = match (&args.base, &args.old, &args.new) {
        (Some(rev), _, _) => {
            let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
            if !path.exists() {
                return Err(format!("{}: no such file or directory", path.display()));
            }
            let new =
                Workspace::open(&path, common.config.as_deref()).map_err(|e| e.to_string())?;
            let dir = read_revision(rev, &new.root)?;
            let old = open_exported(dir.path())?;
            _base_checkout = Some(dir);
            (old, new)
        }
        (None, Some(old), Some(new)) => {
            for dir in [old, new] {
                if !dir.is_dir() {
                    return Err(format!("{}: not a directory", dir.display()));
                }
            }
            (
                Workspace::open(old, None).map_err(|e| e.to_string())?,
                Workspace::open(new, None).map_err(|e| e.to_string())?,
            )
        }
        _ => return Err("give --base REV, or --old DIR and --new DIR".into()),
    };
    let solver = cedarcheck_prover::find_cvc5().ok_or(
        "cedarcheck diff needs the cvc5 solver: install it with `apt-get install cvc5` \
         (or `brew install cvc5`), or set $CVC5 to a cvc5 binary",
    )?;
    let analysis = new.analysis();
    let command = cedarcheck_prover::solver_command(solver, analysis.timeout_ms);
    let jobs = common.jobs.unwrap_or(analysis.jobs);

    let old_sets = old.policy_sets().map_err(|e| format!("base side: {e}"))?;
    let new_sets = new.policy_sets().map_err(|e| e.to_string())?;
    let mut compared = Vec::new();
    for new_set in &new_sets {
        let old_set = old_sets
            .iter()
            .find(|s| s.name == new_set.name)
            .ok_or_else(|| match &new_set.name {
                Some(name) => format!("the base side has no policy set named `{name}`"),
                None => "the base side has no policy set to compare with".to_string(),
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
) -> Result<ComparedSet, String> {
    let label = new_set.name.clone().unwrap_or_else(|| "policy set".into());
    let old_input = old_set
        .read(&old.root)
        .map_err(|e| format!("base side: {e}"))?;
    let new_input = new_set.read(&new.root).map_err(|e| e.to_string())?;
    let old_report = load("base side", &old_input)?;
    let new_report = load("new side", &new_input)?;
    let (Some(old_schema), Some(new_schema)) = (&old_report.schema, &new_report.schema) else {
        return Err(format!("{label}: both sides need a schema to be compared"));
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
fn load(side: &str, input: &PolicySetInput) -> Result<Report, String> {
    let report = cedarcheck_analyzer::check(input, &Settings::default());
    let broken: Vec<String> = report
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
            format!("  {}:{}:{}: {}", f.file, at.line, at.column, f.message)
        })
        .collect();
    if broken.is_empty() {
        Ok(report)
    } else {
        Err(format!(
            "the {side} cannot be loaded:\n{}",
            broken.join("\n")
        ))
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
/// `git archive`: nothing in the working tree or the index changes.
fn read_revision(rev: &str, root: &Path) -> Result<tempfile::TempDir, String> {
    let git = |args: &[&str]| -> Result<String, String> {
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
    };
    let top = git(&["rev-parse", "--show-toplevel"])
        .map_err(|e| format!("--base needs a git repository: {}: {e}", root.display()))?;
    let commit = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| format!("--base {rev}: no such revision in {top}"))?;
    let top = std::fs::canonicalize(&top).map_err(|e| format!("{top}: {e}"))?;
    let root = std::fs::canonicalize(root).map_err(|e| format!("{}: {e}", root.display()))?;
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
    git(&["cat-file", "-e", &tree])
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

/// The workspace exported from a revision: its own cedarcheck.toml if it had one, else
/// zero-config (never a config from the temporary directory's ancestors).
fn open_exported(dir: &Path) -> Result<Workspace, String> {
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
