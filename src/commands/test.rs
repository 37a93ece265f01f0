//! `cedarcheck test [PATH…]`: find the test files, tell the test runner which policy set each
//! one runs against, prove the invariants of the sets below the paths, print what it found.

mod invariants;
mod suggest;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cedarcheck_test_runner::{loader, Options, PolicySets, SetSource, SetsError, TestInput};
use cedarcheck_workspace::{PolicySetFiles, Workspace, WorkspaceError};
use regex::Regex;

use crate::cli::{ColorChoice, CommonArgs, Format, TestArgs};
use crate::output::test_report::{self, Display};

pub fn run(args: &TestArgs, common: &CommonArgs) -> u8 {
    match test(args, common) {
        Ok(code) => code,
        Err(message) => super::fail(message),
    }
}

fn test(args: &TestArgs, common: &CommonArgs) -> Result<u8, String> {
    let format = common.format.unwrap_or(Format::Pretty);
    if matches!(format, Format::Sarif | Format::Github) {
        return Err(format!(
            "`--format {}` is for `check`; `test` writes pretty, compact, json or junit",
            if format == Format::Sarif {
                "sarif"
            } else {
                "github"
            }
        ));
    }
    let filter = args
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| format!("--filter: invalid regular expression: {e}"))?;
    let (cwd, paths) = super::cwd_and_paths(&args.paths)?;
    let discovered = discover(&paths, common.config.as_deref(), &cwd)?;
    let solver = if args.suggest {
        Some(suggest::solver(&discovered.sets, common)?)
    } else {
        None
    };
    if common.verbose {
        for workspace in &discovered.sets.workspaces {
            match &workspace.config {
                Some(config) => eprintln!("cedarcheck: config {}", config.path.display()),
                None => eprintln!(
                    "cedarcheck: no cedarcheck.toml; policies are every *.cedar under {}",
                    workspace.root.display()
                ),
            }
        }
        eprintln!(
            "cedarcheck: {} candidate test file(s)",
            discovered.inputs.len()
        );
    }
    let jobs = common.jobs.unwrap_or_else(|| {
        discovered
            .sets
            .workspaces
            .first()
            .map_or(0, |w| w.analysis().jobs)
    });
    let options = Options {
        jobs,
        filter,
        cwd: cwd.clone(),
    };
    let started = std::time::Instant::now();
    let mut report = cedarcheck_test_runner::run(&discovered.inputs, &discovered.sets, &options)
        .map_err(|e| e.to_string())?;
    if let Some(solver) = &solver {
        suggest::fill(&mut report, &discovered.sets, solver, jobs, &cwd);
    }
    // Only a config names invariants; a workspace whose sets cannot be resolved has already
    // failed the tests that needed them.
    let workspaces: Vec<_> = discovered
        .sets
        .workspaces
        .iter()
        .enumerate()
        .filter(|(_, w)| w.config.is_some())
        .filter_map(|(i, w)| Some((w, discovered.sets.sets_of(i).ok()?.clone())))
        .collect();
    let (invariant_files, notes) =
        invariants::prove(&workspaces, &paths, common, options.filter.as_ref(), &cwd)?;
    report.files.extend(invariant_files);
    if !common.quiet {
        for note in notes {
            eprintln!("note: {note}");
        }
    }
    let elapsed = started.elapsed();

    let coverage_wanted = args.coverage || args.min_coverage.is_some() || args.suggest;
    let color = match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let display = Display {
        format,
        color,
        coverage: coverage_wanted,
        verbose: common.verbose,
        quiet: common.quiet,
        elapsed,
    };
    test_report::print(&report, &display);

    let mut code = if report.success() {
        crate::exit::CLEAN
    } else {
        crate::exit::FINDINGS
    };
    let ran = report.tests().count();
    // A broken test file already fails the run, as the error it is; an empty run is one
    // whose files hold no tests.
    if ran == 0 && report.file_errors() == 0 {
        let why = if report.files.is_empty() {
            "no test files were found".to_string()
        } else if options.filter.is_some() {
            "`--filter` matched no test".to_string()
        } else {
            "the test files hold no tests".to_string()
        };
        if !args.allow_empty {
            eprintln!("cedarcheck: no tests ran: {why}; pass --allow-empty to accept an empty run");
            code = crate::exit::FINDINGS;
        } else if !common.quiet {
            // One line, so that a pre-commit hook with nothing to test yet passes quietly.
            eprintln!("note: no tests ran: {why}; --allow-empty accepts that");
        }
    }
    if let Some(minimum) = args.min_coverage {
        let percent = report.coverage().percent();
        if percent + 1e-9 < minimum {
            eprintln!(
                "cedarcheck: policy coverage {percent:.1}% is below --min-coverage {minimum}%"
            );
            code = crate::exit::FINDINGS;
        }
    }
    Ok(code)
}

pub(super) struct Discovered {
    pub(super) inputs: Vec<TestInput>,
    pub(super) sets: WorkspaceSets,
}

