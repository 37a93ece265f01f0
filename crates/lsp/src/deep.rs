//! Deep (solver-backed) findings in the background: debounced after the last edit of a set,
//! one run per set at a time, and never published over newer text.
//!
//! A newer edit of the set supersedes its scheduled run before it starts, and cancels a run
//! already asking the solver: no new request environment starts and the running query is cut
//! off (its solver process killed), so the stale run ends within moments and the next one can
//! start. A cancelled run's findings are never published; the answers it learned before it
//! stopped go into the query cache, for the next run to reuse. Shutdown cancels every run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cedarcheck_analyzer::Settings;
use cedarcheck_prover::{Cache, DeniedEntry, NotRunReason, SetRun, SetRunOutcome};
use cedarcheck_workspace::{AnalysisConfig, DeepMode, PolicySetFiles};

use crate::analysis::{self, Overlay, SetFindings};
use crate::tasks::{self, lock};

/// How long a set must stay unedited before its deep analysis starts.
pub const DEBOUNCE: Duration = Duration::from_millis(400);

/// A set to analyse, as the refresh that asked for it found it.
#[derive(Clone)]
pub struct Request {
    pub root: PathBuf,
    pub index: usize,
    pub set: PolicySetFiles,
    pub settings: Settings,
    pub analysis: AnalysisConfig,
}

type SetKey = (PathBuf, usize);

#[derive(Default)]
struct SetJob {
    /// Bumped by every schedule: a run belongs to the generation that scheduled it.
    generation: u64,
    /// The cancel flag of the current generation's run; the next schedule sets it.
    cancel: Arc<AtomicBool>,
    /// Held by the running analysis: one at a time per set.
    running: Arc<tokio::sync::Mutex<Cache>>,
}

impl SetJob {
    /// A new generation, cancelling the previous one's run; returns its number and flag.
    fn supersede(&mut self) -> (u64, Arc<AtomicBool>) {
        self.generation += 1;
        self.cancel.store(true, Ordering::SeqCst);
        self.cancel = Arc::new(AtomicBool::new(false));
        (self.generation, self.cancel.clone())
    }
}

#[derive(Default)]
pub struct Jobs {
    /// `initializationOptions.deep`: `false` turns deep analysis off in the editor.
    disabled: AtomicBool,
    sets: Mutex<HashMap<SetKey, SetJob>>,
    /// Whether the missing-solver message was shown already.
    told_no_solver: AtomicBool,
}

impl Jobs {
    pub fn set_enabled(&self, enabled: bool) {
        self.disabled.store(!enabled, Ordering::SeqCst);
    }

    /// Supersedes every scheduled run and cancels every running one (at shutdown).
    pub fn cancel_all(&self) {
        self.disabled.store(true, Ordering::SeqCst);
        for job in lock(&self.sets).values_mut() {
            job.supersede();
        }
    }

    /// Schedules the set's deep analysis, superseding any scheduled one and cancelling a
    /// running one; `None` when deep analysis is off. Run it with [`Jobs::run`].
    pub fn schedule(&self, request: &Request) -> Option<Ticket> {
        if self.disabled.load(Ordering::SeqCst) || request.analysis.deep == DeepMode::Off {
            return None;
        }
        let key = (request.root.clone(), request.index);
        let mut sets = lock(&self.sets);
        let job = sets.entry(key.clone()).or_default();
        let (generation, cancel) = job.supersede();
        Some(Ticket {
            key,
            generation,
            cancel,
            running: job.running.clone(),
        })
    }

    /// Whether `ticket` is still the newest schedule of its set (and deep analysis still on).
    pub fn is_current(&self, ticket: &Ticket) -> bool {
        !self.disabled.load(Ordering::SeqCst)
            && lock(&self.sets)
                .get(&ticket.key)
                .is_some_and(|job| job.generation == ticket.generation)
    }

