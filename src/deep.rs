//! Running the prover for one policy set from the CLI — for `check` (every deep rule) and for
//! `test` (the invariants): finding cvc5, loading invariants, the on-disk query cache, and a
//! progress bar on a terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use cedarcheck_analyzer::{
    Finding, PolicySetInput, Report, Settings, SourceFile, INVARIANT_FILE_RULES,
};
use cedarcheck_prover::{Cache, CheckedSet, DeepOptions, SetProof, Stats};
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
    pub use_cache: bool,
    pub progress: bool,
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

/// The one line printed when `deep = "auto"` finds no solver.
pub const NO_SOLVER: &str = "deep analysis skipped: cvc5 was not found (install it with \
    `apt-get install cvc5` or `brew install cvc5`, or set $CVC5 to a cvc5 binary)";
/// How every note about a deep analysis that did not run begins.
pub const SKIPPED: &str = "deep analysis skipped: ";
/// Why the deep analysis of a set without a schema did not run.
const NEEDS_SCHEMA: &str = "it needs a schema";
/// Why the deep analysis of a set whose schema does not load did not run.
const SCHEMA_BROKEN: &str = "the schema does not load";

/// The actions `[analysis] intentionally-denied` names, as Cedar writes them, once the set's
/// schema loads. An entry that names no action of it is an error at the entry's place in the
/// config — except, in one `[[set]]` of several, one whose namespace the schema has no action
/// in: that is another set's.
fn intentionally_denied(run: &DeepRun<'_>) -> Result<Vec<String>, String> {
    let Some(schema) = run.report.schema.as_ref() else {
        return Ok(Vec::new());
    };
    let mut denied = Vec::new();
    for entry in &run.analysis.intentionally_denied {
        match cedarcheck_prover::schema_action(schema, &entry.action) {
            Ok(action) => denied.push(action),
            Err(_)
                if run.set.name.is_some()
                    && !cedarcheck_prover::has_actions_in_namespace_of(schema, &entry.action) => {}
            Err(message) => return Err(format!("{}: {message}", entry.at)),
        }
    }
    Ok(denied)
}

/// Runs the deep rules for the set. `Err` when deep analysis was demanded and cannot run.
pub fn run(run: &DeepRun<'_>) -> Result<DeepOutcome, String> {
    let mut outcome = DeepOutcome {
        findings: Vec::new(),
        sources: Vec::new(),
        notes: Vec::new(),
        stats: None,
        invariants: Vec::new(),
        summary: Summary::default(),
    };
    // A config error, whether or not cvc5 is here to use the entries.
    let mut settings = run.settings.clone();
    settings.intentionally_denied = intentionally_denied(run)?;
    let Some(cvc5) = cedarcheck_prover::find_cvc5() else {
        if run.mode == DeepMode::On {
            return Err(format!(
                "deep analysis was demanded (--deep or [analysis] deep = \"on\"), but {}",
                &NO_SOLVER[SKIPPED.len()..]
            ));
        }
        outcome.notes.push(NO_SOLVER.into());
        outcome.summary = Summary::not_run(&NO_SOLVER[SKIPPED.len()..]);
        return Ok(outcome);
    };
    if run.report.schema.is_none() || run.input.schema.is_none() {
        if run.mode == DeepMode::On && run.input.schema.is_none() {
            return Err("deep analysis needs a schema, and this policy set has none".into());
        }
        if run.input.schema.is_none() {
            outcome.notes.push(format!("{SKIPPED}{NEEDS_SCHEMA}"));
            outcome.summary = Summary::not_run(NEEDS_SCHEMA);
        } else {
            // Its `schema-error` findings say why; no note repeats them.
            outcome.summary = Summary::not_run(SCHEMA_BROKEN);
        }
        return Ok(outcome);
    }

    let cache_path = run
        .root
        .join(CACHE_DIR)
        .join(format!("deep-{}.json", run.set_index));
    let cache = if run.use_cache {
        std::fs::read_to_string(&cache_path).map_or_else(|_| Cache::new(), |t| Cache::from_json(&t))
    } else {
        Cache::new()
    };
    let progress = Progress::new(run.progress);
    let progress_fn = |done: usize, total: usize| progress.update(done, total);
    let proof = cedarcheck_prover::prove_set(
        CheckedSet {
            input: run.input,
            report: run.report,
            invariants: read_all(run.root, &run.set.invariants)?,
            settings: &settings,
        },
        DeepOptions {
            solver: cedarcheck_prover::solver_command(cvc5, run.analysis.timeout_ms),
            jobs: run.jobs.unwrap_or(run.analysis.jobs),
            cache,
            progress: Some(&progress_fn),
            cancel: None,
        },
    )
    .ok_or("the schema did not load")?;
    progress.finish();
    let SetProof {
        deep,
        invariant_input,
        invariant_report,
        skipped: skip,
    } = proof;
    if run.use_cache {
        write_cache(run.root, &cache_path, &deep.cache);
    }
    outcome.findings.extend(
        invariant_report
            .findings
            .iter()
            .filter(|f| {
                INVARIANT_FILE_RULES.iter().any(|rule| rule.id == f.rule)
                    && invariant_input.policies.iter().any(|p| p.path == f.file)
            })
            .cloned(),
    );
    if !deep.skipped_templates.is_empty() {
        outcome.notes.push(format!(
            "deep analysis skipped templates without links: {}",
            deep.skipped_templates.join(", ")
        ));
    }
    if !skip.is_empty() {
        outcome.notes.push(format!(
            "deep analysis skipped {} {} that {} not validate or can never apply: {}",
            skip.len(),
            if skip.len() == 1 {
                "policy"
            } else {
                "policies"
            },
            if skip.len() == 1 { "does" } else { "do" },
            skip.iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    outcome.summary = Summary {
        ran: true,
        reason: None,
        skipped_policies: skip.into_iter().collect(),
        skipped_templates: deep.skipped_templates.clone(),
        environments: deep.stats.environments,
        solver_queries: deep.stats.solver_queries,
        unknown: deep.stats.unknown,
    };
    outcome.findings.extend(deep.findings);
    outcome.invariants = invariant_report
        .loaded
        .entries
        .iter()
        .filter(|e| !invariant_report.invalid_policies.contains(&e.id))
        .map(|e| {
            let file = &invariant_input.policies[e.file];
            let line = cedarcheck_analyzer::LineIndex::new(&file.text)
                .position(&file.text, e.id_span.start)
                .line;
            (file.path.clone(), e.id.clone(), line)
        })
        .collect();
    outcome.sources = invariant_input.policies;
    outcome.stats = Some(deep.stats);
    Ok(outcome)
}

fn read_all(root: &Path, files: &[String]) -> Result<Vec<SourceFile>, String> {
    files
        .iter()
        .map(|f| {
            std::fs::read(root.join(f))
                .map(|bytes| SourceFile::from_bytes(f.clone(), bytes))
                .map_err(|e| format!("{f}: {e}"))
        })
        .collect()
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

/// A progress bar on stderr for runs longer than a second, only on a terminal and never in CI.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
}

impl Progress {
    fn new(wanted: bool) -> Self {
        let interactive =
            wanted && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = interactive.then(|| {
            let bar = indicatif::ProgressBar::hidden();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} deep analysis {bar:30} {pos}/{len} environments ({elapsed})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            start: Instant::now(),
        }
    }

    fn update(&self, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.start.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
