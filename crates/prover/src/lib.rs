//! cedarcheck's solver-backed analysis. For every request environment of the schema
//! (principal type × action × resource type), the policies that can apply are compiled by
//! SymCC, the Cedar project's verified symbolic compiler, and questions about them go to cvc5.
//!
//! Queries are pruned before they are asked (scopes that cannot apply, scopes that cannot
//! overlap, one union query instead of every pair, and questions that a request the solver
//! already produced answers concretely: see `witness`), run in parallel, each on a fresh
//! solver process, bounded by a per-query time limit, and cached by content hash. A query the
//! solver cannot decide is reported as unknown, never as clean. A run can be cancelled.

mod analysis;
mod cache;
mod checked_set;
mod counterexample;
pub mod diff;
mod effect;
mod environment;
mod error;
mod outcome;
mod renaming;
mod report;
mod rules;
mod set_run;
mod shard;
mod solver;
mod verdict;
mod witness;
mod worker;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cedar_policy::{EntityUid, Policy, PolicyId, PolicySet, Schema};
use cedarcheck_analyzer::{Finding, LoadedSet, PolicyKind, Settings};

pub use cache::Cache;
pub use checked_set::{prove_set, prove_shard, CheckedSet, SetProof};
pub use error::IntentionallyDeniedError;
pub use rules::unreachable_action::{has_actions_in_namespace_of, schema_action};
pub use set_run::{
    run_set, CheckedInvariant, DeniedEntry, NotRun, NotRunReason, SetRun, SetRunError,
    SetRunOutcome, SetRunReport, INSTALL_CVC5,
};
pub use shard::{expected_cost, inputs_digest, partition, Shard, ShardError};
pub use solver::{find_cvc5, SolverCommand};

use environment::{EnvCx, EnvJob, Shared, Subject};

/// A loaded policy set with the display paths of the files its entries point into.
pub struct LoadedPolicies<'a> {
    pub loaded: &'a LoadedSet,
    pub files: &'a [String],
    /// Policies (by id) to leave out: they failed validation, or the validator already
    /// proved them impossible.
    pub skip: &'a BTreeSet<String>,
}

pub struct DeepInput<'a> {
    pub policies: LoadedPolicies<'a>,
    pub schema: &'a Schema,
    /// The schema's text, part of every cache key.
    pub schema_text: &'a str,
    /// The schema file's display path: `unreachable-action` reports at its declarations.
    pub schema_path: &'a str,
    pub invariants: Option<LoadedPolicies<'a>>,
    pub settings: &'a Settings,
}

pub struct DeepOptions<'a> {
    pub solver: SolverCommand,
    /// Parallel solver processes; 0 = one per core.
    pub jobs: usize,
    pub cache: Cache,
    /// Called with (environments done, environments in all).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Setting it stops the run early (a running query is cut off); the report then says
    /// `cancelled` and its findings are incomplete.
    pub cancel: Option<Arc<AtomicBool>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub environments: usize,
    /// Queries that reached the solver.
    pub solver_queries: usize,
    /// Queries answered from the cache.
    pub cached_queries: usize,
    /// Queries answered by evaluating a request the solver had produced for another query.
    pub witness_queries: usize,
    /// What asking everything would cost: per environment, three questions per policy, one
    /// per ordered pair, one about the whole set, one per invariant.
    pub naive_queries: usize,
    pub unknown: usize,
}

pub struct DeepReport {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// The cache to write back: this run's answers, without entries no query used.
    pub cache: Cache,
    /// Templates are analysed through their links; these have none and were not analysed.
    pub skipped_templates: Vec<String>,
    /// The run was cancelled before it ended: the findings are incomplete.
    pub cancelled: bool,
    /// What a shard's run covered; `None` for a whole run.
    pub shard: Option<ShardRun>,
}

/// What one shard of a deep analysis did: the part of a shard result (README "Sharding
/// across CI jobs") that lets `cedarcheck merge` re-run the whole analysis from answers.
#[derive(Clone, Debug, Default)]
pub struct ShardRun {
    /// The environments this shard analysed, in the analysis' order.
    pub environments: Vec<String>,
    /// The environments of the set, in all shards.
    pub environments_in_all: usize,
    /// The cache a run of these environments starts from to take the very path this one
    /// took: the answers it used or found, and the witnesses it started with (not those it
    /// ends with, which a replay would try in another order).
    pub replay: Cache,
}

pub fn analyze(input: &DeepInput<'_>, options: DeepOptions<'_>) -> DeepReport {
    analyze_shard(input, options, None)
}

