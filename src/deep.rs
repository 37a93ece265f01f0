//! Running the prover for one policy set from the CLI — for `check` (every deep rule) and for
//! `test` (the invariants). The path from a checked set to deep findings is the prover's
//! `run_set`, which the language server takes too; this module keeps what is the CLI's own:
//! reading the invariant files from disk, the on-disk query cache, a progress bar on a
//! terminal, and what `check` and `test` say about the outcome.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use cedarcheck_analyzer::{Finding, PolicySetInput, Report, Settings, SourceFile};
use cedarcheck_prover::{
    Cache, DeniedEntry, NotRun, NotRunReason, SetRun, SetRunOutcome, Shard, ShardRun, Stats,
};
use cedarcheck_workspace::{AnalysisConfig, DeepMode, PolicySetFiles};

/// Where the query cache lives, below the workspace root (like `.ruff_cache`).
const CACHE_DIR: &str = ".cedarcheck_cache";

pub struct DeepRun<'a> {
    pub root: &'a Path,
    pub set: &'a PolicySetFiles,
    pub set_index: usize,
    pub input: &'a PolicySetInput,
    pub report: &'a Report,
    pub settings: &'a Settings,
    pub analysis: &'a AnalysisConfig,
    pub mode: DeepMode,
    pub jobs: Option<usize>,
    /// Read the cache from, and write it to, `.cedarcheck_cache/`.
    pub use_cache: bool,
    pub progress: bool,
    /// Prove only this shard's environments. A shard does not write the cache: it holds only
    /// its environments' answers, and the merge writes the whole.
    pub shard: Option<Shard>,
    /// Start from these answers instead of the cache on disk (`cedarcheck merge`: the
    /// shards' answers, so that the run takes the path the shards took).
    pub seed: Option<Cache>,
}

pub struct DeepOutcome {
    pub findings: Vec<Finding>,
    /// Invariant files, for snippets.
    pub sources: Vec<SourceFile>,
    pub notes: Vec<String>,
    pub stats: Option<Stats>,
    /// Every invariant that was checked: (root-relative file, id, 1-based line).
    pub invariants: Vec<(String, String, usize)>,
    /// What ran and what did not, for the machine-readable formats.
    pub summary: Summary,
    /// What a shard covered.
    pub shard: Option<ShardRun>,
}

/// What the deep analysis of one policy set did, or why it did not run: what `--format json`
/// reports as `deep` and SARIF as tool execution notifications, so that a consumer can tell
/// "nothing found" from "not checked".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub ran: bool,
    /// Why it did not run, when it did not.
    pub reason: Option<String>,
    /// Policies left out: they do not validate, or can never apply.
    pub skipped_policies: Vec<String>,
    /// Templates without links, which are analysed only through their links.
    pub skipped_templates: Vec<String>,
    pub environments: usize,
    pub solver_queries: usize,
    /// Queries the solver could not decide.
    pub unknown: usize,
}

impl Summary {
    pub fn not_run(reason: impl Into<String>) -> Self {
        Self {
            reason: Some(reason.into()),
            ..Self::default()
        }
    }
}

/// Why the deep analysis did not run when it was turned off.
pub fn turned_off_reason(by_flag: bool) -> &'static str {
    if by_flag {
        "turned off by --no-deep"
    } else {
        "turned off by [analysis] deep = \"off\""
    }
}

/// How every note about a deep analysis that did not run begins.
pub const SKIPPED: &str = "deep analysis skipped: ";

