//! One request environment's analysis context: the policies that apply in it, compiled once,
//! and `ask`, which answers a query from the cache or the solver.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cedar_policy::{Effect, EntityUid, Policy, PolicyId, PolicySet, RequestEnv, Schema};
use cedar_policy_symcc::{CompiledPolicy, CompiledPolicySet};
use serde_json::Value;

use crate::cache::{self, Cache, CachedAnswer, StoredRequest};
use crate::counterexample;
use crate::effect::with_effect;
use crate::error::QueryError;
use crate::renaming::Renaming;
use crate::witness::{Refutation, Witnesses};
use crate::worker::{solve, Worker};

/// Queries that involve more link entities than this are keyed by their plain texts.
const MAX_RENAMED: usize = 4;

/// A policy under analysis: a static policy or a template-linked one.
pub struct Subject {
    /// Index into the loaded set's entries.
    pub entry: usize,
    /// The id users know it by.
    pub id: String,
    /// Under its internal id (unique in the set).
    pub policy: Policy,
    /// Its text, for cache keys.
    pub text: String,
    /// A link's entities, slot by slot; none for a static policy. Cache keys rename them
    /// (see `renaming`), so that the links of one template share their answers.
    pub slots: Vec<EntityUid>,
}

impl Subject {
    pub fn effect(&self) -> Effect {
        self.policy.effect()
    }
}

/// What every environment's analysis reads.
pub struct Shared<'a> {
    pub schema: &'a Schema,
    pub schema_key: String,
    pub subjects: Vec<Subject>,
    pub invariants: Vec<Subject>,
    /// Every analyzed policy: the set whose decisions counterexamples are replayed against.
    pub full_set: PolicySet,
    /// Internal id → the id users know.
    pub display_ids: HashMap<PolicyId, String>,
    pub cache: &'a Cache,
    /// Which deep rules are on for at least one file.
    pub enabled: HashSet<&'static str>,
    /// Actions denied by design, which `unreachable-action` does not ask about.
    pub intentionally_denied: &'a [String],
}

impl Shared<'_> {
    /// Whether the settings leave the rule `declaration` on.
    pub fn enabled(&self, declaration: &cedarcheck_analyzer::Rule) -> bool {
        self.enabled.contains(declaration.id)
    }

    /// Users' ids for the internal ids in `reasons`.
    pub fn display(&self, reasons: &[String]) -> Vec<String> {
        reasons
            .iter()
            .map(|r| {
                self.display_ids
                    .get(&PolicyId::new(r))
                    .cloned()
                    .unwrap_or_else(|| r.clone())
            })
            .collect()
    }
}

/// One environment and the policies and invariants that can apply in it.
pub struct EnvJob {
    pub index: usize,
    pub env: RequestEnv,
    pub name: String,
    pub policies: Vec<usize>,
    pub invariants: Vec<usize>,
}

pub enum Query<'q> {
    NeverMatches(usize),
    AlwaysMatches(usize),
    NeverErrors(usize),
    MatchesImplies(usize, usize),
    /// Every request `target` matches is matched by one of `by`.
    Covered {
        target: usize,
        by: &'q [usize],
    },
    AlwaysAllows(&'q [usize]),
    /// The set of these policies allows no request; a `No` carries an allowed one.
    AlwaysDenies(&'q [usize]),
    /// The invariant holds over `policies`; a `No` carries a violating request.
    Invariant {
        invariant: usize,
        policies: &'q [usize],
    },
}

#[derive(Clone, Debug)]
pub enum Answer {
    Yes,
    No(Option<Value>),
    Unknown(String),
}

pub struct EnvCx<'a> {
    pub shared: &'a Shared<'a>,
    pub job: &'a EnvJob,
    worker: &'a mut Worker,
    compiled: HashMap<usize, Result<CompiledPolicy, Arc<cedar_policy_symcc::err::Error>>>,
    /// Answers found by this run, to merge into the cache.
    pub learned: Cache,
    /// Every key this run looked up, so that stale entries can be dropped.
    pub used: HashSet<String>,
    pub hits: usize,
    /// Requests the solver produced here, tried on each question before the solver is.
    witnesses: Witnesses<'a>,
    /// Questions a witness answered.
    pub refuted: usize,
}

