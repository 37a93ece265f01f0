//! `cedarcheck check [PATH…]`: parse, strict validation, the static rules and the deep
//! (solver-backed) rules, per policy set.

use crate::deep;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{display_path, Baseline, Fingerprint, Settings};
use cedarcheck_workspace::{AnalysisConfig, DeepMode, PolicySetFiles, Workspace};

use crate::cli::{CheckArgs, CommonArgs};
use crate::output::{self, CheckResult};

pub fn run(args: &CheckArgs, common: &CommonArgs) -> u8 {
    let baseline = match args.baseline.as_deref().map(read_baseline).transpose() {
        Ok(baseline) => baseline,
        Err(message) => return super::fail(message),
    };
    match check(args, common) {
        Ok(mut result) => {
            if let Some(path) = &args.write_baseline {
                return write_baseline(path, &result, common);
            }
            if let Some(baseline) = baseline {
                let mut findings = std::mem::take(&mut result.findings);
                result.baselined = Some(
                    baseline.remove_recorded(&mut findings, |f| result.repo_path(&f.file).into()),
                );
                result.findings = findings;
            }
            output::print_check(&result, common);
            if result
                .findings
                .iter()
                .any(|f| f.level >= common.fail_level.level())
            {
                crate::exit::FINDINGS
            } else {
                crate::exit::CLEAN
            }
        }
        Err(message) => super::fail(message),
    }
}

/// A workspace and, when files were named, the root-relative files to show findings for.
struct Target {
    workspace: Workspace,
    only: Option<BTreeSet<String>>,
}

fn check(args: &CheckArgs, common: &CommonArgs) -> Result<CheckResult, String> {
    let (cwd, paths) = super::cwd_and_paths(&args.paths)?;
    let targets = targets(&paths, common.config.as_deref())?;
    let mut result = CheckResult::default();
    for target in &targets {
        let workspace = &target.workspace;
        if common.verbose {
            match &workspace.config {
                Some(config) => eprintln!("cedarcheck: config {}", config.path.display()),
                None => eprintln!(
                    "cedarcheck: no cedarcheck.toml; checking every *.cedar under {}",
                    workspace.root.display()
                ),
            }
        }
        let run = SetRun {
            target,
            settings: workspace.settings(),
            analysis: workspace.analysis(),
            deep: if common.deep {
                DeepMode::On
            } else if common.no_deep {
                DeepMode::Off
            } else {
                workspace.analysis().deep
            },
            repo_root: repository_root(&workspace.root),
            cwd: &cwd,
            args,
            common,
        };
        for (set_index, set) in workspace
            .policy_sets()
            .map_err(|e| e.to_string())?
            .into_iter()
            .enumerate()
        {
            run.check_set(set_index, &set, &mut result)?;
        }
    }
    cedarcheck_analyzer::sort_findings(&mut result.findings);
    Ok(result)
}

/// What checking each policy set of one workspace shares.
struct SetRun<'a> {
    target: &'a Target,
    settings: Settings,
    analysis: AnalysisConfig,
    deep: DeepMode,
    repo_root: PathBuf,
    cwd: &'a Path,
    args: &'a CheckArgs,
    common: &'a CommonArgs,
}