/// Runs the deep rules for the set (through `cedarcheck_prover::run_set`, the path the
/// language server takes too). `Err` when deep analysis was demanded and cannot run.
pub fn run(run: &DeepRun<'_>) -> Result<DeepOutcome, String> {
    let mut outcome = DeepOutcome {
        findings: Vec::new(),
        sources: Vec::new(),
        notes: Vec::new(),
        stats: None,
        invariants: Vec::new(),
        summary: Summary::default(),
        shard: None,
    };
    let cache_path = run
        .root
        .join(CACHE_DIR)
        .join(format!("deep-{}.json", run.set_index));
    let denied: Vec<DeniedEntry<'_>> = run
        .analysis
        .intentionally_denied
        .iter()
        .map(|entry| DeniedEntry {
            action: &entry.action,
            at: &entry.at,
        })
        .collect();
    let cache = match &run.seed {
        Some(seed) => seed.clone(),
        None if run.use_cache => std::fs::read_to_string(&cache_path)
            .map_or_else(|_| Cache::new(), |t| Cache::from_json(&t)),
        None => Cache::new(),
    };
    let progress = Progress::new(run.progress);
    let progress_fn = |done: usize, total: usize| progress.update(done, total);
    let set_run = SetRun {
        input: run.input,
        report: run.report,
        invariant_files: &run.set.invariants,
        settings: run.settings,
        intentionally_denied: &denied,
        one_of_several: run.set.name.is_some(),
        timeout_ms: run.analysis.timeout_ms,
        jobs: run.jobs.unwrap_or(run.analysis.jobs),
        demanded: run.mode == DeepMode::On,
        cache,
        progress: Some(&progress_fn),
        cancel: None,
        shard: run.shard,
    };
    let read_invariant = |file: &str| {
        std::fs::read(run.root.join(file)).map(|bytes| SourceFile::from_bytes(file, bytes))
    };
    let report =
        match cedarcheck_prover::run_set(set_run, read_invariant).map_err(|e| e.to_string())? {
            SetRunOutcome::NotRun(not_run) => {
                return not_run_outcome(not_run, outcome);
            }
            SetRunOutcome::Ran(report) => *report,
        };
    progress.finish();
    if run.use_cache && run.shard.is_none() {
        write_cache(run.root, &cache_path, &report.cache);
    }
    outcome.findings = report.invariant_file_findings;
    outcome.findings.extend(report.findings);
    outcome.notes = report.notes;
    outcome.summary = Summary {
        ran: true,
        reason: None,
        skipped_policies: report.skipped_policies,
        skipped_templates: report.skipped_templates,
        environments: report.stats.environments,
        solver_queries: report.stats.solver_queries,
        unknown: report.stats.unknown,
    };
    outcome.invariants = report
        .invariants
        .into_iter()
        .map(|i| (i.file, i.id, i.line))
        .collect();
    outcome.sources = report.invariant_sources;
    outcome.shard = report.shard;
    outcome.stats = Some(report.stats);
    Ok(outcome)
}

/// What `check` and `test` say about a deep analysis that did not run.
fn not_run_outcome(not_run: NotRun, mut outcome: DeepOutcome) -> Result<DeepOutcome, String> {
    let reason = not_run.reason.to_string();
    match not_run.reason {
        NotRunReason::NoSolver if not_run.is_error() => Err(format!(
            "deep analysis was demanded (--deep or [analysis] deep = \"on\"), but {reason}"
        )),
        NotRunReason::NoSchema if not_run.is_error() => {
            Err("deep analysis needs a schema, and this policy set has none".into())
        }
        NotRunReason::NoSolver | NotRunReason::NoSchema => {
            outcome.notes.push(format!("{SKIPPED}{reason}"));
            outcome.summary = Summary::not_run(reason);
            Ok(outcome)
        }
        // Its `schema-error` findings say why; no note repeats them.
        NotRunReason::SchemaDoesNotLoad => {
            outcome.summary = Summary::not_run(reason);
            Ok(outcome)
        }
    }
}

/// Best effort: a cache that cannot be written only costs time next run.
fn write_cache(root: &Path, path: &Path, cache: &Cache) {
    let dir = root.join(CACHE_DIR);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    // Like .ruff_cache: the directory ignores itself.
    let _ = std::fs::write(dir.join(".gitignore"), "# Created by cedarcheck.\n*\n");
    let temporary = path.with_extension("json.tmp");
    if std::fs::write(&temporary, cache.to_json()).is_ok() {
        let _ = std::fs::rename(&temporary, path);
    }
}

/// A progress bar on stderr for runs longer than a second, only on a terminal and never in CI
/// (`mutants` shows one too).
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
}

impl Progress {
    fn new(wanted: bool) -> Self {
        Self::with_template(
            wanted,
            "{spinner} deep analysis {bar:30} {pos}/{len} environments ({elapsed})",
        )
    }

    /// `template` in indicatif's syntax.
    pub(crate) fn with_template(wanted: bool, template: &str) -> Self {
        let interactive =
            wanted && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = interactive.then(|| {
            let bar = indicatif::ProgressBar::hidden();
            bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            start: Instant::now(),
        }
    }

    pub(crate) fn update(&self, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.start.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