impl<'a> EnvCx<'a> {
    pub fn new(shared: &'a Shared<'a>, job: &'a EnvJob, worker: &'a mut Worker) -> Self {
        let policies = job
            .policies
            .iter()
            .map(|&p| (p, shared.subjects[p].policy.clone()))
            .collect();
        let mut witnesses = Witnesses::new(job.env.clone(), shared.schema, policies);
        for request in shared.cache.witnesses(&witnesses_key(shared, job)) {
            if let Some(request) = request.value() {
                witnesses.add(&request);
            }
        }
        Self {
            shared,
            job,
            worker,
            compiled: HashMap::new(),
            learned: Cache::new(),
            used: HashSet::new(),
            hits: 0,
            witnesses,
            refuted: 0,
        }
    }

    /// The witnesses to keep for the next run, under their cache key.
    pub fn useful_witnesses(&self) -> (String, Vec<StoredRequest>) {
        (
            witnesses_key(self.shared, self.job),
            self.witnesses.useful(),
        )
    }

    pub fn subject(&self, index: usize) -> &'a Subject {
        &self.shared.subjects[index]
    }

    /// Which of this environment's policies of `effect` match the request of `cex` (their
    /// condition is true without error), by cedar-policy's Authorizer; `None` when the
    /// request does not load.
    pub fn matching(&mut self, cex: &Value, effect: Effect) -> Option<HashSet<usize>> {
        let subjects = &self.shared.subjects;
        let among: Vec<usize> = self
            .job
            .policies
            .iter()
            .copied()
            .filter(|&p| subjects[p].effect() == effect)
            .collect();
        Some(self.witnesses.matching(cex, &among)?.into_iter().collect())
    }

    /// Which of `among` match the request of `cex`, by the Authorizer (see
    /// [`Witnesses::matching`]).
    pub fn matching_among(&mut self, cex: &Value, among: &[usize]) -> Option<Vec<usize>> {
        self.witnesses.matching(cex, among)
    }

    /// Whether the cache holds `Yes` for the query; asks nothing.
    pub fn known_yes(&mut self, query: Query<'_>) -> bool {
        let (key, _) = self.key(&query);
        let known = matches!(
            self.shared
                .cache
                .get(&key)
                .or_else(|| self.learned.get(&key)),
            Some(CachedAnswer::Yes)
        );
        if known {
            self.used.insert(key);
            self.hits += 1;
        }
        known
    }

    /// The answer to `query`: from the cache, from a witness that settles it (a `No` only),
    /// or from the solver.
    pub async fn ask(&mut self, query: Query<'_>) -> Answer {
        let (key, renaming) = self.key(&query);
        self.used.insert(key.clone());
        let cached = self
            .shared
            .cache
            .get(&key)
            .or_else(|| self.learned.get(&key));
        let hit = match cached {
            Some(CachedAnswer::Yes) => Some(Answer::Yes),
            Some(CachedAnswer::No(None)) => Some(Answer::No(None)),
            Some(CachedAnswer::No(Some(cex))) => cex
                .value()
                .and_then(|cex| renaming.restore(&cex))
                .map(|cex| {
                    self.witnesses.add(&cex);
                    Answer::No(Some(cex))
                }),
            None => None,
        };
        if let Some(answer) = hit {
            self.hits += 1;
            return answer;
        }
        if let Some(cex) = self.refute(&query) {
            self.refuted += 1;
            return Answer::No(Some(cex));
        }
        let started = std::time::Instant::now();
        let answer = match self.solve(&query).await {
            Ok(answer) => answer,
            Err(error) => return Answer::Unknown(error.to_string()),
        };
        if profiling() {
            profile_line(&self.job.name, &query, &answer, started.elapsed());
        }
        if let Answer::No(Some(cex)) = &answer {
            self.witnesses.add(cex);
        }
        self.learned.insert(
            key,
            match &answer {
                Answer::No(cex) => CachedAnswer::No(
                    cex.as_ref()
                        .map(|cex| StoredRequest::new(&renaming.to_placeholders(cex))),
                ),
                _ => CachedAnswer::Yes,
            },
        );
        answer
    }

    /// A witness that answers the question `No`, for the questions whose answer is about
    /// which policies match.
    fn refute(&mut self, query: &Query<'_>) -> Option<Value> {
        let question = match query {
            Query::NeverMatches(p) => Refutation::NeverMatches(*p),
            Query::AlwaysMatches(p) => Refutation::AlwaysMatches(*p),
            Query::MatchesImplies(a, b) => Refutation::NotCovered(*a, std::slice::from_ref(b)),
            Query::Covered { target, by } => Refutation::NotCovered(*target, by),
            Query::AlwaysAllows(set) => Refutation::Denied(set),
            Query::AlwaysDenies(set) => Refutation::Allowed(set),
            Query::NeverErrors(_) | Query::Invariant { .. } => return None,
        };
        self.witnesses.refute(&question)
    }

    /// The query's cache key, over its policies' texts with the links' entities renamed,
    /// and that renaming, to carry counterexamples into and out of the cache.
    fn key(&self, query: &Query<'_>) -> (String, Renaming) {
        let subjects = &self.shared.subjects;
        let (kind, involved, invariant): (&str, Vec<usize>, Option<usize>) = match query {
            Query::NeverMatches(p) => ("never-matches", vec![*p], None),
            Query::AlwaysMatches(p) => ("always-matches", vec![*p], None),
            Query::NeverErrors(p) => ("never-errors", vec![*p], None),
            Query::MatchesImplies(a, b) => ("matches-implies", vec![*a, *b], None),
            Query::Covered { target, by } => (
                "covered",
                std::iter::once(*target).chain(by.iter().copied()).collect(),
                None,
            ),
            Query::AlwaysAllows(set) => ("always-allows", set.to_vec(), None),
            Query::AlwaysDenies(set) => ("always-denies", set.to_vec(), None),
            Query::Invariant {
                invariant,
                policies,
            } => ("invariant", policies.to_vec(), Some(*invariant)),
        };
        let mut renaming = Renaming::default();
        for &p in &involved {
            for uid in &subjects[p].slots {
                renaming.add(uid);
            }
        }
        // A question about many links is asked once anyway; renaming them would only cost.
        if renaming.len() > MAX_RENAMED {
            renaming = Renaming::default();
        }
        let mut texts: Vec<String> = Vec::with_capacity(involved.len() + 1);
        if let Some(i) = invariant {
            texts.push(renaming.text(&self.shared.invariants[i].text));
        }
        texts.extend(involved.iter().map(|&p| {
            if renaming.is_empty() {
                subjects[p].text.clone()
            } else {
                renaming.text(&subjects[p].text)
            }
        }));
        let key = cache::key(
            [
                self.shared.schema_key.as_str(),
                self.job.name.as_str(),
                kind,
            ]
            .into_iter()
            .chain(texts.iter().map(String::as_str)),
        );
        (key, renaming)
    }

    fn compiled(&mut self, index: usize) -> Result<CompiledPolicy, QueryError> {
        let (shared, env) = (self.shared, &self.job.env);
        self.compiled
            .entry(index)
            .or_insert_with(|| {
                CompiledPolicy::compile(&shared.subjects[index].policy, env, shared.schema)
                    .map_err(Arc::new)
            })
            .clone()
            .map_err(|source| QueryError::Compile {
                policy: shared.subjects[index].id.clone(),
                source,
            })
    }

    fn compile_set(
        &self,
        policies: impl IntoIterator<Item = Policy>,
    ) -> Result<CompiledPolicySet, QueryError> {
        let set =
            PolicySet::from_policies(policies).map_err(|e| QueryError::PolicySet(Box::new(e)))?;
        CompiledPolicySet::compile(&set, &self.job.env, self.shared.schema)
            .map_err(|e| QueryError::CompileSet(Box::new(e)))
    }

    async fn solve(&mut self, query: &Query<'_>) -> Result<Answer, QueryError> {
        let yes = |holds: bool| if holds { Answer::Yes } else { Answer::No(None) };
        let with_cex = |cex: Option<cedar_policy_symcc::Env>| -> Result<Answer, QueryError> {
            match cex {
                None => Ok(Answer::Yes),
                Some(env) => Ok(Answer::No(Some(counterexample::to_json(&env)?))),
            }
        };
        match *query {
            Query::NeverMatches(p) => {
                let p = self.compiled(p)?;
                let worker = &mut *self.worker;
                with_cex(solve!(worker, |c| c
                    .check_never_matches_with_counterexample_opt(&p))?)
            }
            Query::AlwaysMatches(p) => {
                let p = self.compiled(p)?;
                let worker = &mut *self.worker;
                with_cex(solve!(worker, |c| c
                    .check_always_matches_with_counterexample_opt(&p))?)
            }
            Query::NeverErrors(p) => {
                let p = self.compiled(p)?;
                let worker = &mut *self.worker;
                with_cex(solve!(worker, |c| c.check_never_errors_with_counterexample_opt(&p))?)
            }
            Query::MatchesImplies(a, b) => {
                let (a, b) = (self.compiled(a)?, self.compiled(b)?);
                let worker = &mut *self.worker;
                with_cex(solve!(worker, |c| c
                    .check_matches_implies_with_counterexample_opt(&a, &b))?)
            }
            Query::Covered { target, by } => {
                // target ⊆ ∪ by  ⟺  {target as permit} ∪ {by as forbids} denies everything.
                let subjects = &self.shared.subjects;
                let policies =
                    std::iter::once(with_effect(&subjects[target].policy, Effect::Permit))
                        .chain(
                            by.iter()
                                .map(|&b| with_effect(&subjects[b].policy, Effect::Forbid)),
                        )
                        .collect::<Result<Vec<_>, _>>()?;
                let set = self.compile_set(policies)?;
                let worker = &mut *self.worker;
                with_cex(solve!(worker, |c| c
                    .check_always_denies_with_counterexample_opt(&set))?)
            }
            Query::AlwaysAllows(policies) => {
                let set = self.compile_set(
                    policies
                        .iter()
                        .map(|&p| self.shared.subjects[p].policy.clone()),
                )?;
                let worker = &mut *self.worker;
                Ok(solve!(worker, |c| c.check_always_allows_opt(&set)).map(yes)?)
            }
            Query::AlwaysDenies(policies) => {
                let set = self.compile_set(
                    policies
                        .iter()
                        .map(|&p| self.shared.subjects[p].policy.clone()),
                )?;
                let worker = &mut *self.worker;
                with_cex(solve!(worker, |c| c
                    .check_always_denies_with_counterexample_opt(&set))?)
            }
            Query::Invariant {
                invariant,
                policies,
            } => {
                let invariant = &self.shared.invariants[invariant].policy;
                let set: Vec<Policy> = policies
                    .iter()
                    .map(|&p| self.shared.subjects[p].policy.clone())
                    .collect();
                let (before, after) = match invariant.effect() {
                    // No request the invariant matches is allowed: adding it as a forbid
                    // takes nothing away.
                    Effect::Forbid => (
                        self.compile_set(set.clone())?,
                        self.compile_set(set.into_iter().chain([invariant.clone()]))?,
                    ),
                    // Every request the invariant matches is allowed.
                    Effect::Permit => (
                        self.compile_set([invariant.clone()])?,
                        self.compile_set(set)?,
                    ),
                };
                let worker = &mut *self.worker;
                with_cex(solve!(worker, |c| c
                    .check_implies_with_counterexample_opt(&before, &after))?)
            }
        }
    }
}

