//! `cedarcheck check [PATH…]`: parse, strict validation, the static rules and the deep
//! (solver-backed) rules, per policy set.

use crate::deep;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{display_path, Baseline, Fingerprint, Settings};
use cedarcheck_prover::{Cache, Shard};
use cedarcheck_workspace::{AnalysisConfig, DeepMode, PolicySetFiles, Workspace};

use crate::cli::{CheckArgs, CommonArgs, Format};
use crate::output::{self, CheckResult};
use crate::shard_result::{self, ShardResult, ShardSet};

pub fn run(args: &CheckArgs, common: &CommonArgs) -> u8 {
    if let Some(shard) = args.shard {
        return run_shard(args, common, shard);
    }
    let baseline = match args.baseline.as_deref().map(read_baseline).transpose() {
        Ok(baseline) => baseline,
        Err(message) => return super::fail(message),
    };
    match check(args, common, &Plan::Whole) {
        Ok(Checked { mut result, .. }) => {
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
            report(&result, common)
        }
        Err(message) => super::fail(message),
    }
}

/// Prints `result` in the chosen format; the exit code its findings make.
pub(crate) fn report(result: &CheckResult, common: &CommonArgs) -> u8 {
    output::print_check(result, common);
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

/// `check --shard K/N`: proves the shard's environments of every set and prints the shard
/// result (README "Sharding across CI jobs"); its findings are `cedarcheck merge`'s to report.
fn run_shard(args: &CheckArgs, common: &CommonArgs, shard: Shard) -> u8 {
    if let Some(format) = common.format.filter(|f| *f != Format::Json) {
        return super::fail(format!(
            "--shard prints a shard result for `cedarcheck merge`, which is JSON; \
             --format {} is for merge",
            format_name(format)
        ));
    }
    let checked = match check(args, common, &Plan::Shard(shard)) {
        Ok(checked) => checked,
        Err(message) => return super::fail(message),
    };
    let result = ShardResult {
        cedarcheck_shard: shard_result::FORMAT,
        cedarcheck_version: env!("CARGO_PKG_VERSION").into(),
        shard: shard.index(),
        shards: shard.count(),
        inputs: shard_result::run_inputs(&checked.sets),
        sets: checked.sets,
    };
    let json = match serde_json::to_string(&result) {
        Ok(json) => json,
        Err(error) => return super::fail(format!("cannot write the shard result: {error}")),
    };
    output::to_stdout(|out| writeln!(out, "{json}"));
    if !common.quiet {
        let covered: usize = result.sets.iter().map(|s| s.environments.len()).sum();
        let all: usize = result.sets.iter().map(|s| s.environments_in_all).sum();
        let asked: usize = result.sets.iter().map(|s| s.solver_queries).sum();
        eprintln!(
            "cedarcheck: shard {shard}: {covered} of {all} environments, {asked} solver \
             queries; `cedarcheck merge` makes the report from all {} shard results",
            shard.count()
        );
    }
    crate::exit::CLEAN
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Pretty => "pretty",
        Format::Compact => "compact",
        Format::Json => "json",
        Format::Sarif => "sarif",
        Format::Github => "github",
        Format::Junit => "junit",
    }
}

/// How `check` runs the deep analysis of each policy set.
pub(crate) enum Plan<'a> {
    /// Every environment.
    Whole,
    /// The shard's environments only; no deep findings.
    Shard(Shard),
    /// Every environment, starting from the shards' answers: one entry per set, in order.
    Merge(&'a [MergedSet]),
}

/// One policy set's answers from every shard.
pub(crate) struct MergedSet {
    /// What the shards read ([`shard_result::set_inputs`]): the set here must be the same.
    pub inputs: String,
    pub answers: Cache,
    /// Queries the shards asked the solver.
    pub solver_queries: usize,
}

/// What `check` found, and per policy set what a shard result records.
pub(crate) struct Checked {
    pub result: CheckResult,
    /// One per set checked, in order (only with `Plan::Shard` or `Plan::Merge`); with
    /// `Plan::Merge`, `solver_queries` counts the queries this run asked.
    pub sets: Vec<ShardSet>,
}

/// A workspace and, when files were named, the root-relative files to show findings for.
struct Target {
    workspace: Workspace,
    only: Option<BTreeSet<String>>,
}