/// [`analyze`], for the environments of `shard` only (all of them for `None`). A shard's
/// report has no findings: which findings hold depends on every environment, and `cedarcheck
/// merge` reports them from the answers of all shards.
pub fn analyze_shard(
    input: &DeepInput<'_>,
    options: DeepOptions<'_>,
    shard: Option<Shard>,
) -> DeepReport {
    let (subjects, skipped_templates) = analyzed(&input.policies, "");
    let (invariants, _) = match &input.invariants {
        Some(invariants) => analyzed(invariants, "invariant:"),
        None => (Vec::new(), Vec::new()),
    };
    let enabled = rules::DeepRule::ALL
        .iter()
        .map(|rule| rule.declaration())
        .filter(|rule| input.settings.may_be_on(rule))
        .map(|rule| rule.id)
        .collect();
    let display_ids = subjects
        .iter()
        .map(|s| (s.policy.id().clone(), s.id.clone()))
        .collect::<HashMap<PolicyId, String>>();
    let full_set =
        PolicySet::from_policies(subjects.iter().map(|s| s.policy.clone())).unwrap_or_default();
    let jobs = environments(input.schema, &subjects, &invariants);
    let selected: Vec<usize> = match shard {
        None => (0..jobs.len()).collect(),
        Some(shard) => shard::share(
            &jobs
                .iter()
                .map(|job| {
                    let cost = shard::expected_cost(job.policies.len(), job.invariants.len());
                    (job.name.as_str(), cost)
                })
                .collect::<Vec<_>>(),
            shard,
        ),
    };
    let shared = Shared {
        schema: input.schema,
        schema_key: cache::key([input.schema_text]),
        subjects,
        invariants,
        full_set,
        display_ids,
        cache: &options.cache,
        enabled,
        intentionally_denied: &input.settings.intentionally_denied,
    };

    let asked = Arc::new(AtomicUsize::new(0));
    let results = worker::on_workers(
        selected.len(),
        options.jobs,
        &options.solver,
        &asked,
        options.cancel.as_ref(),
        |worker, runtime, index| {
            let mut cx = EnvCx::new(&shared, &jobs[selected[index]], worker);
            let verdicts = runtime.block_on(analysis::analyze_env(&mut cx));
            let (key, witnesses) = cx.useful_witnesses();
            let (mut learned, mut used) = (cx.learned, cx.used);
            used.insert(key.clone());
            learned.set_witnesses(key, witnesses);
            (verdicts, learned, used, cx.hits, cx.refuted)
        },
        |done, all| {
            if let Some(progress) = options.progress {
                progress(done, all);
            }
        },
    );

    let mut verdicts = Vec::new();
    let mut cache = options.cache.clone();
    let mut used = HashSet::new();
    let (mut cached_queries, mut witness_queries) = (0, 0);
    for (v, learned, u, hits, refuted) in results {
        verdicts.extend(v);
        cache.merge(learned);
        used.extend(u);
        cached_queries += hits;
        witness_queries += refuted;
    }
    cache.retain(&used);
    let shard_run = shard.map(|_| {
        let mut replay = cache.without_witnesses();
        for &index in &selected {
            let key = environment::witnesses_key(&shared, &jobs[index]);
            let start = options.cache.witnesses(&key);
            if !start.is_empty() {
                replay.set_witnesses(key, start.to_vec());
            }
        }
        ShardRun {
            environments: selected.iter().map(|&i| jobs[i].name.clone()).collect(),
            environments_in_all: jobs.len(),
            replay,
        }
    });
    let unknown = verdicts
        .iter()
        .filter(|v| matches!(v.outcome, outcome::Outcome::Unknown(_)))
        .count();
    let n = shared.subjects.len();
    let stats = Stats {
        environments: selected.len(),
        solver_queries: asked.load(Ordering::Relaxed),
        cached_queries,
        witness_queries,
        naive_queries: selected.len()
            * (3 * n + n * n.saturating_sub(1) + 1 + shared.invariants.len()),
        unknown,
    };
    let no_invariants = LoadedSet::default();
    let context = report::Context {
        shared: &shared,
        jobs: &jobs,
        policies: report::Locator {
            loaded: input.policies.loaded,
            files: input.policies.files,
        },
        invariants: match &input.invariants {
            Some(i) => report::Locator {
                loaded: i.loaded,
                files: i.files,
            },
            None => report::Locator {
                loaded: &no_invariants,
                files: &[],
            },
        },
        settings: input.settings,
    };
    // Verdicts about actions are reported per action, at the schema's declaration.
    let (actions, verdicts): (Vec<_>, Vec<_>) = verdicts
        .into_iter()
        .partition(|v| v.rule == rules::DeepRule::UnreachableAction);
    let mut findings = if shard.is_none() {
        report::findings(verdicts, &context)
    } else {
        Vec::new()
    };
    // A cancelled run has not asked about every environment of an action: it claims nothing;
    // nor does a shard, which asked about its share of them.
    if shard.is_none()
        && !options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    {
        findings.extend(rules::unreachable_action::findings(
            actions,
            &jobs,
            &shared,
            (input.schema_path, input.schema_text),
            input.settings,
        ));
    }
    cedarcheck_analyzer::sort_findings(&mut findings);
    DeepReport {
        findings,
        stats,
        cache,
        skipped_templates,
        cancelled: options.cancel.is_some_and(|c| c.load(Ordering::SeqCst)),
        shard: shard_run,
    }
}