/// The cache key of an environment's witnesses.
pub fn witnesses_key(shared: &Shared<'_>, job: &EnvJob) -> String {
    cache::key([shared.schema_key.as_str(), job.name.as_str(), "witnesses"])
}

/// `CEDARCHECK_PROFILE_QUERIES=1`: one line per query that reached the solver on stderr —
/// `query<TAB>kind<TAB>policies involved<TAB>microseconds<TAB>answer<TAB>environment` — for
/// the profile in bench/README.md.
fn profiling() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("CEDARCHECK_PROFILE_QUERIES").is_some_and(|v| v == "1"))
}

fn profile_line(environment: &str, query: &Query<'_>, answer: &Answer, took: std::time::Duration) {
    let (kind, involved) = match query {
        Query::NeverMatches(_) => ("never-matches", 1),
        Query::AlwaysMatches(_) => ("always-matches", 1),
        Query::NeverErrors(_) => ("never-errors", 1),
        Query::MatchesImplies(..) => ("matches-implies", 2),
        Query::Covered { by, .. } => ("covered", 1 + by.len()),
        Query::AlwaysAllows(set) => ("always-allows", set.len()),
        Query::AlwaysDenies(set) => ("always-denies", set.len()),
        Query::Invariant { policies, .. } => ("invariant", policies.len()),
    };
    let answer = match answer {
        Answer::Yes => "yes",
        Answer::No(_) => "no",
        Answer::Unknown(_) => "unknown",
    };
    eprintln!(
        "query\t{kind}\t{involved}\t{}\t{answer}\t{environment}",
        took.as_micros()
    );
}