pub(crate) fn check(
    args: &CheckArgs,
    common: &CommonArgs,
    plan: &Plan<'_>,
) -> Result<Checked, String> {
    let (cwd, paths) = super::cwd_and_paths(&args.paths)?;
    let targets = targets(&paths, common.config.as_deref())?;
    let mut result = CheckResult::default();
    let mut sets = Vec::new();
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
        let mut settings = workspace.settings();
        settings.jobs = common.jobs.unwrap_or(settings.jobs);
        let run = SetRun {
            target,
            settings,
            analysis: workspace.analysis(),
            deep: deep_mode(plan, common, workspace.analysis().deep)?,
            plan,
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
            run.check_set(set_index, &set, &mut result, &mut sets)?;
        }
    }
    if let Plan::Merge(merged) = plan {
        if merged.len() != sets.len() {
            return Err(format!(
                "the shard results are of {} policy {}, and {} {} checked here: run `merge` \
                 with the paths the shards were given",
                merged.len(),
                if merged.len() == 1 { "set" } else { "sets" },
                sets.len(),
                if sets.len() == 1 { "is" } else { "are" },
            ));
        }
    }
    cedarcheck_analyzer::sort_findings(&mut result.findings);
    Ok(Checked { result, sets })
}

/// Whether the deep analysis runs: `--shard` and `merge` need it.
fn deep_mode(
    plan: &Plan<'_>,
    common: &CommonArgs,
    configured: DeepMode,
) -> Result<DeepMode, String> {
    let needed_by = match plan {
        Plan::Whole => None,
        Plan::Shard(_) => Some("--shard"),
        Plan::Merge(_) => Some("merge"),
    };
    Ok(match needed_by {
        None if common.deep => DeepMode::On,
        None if common.no_deep => DeepMode::Off,
        None => configured,
        Some(what) if common.no_deep => {
            return Err(format!(
                "{what} needs the deep analysis, which --no-deep turns off"
            ))
        }
        Some(what) if configured == DeepMode::Off && !common.deep => {
            return Err(format!(
                "{what} needs the deep analysis, which [analysis] deep = \"off\" turns off: \
                 pass --deep"
            ))
        }
        Some(_) => DeepMode::On,
    })
}

/// What checking each policy set of one workspace shares.
struct SetRun<'a> {
    target: &'a Target,
    settings: Settings,
    analysis: AnalysisConfig,
    deep: DeepMode,
    plan: &'a Plan<'a>,
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
        sets: &mut Vec<ShardSet>,
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
        // A shard or merge: what the set's check reads, and the shards' answers for it.
        let inputs = (!matches!(self.plan, Plan::Whole)).then(|| self.inputs(set, &input));
        let merged =
            match (self.plan, &inputs) {
                (Plan::Merge(merged), Some(inputs)) => {
                    let ordinal = sets.len();
                    match merged.get(ordinal) {
                        Some(m) if &m.inputs == inputs => Some(m),
                        _ => {
                            return Err(format!(
                            "the shard results are of other inputs than the policy set {}here: \
                             its policies, schema, links, invariants or config differ; run \
                             `merge` on the commit the shards checked, with the paths they \
                             were given",
                            set.name.as_deref().map_or(String::new(), |n| format!("`{n}` "))
                        ))
                        }
                    }
                }
                _ => None,
            };
        if self.deep != DeepMode::Off {
            let outcome = self.prove(set_index, set, &input, &report, label, merged)?;
            if let Some(inputs) = inputs {
                let run = outcome.shard.clone().unwrap_or_default();
                sets.push(ShardSet {
                    name: set.name.clone(),
                    inputs,
                    deep: outcome.summary.ran,
                    environments_in_all: run.environments_in_all,
                    environments: run.environments,
                    solver_queries: outcome.summary.solver_queries,
                    answers: run.replay.to_value(),
                });
            }
            for note in outcome.notes {
                if !result.notes.contains(&note) {
                    result.notes.push(note);
                }
            }
            findings.extend(outcome.findings);
            extra_sources = outcome.sources;
            summary = outcome.summary;
            // The report counts the queries the shards asked, as an unsharded run would.
            if let Some(merged) = merged {
                summary.solver_queries += merged.solver_queries;
            }
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
        merged: Option<&MergedSet>,
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
            shard: match self.plan {
                Plan::Shard(shard) => Some(*shard),
                _ => None,
            },
            seed: merged.map(|m| m.answers.clone()),
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

impl SetRun<'_> {
    /// The digest of what checking `set` reads: its files, its invariant files and the config.
    fn inputs(&self, set: &PolicySetFiles, input: &cedarcheck_analyzer::PolicySetInput) -> String {
        let workspace = &self.target.workspace;
        let invariants: Vec<(&str, String)> = set
            .invariants
            .iter()
            .map(|file| {
                let text = std::fs::read_to_string(workspace.root.join(file))
                    .unwrap_or_else(|error| format!("<unreadable: {error}>"));
                (file.as_str(), text)
            })
            .collect();
        shard_result::set_inputs(
            input
                .files()
                .into_iter()
                .map(|f| (f.path.as_str(), &*f.text))
                .chain(invariants.iter().map(|(path, text)| (*path, text.as_str()))),
            workspace.config.as_ref().map(|c| c.text.as_str()),
        )
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