    /// Runs a scheduled analysis after [`DEBOUNCE`], once the set's running one ended, on the
    /// edit stamp and overlay `snapshot` takes then; `None` when a newer schedule superseded it
    /// before it started. Learned solver answers are kept for the set's next run.
    pub async fn run(
        &self,
        ticket: &Ticket,
        request: Request,
        snapshot: impl FnOnce() -> (u64, Overlay),
    ) -> Option<(u64, Result<Outcome, String>)> {
        tokio::time::sleep(DEBOUNCE).await;
        if !self.is_current(ticket) {
            return None;
        }
        let mut cache = ticket.running.lock().await;
        if !self.is_current(ticket) {
            return None;
        }
        let (stamp, overlay) = snapshot();
        let previous = cache.clone();
        let cancel = ticket.cancel.clone();
        let outcome =
            tasks::blocking(move || prove(&request, &overlay, previous, Some(cancel))).await;
        let outcome = match outcome {
            Ok(Ok((outcome, learned))) => {
                if let Some(learned) = learned {
                    *cache = learned;
                }
                Ok(outcome)
            }
            Ok(Err(message)) => Err(message),
            Err(error) => Err(error.to_string()),
        };
        Some((stamp, outcome))
    }

    /// Whether the missing-solver message is still to be shown (it is shown once).
    pub fn tell_no_solver(&self) -> bool {
        !self.told_no_solver.swap(true, Ordering::SeqCst)
    }
}

/// A scheduled run of one set's deep analysis.
pub struct Ticket {
    key: SetKey,
    generation: u64,
    cancel: Arc<AtomicBool>,
    running: Arc<tokio::sync::Mutex<Cache>>,
}

pub fn no_solver_message() -> String {
    format!(
        "cedarcheck: deep analysis is off because {}",
        NotRunReason::NoSolver
    )
}

pub enum Outcome {
    Findings(SetFindings),
    /// A newer edit or shutdown stopped the run: its findings are incomplete and stale.
    Cancelled,
    NoSolver,
    NoSchema,
}

/// The deep rules for one set, over the editor's buffers, as `cedarcheck check` runs them
/// (`cedarcheck_prover::run_set`, on the report the set's incremental check made of the same
/// texts); setting `cancel` stops the run. With the outcome comes the query cache to keep,
/// when it changed: a cancelled run's holds what it learned besides what was known before.
fn prove(
    request: &Request,
    overlay: &Overlay,
    cache: Cache,
    cancel: Option<Arc<AtomicBool>>,
) -> Result<(Outcome, Option<Cache>), String> {
    // A run superseded before it starts does not check its stale text in the set's
    // incremental check, which would then parse the newer text again.
    if cancel.as_ref().is_some_and(|c| c.load(Ordering::SeqCst)) {
        return Ok((Outcome::Cancelled, None));
    }
    let root = &request.root;
    let (input, report) = analysis::checked_set(root, &request.set, &request.settings, overlay)
        .map_err(|e| e.to_string())?;
    let denied: Vec<DeniedEntry<'_>> = request
        .analysis
        .intentionally_denied
        .iter()
        .map(|entry| DeniedEntry {
            action: &entry.action,
            at: &entry.at,
        })
        .collect();
    let run = SetRun {
        input: &input,
        report: &report,
        invariant_files: &request.set.invariants,
        settings: &request.settings,
        intentionally_denied: &denied,
        one_of_several: request.set.name.is_some(),
        timeout_ms: request.analysis.timeout_ms,
        jobs: request.analysis.jobs,
        demanded: request.analysis.deep == DeepMode::On,
        cache,
        progress: None,
        cancel,
        shard: None,
    };
    let outcome = cedarcheck_prover::run_set(run, |file| analysis::read(root, file, overlay))
        .map_err(|e| e.to_string())?;
    // Demanded or not, a run that cannot happen is no error in the editor.
    Ok(match outcome {
        SetRunOutcome::NotRun(not_run) => match not_run.reason {
            NotRunReason::NoSolver => (Outcome::NoSolver, None),
            NotRunReason::NoSchema | NotRunReason::SchemaDoesNotLoad => (Outcome::NoSchema, None),
        },
        SetRunOutcome::Ran(proved) if proved.cancelled => (Outcome::Cancelled, Some(proved.cache)),
        SetRunOutcome::Ran(proved) => {
            let sources = input.files().into_iter().chain(&proved.invariant_sources);
            (
                Outcome::Findings(analysis::group(root, sources, proved.findings)),
                Some(proved.cache),
            )
        }
    })
}