/// The static and template-linked policies of a set, minus the skipped ones; and the
/// templates that have no links.
fn analyzed(set: &LoadedPolicies<'_>, id_prefix: &str) -> (Vec<Subject>, Vec<String>) {
    let mut subjects = Vec::new();
    let mut templates = Vec::new();
    for (index, entry) in set.loaded.entries.iter().enumerate() {
        if set.skip.contains(&entry.id) {
            continue;
        }
        if entry.kind == PolicyKind::Template {
            if !set.loaded.entries.iter().any(|e| e.template == Some(index)) {
                templates.push(entry.id.clone());
            }
            continue;
        }
        let Some(policy) = set.loaded.set.policy(&entry.internal_id) else {
            continue;
        };
        // A link's entities, by slot (`?principal` before `?resource`).
        let mut slots: Vec<(String, EntityUid)> = policy
            .template_links()
            .map(|links| {
                links
                    .into_iter()
                    .map(|(slot, uid)| (slot.to_string(), uid))
                    .collect()
            })
            .unwrap_or_default();
        slots.sort();
        let id = PolicyId::new(format!("{id_prefix}{}", entry.internal_id));
        // Should the conversion fail, the link itself is analysed: every question about it
        // then comes back unknown with SymCC's reason, never clean.
        let policy = denoted_static(policy, id.clone()).unwrap_or_else(|_| policy.new_id(id));
        subjects.push(Subject {
            slots: slots.into_iter().map(|(_, uid)| uid).collect(),
            entry: index,
            id: entry.id.clone(),
            text: policy.to_string(),
            policy,
        });
    }
    (subjects, templates)
}

/// The static policy a policy denotes, under `id`: a template-linked policy becomes its
/// template with the link's entities in the slots. SymCC compiles only static policies, and
/// which request environments a link applies in depends on its entities, not only on the
/// template's slots.
fn denoted_static(policy: &Policy, id: PolicyId) -> Result<Policy, String> {
    if policy.is_static() {
        return Ok(policy.new_id(id));
    }
    let json = policy.to_json().map_err(|e| e.to_string())?;
    Policy::from_json(Some(id), json).map_err(|e| e.to_string())
}

/// Every request environment of the schema, with the policies and invariants that are not
/// trivially false in it (Cedar's typechecker decides that, without the solver).
fn environments(schema: &Schema, subjects: &[Subject], invariants: &[Subject]) -> Vec<EnvJob> {
    let valid = |list: &[Subject]| -> Vec<HashSet<String>> {
        list.iter()
            .map(|s| {
                s.policy
                    .get_valid_request_envs(schema)
                    .map(|e| env_name(&e))
                    .collect()
            })
            .collect()
    };
    let (policy_envs, invariant_envs) = (valid(subjects), valid(invariants));
    // The schema lists environments in no fixed order; findings name them in this one.
    let mut envs: Vec<(String, cedar_policy::RequestEnv)> = schema
        .request_envs()
        .map(|env| (env_name(&env), env))
        .collect();
    envs.sort_by(|a, b| a.0.cmp(&b.0));
    envs.into_iter()
        .enumerate()
        .map(|(index, (name, env))| {
            let pick = |envs: &[HashSet<String>]| -> Vec<usize> {
                envs.iter()
                    .enumerate()
                    .filter(|(_, e)| e.contains(&name))
                    .map(|(i, _)| i)
                    .collect()
            };
            EnvJob {
                index,
                policies: pick(&policy_envs),
                invariants: pick(&invariant_envs),
                name,
                env,
            }
        })
        .collect()
}

fn env_name(env: &cedar_policy::RequestEnv) -> String {
    format!(
        "({}, {}, {})",
        env.principal(),
        env.action(),
        env.resource()
    )
}

/// The solver with the configured time limit.
pub fn solver_command(program: std::path::PathBuf, timeout_ms: u64) -> SolverCommand {
    SolverCommand {
        program,
        timeout: Duration::from_millis(timeout_ms.max(1)),
    }
}