impl SetRun<'_> {
    /// Checks one set, and proves it unless deep analysis is off; adds its findings (those in
    /// the files asked about), files, notes and deep summary to `result`.
    fn check_set(
        &self,
        set_index: usize,
        set: &PolicySetFiles,
        result: &mut CheckResult,
    ) -> Result<(), String> {
        let workspace = &self.target.workspace;
        // A named schema, links file or config affects every policy of the set.
        let only = match &self.target.only {
            Some(only)
                if only
                    .iter()
                    .any(|file| affects_whole_set(workspace, set, file)) =>
            {
                None
            }
            Some(only) if !only.iter().any(|file| set.contains(file)) => return Ok(()),
            only => only.as_ref(),
        };
        let label = set.name.as_deref().unwrap_or("policy set");
        if self.common.verbose {
            eprintln!(
                "cedarcheck: {label}: {} policy file(s), {}",
                set.policies.len(),
                set.schema_summary()
            );
        }
        result.notes.extend(set.schema_note());
        if set.schema.is_none() {
            result.notes.push(format!(
                "{label} under {}: no schema found, so strict validation was skipped",
                display_path(&workspace.root, self.cwd)
            ));
        }
        let input = set.read(&workspace.root).map_err(|e| e.to_string())?;
        let report = cedarcheck_analyzer::check(&input, &self.settings);
        result.policies += report.policy_count;
        let mut findings = report.findings.clone();
        let mut extra_sources = Vec::new();
        let mut summary = deep::Summary::not_run(deep::turned_off_reason(self.common.no_deep));
        if self.deep != DeepMode::Off {
            let outcome = self.prove(set_index, set, &input, &report, label)?;
            for note in outcome.notes {
                if !result.notes.contains(&note) {
                    result.notes.push(note);
                }
            }
            findings.extend(outcome.findings);
            extra_sources = outcome.sources;
            summary = outcome.summary;
        }
        result.deep.push(output::SetDeep {
            set: set.name.clone(),
            summary,
        });
        let files = input.files().into_iter().chain(&extra_sources);
        for file in files {
            result.files += 1;
            let shown = display_path(&workspace.root.join(&file.path), self.cwd);
            result.repo_paths.insert(
                shown.clone(),
                display_path(&workspace.root.join(&file.path), &self.repo_root),
            );
            if only.is_none_or(|only| only.contains(&file.path)) {
                result.reported_files.insert(shown.clone());
            }
            result.add_source(shown, file.text.clone());
        }
        for mut finding in findings {
            if only.is_some_and(|only| !only.contains(&finding.file)) {
                continue;
            }
            finding.file = display_path(&workspace.root.join(&finding.file), self.cwd);
            for related in &mut finding.related {
                related.file = display_path(&workspace.root.join(&related.file), self.cwd);
            }
            result.findings.push(finding);
        }
        Ok(())
    }

    /// The deep rules and invariants of one set (`src/deep.rs`); with `-v`, what they asked.
    fn prove(
        &self,
        set_index: usize,
        set: &PolicySetFiles,
        input: &cedarcheck_analyzer::PolicySetInput,
        report: &cedarcheck_analyzer::Report,
        label: &str,
    ) -> Result<deep::DeepOutcome, String> {
        let outcome = deep::run(&deep::DeepRun {
            root: &self.target.workspace.root,
            set,
            set_index,
            input,
            report,
            settings: &self.settings,
            analysis: &self.analysis,
            mode: self.deep,
            jobs: self.common.jobs,
            use_cache: !self.args.no_cache,
            progress: !self.common.quiet,
        })?;
        if let (Some(stats), true) = (&outcome.stats, self.common.verbose) {
            eprintln!(
                "cedarcheck: {label}: deep analysis of {} environments: {} solver queries \
                 (naive: {}), {} from cache, {} by a counterexample, {} unknown",
                stats.environments,
                stats.solver_queries,
                stats.naive_queries,
                stats.cached_queries,
                stats.witness_queries,
                stats.unknown
            );
        }
        Ok(outcome)
    }
}

/// Groups the paths by the workspace they belong to. A directory means all of its
/// workspace's sets; files narrow the findings shown to those files (pre-commit passes files).
fn targets(paths: &[PathBuf], config: Option<&Path>) -> Result<Vec<Target>, String> {
    let mut targets: Vec<Target> = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file or directory", path.display()));
        }
        let workspace = Workspace::open(path, config).map_err(|e| e.to_string())?;
        let file = if path.is_file() {
            Some(
                workspace
                    .relative(path)
                    .ok_or_else(|| format!("{}: outside the workspace", path.display()))?,
            )
        } else {
            None
        };
        let same = |t: &&mut Target| {
            t.workspace.root == workspace.root
                && t.workspace.config.as_ref().map(|c| &c.path)
                    == workspace.config.as_ref().map(|c| &c.path)
        };
        match targets.iter_mut().find(|t| same(t)) {
            Some(target) => match (&mut target.only, file) {
                (Some(only), Some(file)) => {
                    only.insert(file);
                }
                (only, None) => *only = None,
                (None, Some(_)) => {}
            },
            None => targets.push(Target {
                workspace,
                only: file.map(|f| BTreeSet::from([f])),
            }),
        }
    }
    Ok(targets)
}

/// Whether naming the root-relative `file` means checking all of `set`: its schema, a links
/// file and the config change what every policy means.
fn affects_whole_set(workspace: &Workspace, set: &PolicySetFiles, file: &str) -> bool {
    set.schema.as_deref() == Some(file)
        || set.links.iter().any(|links| links == file)
        || workspace
            .config
            .as_ref()
            .and_then(|config| workspace.relative(&config.path))
            .is_some_and(|config| config == file)
}

/// The root of the git work tree `dir` lies in, else `dir`: SARIF, GitHub annotations and
/// baselines record paths relative to it, as code scanning expects.
fn repository_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

fn read_baseline(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the baseline: {e}", path.display()))?;
    Baseline::from_json(&text).map_err(|e| format!("{}:{e}", path.display()))
}

/// Records every finding of this run in `path` (atomically) and exits 0: they are now known.
fn write_baseline(path: &Path, result: &CheckResult, common: &CommonArgs) -> u8 {
    let baseline = Baseline::from_fingerprints(
        result
            .findings
            .iter()
            .map(|f| Fingerprint::of(f, result.repo_path(&f.file))),
    );
    if let Err(e) = super::fmt::write_atomically(path, baseline.to_json().as_bytes()) {
        return super::fail(format!(
            "{}: cannot write the baseline: {e}",
            path.display()
        ));
    }
    if !common.quiet {
        eprintln!(
            "cedarcheck: wrote {} {} to {}; check with `--baseline {}` to see only new ones",
            baseline.len(),
            if baseline.len() == 1 {
                "finding"
            } else {
                "findings"
            },
            path.display(),
            path.display()
        );
    }
    crate::exit::CLEAN
}