/// The test files the paths name: a file itself; for a directory, the test files the config's
/// `tests` globs select below it, or without such globs every JSON file below it that is not
/// an entities file.
pub(super) fn discover(
    paths: &[PathBuf],
    config: Option<&Path>,
    cwd: &Path,
) -> Result<Discovered, String> {
    let mut sets = WorkspaceSets {
        cwd: cwd.to_path_buf(),
        ..WorkspaceSets::default()
    };
    let mut inputs: Vec<TestInput> = Vec::new();
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file or directory", path.display()));
        }
        let workspace = Workspace::open_tests(path, config).map_err(|e| e.to_string())?;
        let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let index = sets.add(workspace);
        let found: Vec<(PathBuf, bool)> = if path.is_file() {
            vec![(absolute, true)]
        } else {
            let workspace = &sets.workspaces[index];
            let globbed = workspace
                .config
                .as_ref()
                .is_some_and(|c| c.sets.iter().any(|s| !s.tests.is_empty()));
            let files = if globbed {
                let mut files: Vec<PathBuf> = sets
                    .sets_of(index)
                    .map_err(|e| e.to_string())?
                    .iter()
                    .flat_map(|set| set.tests.iter())
                    .map(|test| workspace.root.join(test))
                    .filter(|test| test.starts_with(&absolute))
                    .collect();
                files.sort();
                files.dedup();
                files
            } else {
                loader::discover(&absolute).map_err(|e| format!("{}: {e}", path.display()))?
            };
            files.into_iter().map(|f| (f, false)).collect()
        };
        for (file, explicit) in found {
            match seen.get(&file) {
                Some(&at) => inputs[at].explicit |= explicit,
                None => {
                    seen.insert(file.clone(), inputs.len());
                    sets.file_workspace.insert(file.clone(), index);
                    inputs.push(TestInput {
                        path: file,
                        explicit,
                    });
                }
            }
        }
    }
    Ok(Discovered { inputs, sets })
}

/// The policy sets of the workspaces the test files lie in, resolved only when a `run-tests`
/// or native file needs one.
#[derive(Default)]
pub(super) struct WorkspaceSets {
    cwd: PathBuf,
    pub(super) workspaces: Vec<Workspace>,
    resolved: Vec<OnceLock<Result<Vec<PolicySetFiles>, Arc<WorkspaceError>>>>,
    file_workspace: HashMap<PathBuf, usize>,
    /// Set ids handed to the runner: (workspace, set within it).
    ids: Mutex<Vec<(usize, usize)>>,
}

impl WorkspaceSets {
    fn add(&mut self, workspace: Workspace) -> usize {
        let same = |w: &Workspace| {
            w.root == workspace.root
                && w.config.as_ref().map(|c| &c.path) == workspace.config.as_ref().map(|c| &c.path)
        };
        if let Some(index) = self.workspaces.iter().position(same) {
            return index;
        }
        self.workspaces.push(workspace);
        self.resolved.push(OnceLock::new());
        self.workspaces.len() - 1
    }

    fn sets_of(&self, workspace: usize) -> Result<&Vec<PolicySetFiles>, Arc<WorkspaceError>> {
        self.resolved[workspace]
            .get_or_init(|| self.workspaces[workspace].policy_sets().map_err(Arc::new))
            .as_ref()
            .map_err(Arc::clone)
    }

    fn label(&self, workspace: usize, set: &PolicySetFiles) -> String {
        let workspace = &self.workspaces[workspace];
        match (&set.name, &workspace.config) {
            (Some(name), _) => name.clone(),
            (None, Some(config)) => loader::display(&config.path, &self.cwd),
            (None, None) => format!(
                "every *.cedar under {}",
                loader::display(&workspace.root, &self.cwd)
            ),
        }
    }
}

/// Why [`WorkspaceSets`] cannot give the test runner a test file's policy set.
#[derive(Debug, thiserror::Error)]
enum SetError {
    #[error("{}: not a discovered test file", .0.display())]
    NotDiscovered(PathBuf),
    /// `file` and `workspace` (its config, or "the workspace") as reports show them.
    #[error(
        "{file}: none of the policy sets of {workspace} lists this test file in its `tests`; \
         add it to the `tests` of the set it belongs to"
    )]
    Unlisted { file: String, workspace: String },
    #[error("unknown policy set")]
    Unknown,
    #[error(transparent)]
    Workspace(Arc<WorkspaceError>),
}

impl From<SetError> for SetsError {
    fn from(error: SetError) -> Self {
        SetsError::new(error)
    }
}

impl From<WorkspaceError> for SetError {
    fn from(error: WorkspaceError) -> Self {
        SetError::Workspace(Arc::new(error))
    }
}

impl PolicySets for WorkspaceSets {
    fn set_for(&self, test_file: &Path) -> Result<usize, SetsError> {
        let &workspace = self
            .file_workspace
            .get(test_file)
            .ok_or_else(|| SetError::NotDiscovered(test_file.to_path_buf()))?;
        let sets = self.sets_of(workspace).map_err(SetError::Workspace)?;
        let relative = self.workspaces[workspace].relative(test_file);
        let chosen = sets
            .iter()
            .position(|set| relative.as_ref().is_some_and(|r| set.tests.contains(r)))
            .or((sets.len() == 1).then_some(0))
            .ok_or_else(|| SetError::Unlisted {
                file: loader::display(test_file, &self.cwd),
                workspace: self.workspaces[workspace].config.as_ref().map_or_else(
                    || "the workspace".into(),
                    |c| loader::display(&c.path, &self.cwd),
                ),
            })?;
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        let id = (workspace, chosen);
        Ok(match ids.iter().position(|&known| known == id) {
            Some(index) => index,
            None => {
                ids.push(id);
                ids.len() - 1
            }
        })
    }

    fn read(&self, set: usize) -> Result<SetSource, SetsError> {
        let (workspace, index) = *self
            .ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(set)
            .ok_or(SetError::Unknown)?;
        let files = &self.sets_of(workspace).map_err(SetError::Workspace)?[index];
        let root = self.workspaces[workspace].root.clone();
        let input = files.read(&root).map_err(SetError::from)?;
        Ok(SetSource {
            label: self.label(workspace, files),
            root,
            input,
        })
    }
}
