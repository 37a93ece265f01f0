//! The last test run of each set, kept for the "Evaluate" lenses: per policy of the set, the
//! tests that exercised it (the policy determined the test's decision or raised an error in
//! it). A run is of one edit stamp, and is stale once files may have changed on disk.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cedarcheck_workspace::PolicySetFiles;

use crate::analysis::{self, Overlay};
use crate::tasks::lock;

/// One test that exercised a policy, as the lens's command shows it.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// `file:line`, root-relative.
    pub at: String,
    pub name: String,
    pub decision: &'static str,
    /// The determining policies, by the ids tests use.
    pub determining: Vec<String>,
    /// `policy: message` of the errors.
    pub errors: Vec<String>,
    /// Why the test fails; empty when it passes.
    pub failures: Vec<String>,
}

/// A set's tests as they ran on the text of one edit stamp: per policy of the set (file and
/// the id tests use), the tests that exercised it.
pub struct SetRun {
    stamp: u64,
    generation: u64,
    pub policies: Vec<(String, String, Vec<Outcome>)>,
}

/// A set: the workspace root and its files.
type SetKey = (PathBuf, PolicySetFiles);

/// The last test run of each set, for the lenses.
#[derive(Default)]
pub struct LastRuns {
    runs: Mutex<Vec<(SetKey, Arc<SetRun>)>>,
    /// Bumped when files may have changed on disk (a document opened, saved or closed).
    generation: std::sync::atomic::AtomicU64,
}

/// How many sets keep their last run.
const KEPT_RUNS: usize = 16;

impl LastRuns {
    /// Files may have changed on disk: every run is stale.
    pub fn clear(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The run of `set`'s tests at `stamp`: the last one if it is of this stamp, else a new one.
    pub fn run(&self, job: &analysis::TestJob, overlay: &Overlay, stamp: u64) -> Arc<SetRun> {
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let key = (job.root.clone(), job.set.clone());
        if let Some((_, run)) = lock(&self.runs).iter().find(|(k, _)| *k == key) {
            if run.stamp == stamp && run.generation == generation {
                return run.clone();
            }
        }
        let run = Arc::new(SetRun {
            stamp,
            generation,
            policies: exercised(job, overlay),
        });
        let mut runs = lock(&self.runs);
        runs.retain(|(k, _)| *k != key);
        runs.push((key, run.clone()));
        if runs.len() > KEPT_RUNS {
            runs.remove(0);
        }
        run
    }
}

/// Runs the job's tests and files each under the policies that exercised it.
fn exercised(job: &analysis::TestJob, overlay: &Overlay) -> Vec<(String, String, Vec<Outcome>)> {
    let mut policies: Vec<(String, String, Vec<Outcome>)> = Vec::new();
    for run in analysis::run_tests(job, overlay) {
        let (Some(report), Some(set)) = (&run.report, &run.set) else {
            continue;
        };
        if policies.is_empty() {
            policies = set
                .policies
                .iter()
                .map(|p| (p.file.clone(), p.id.clone(), Vec::new()))
                .collect();
        }
        for test in &report.tests {
            let Some(actual) = &test.actual else {
                continue;
            };
            let outcome = Outcome {
                at: format!("{}:{}", report.path, test.line),
                name: test.name.clone(),
                decision: actual.decision.as_str(),
                determining: actual.reason.clone(),
                errors: actual
                    .errors
                    .iter()
                    .map(|e| format!("{}: {}", e.policy, e.message))
                    .collect(),
                failures: test.failures.clone(),
            };
            for (_, id, outcomes) in &mut policies {
                let erred = actual.errors.iter().any(|e| e.policy == *id);
                if actual.reason.contains(id) || erred {
                    outcomes.push(outcome.clone());
                }
            }
        }
    }
    policies
}
