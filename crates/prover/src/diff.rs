//! `cedarcheck diff`: what access a change adds or removes. For every request environment of
//! the new schema, the solver compares the two policy sets both ways — is there a request the
//! new set allows and the old one denies, and the reverse — and each direction that changed
//! comes with an example request, replayed through the Authorizer before it is shown.

use cedar_policy::{Decision, PolicySet, RequestEnv, Schema};
use cedar_policy_symcc::CompiledPolicySet;
use serde_json::Value;

use crate::counterexample::{self, Replay};
use crate::environment::Subject;
use crate::worker::{self, solve, Worker};
use crate::{analyzed, env_name, LoadedPolicies, SolverCommand};

mod findings;
pub use findings::{action_name, allowed_by, denied_by, findings, request, NewSide};

/// One side of the comparison. Both sides are read with the new schema: the old policies that
/// do not validate against it must be left out by the caller (`skip`), and are named.
pub struct DiffInput<'a> {
    pub old: LoadedPolicies<'a>,
    pub new: LoadedPolicies<'a>,
    /// The new schema, which both sides are compiled against.
    pub schema: &'a Schema,
    /// The old schema, to tell which environments the change removed.
    pub old_schema: &'a Schema,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Equivalent,
    /// Some request is allowed now that was denied before, and none the other way.
    MorePermissive,
    LessPermissive,
    /// Both: access added and access removed.
    Incomparable,
    /// The schema added the environment; the new set allows some request in it.
    AddedEnvironment,
    /// The schema added the environment, and the new set allows nothing in it.
    AddedEnvironmentDenied,
    /// The schema removed the environment.
    RemovedEnvironment,
    /// The solver could not decide (the reason says why): treated as possibly new access.
    Unknown(String),
}

impl Change {
    /// Whether the change may let a request through that was denied before.
    pub fn may_add_access(&self) -> bool {
        matches!(
            self,
            Change::MorePermissive
                | Change::Incomparable
                | Change::AddedEnvironment
                | Change::Unknown(_)
        )
    }

    pub fn removes_access(&self) -> bool {
        matches!(self, Change::LessPermissive | Change::Incomparable)
    }
}

/// A request that shows a change, with the policies that decide it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Example {
    /// A `run-tests` entry: the request, its entities, and the new set's decision.
    pub case: Value,
    /// The new side's policies that decided the request (the permits that now allow it, or
    /// the forbids that now deny it), as indices into the new side's entries.
    #[serde(skip)]
    pub new_policies: Vec<usize>,
    /// Ids of the deciding policies on each side.
    pub new_reasons: Vec<String>,
    pub old_reasons: Vec<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct EnvironmentDiff {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub change: Change,
    /// Allowed by the new set, denied by the old one.
    pub added: Option<Example>,
    /// Allowed by the old set, denied by the new one.
    pub removed: Option<Example>,
}

pub struct DiffReport {
    pub environments: Vec<EnvironmentDiff>,
    pub solver_queries: usize,
}

struct Side {
    subjects: Vec<Subject>,
    full: PolicySet,
}

impl Side {
    fn new(policies: &LoadedPolicies<'_>, prefix: &str) -> Self {
        let (subjects, _) = analyzed(policies, prefix);
        let full =
            PolicySet::from_policies(subjects.iter().map(|s| s.policy.clone())).unwrap_or_default();
        Self { subjects, full }
    }

    /// The policies that are not trivially false in `env`.
    fn in_env(&self, env: &RequestEnv, schema: &Schema) -> Vec<usize> {
        let name = env_name(env);
        (0..self.subjects.len())
            .filter(|&i| {
                self.subjects[i]
                    .policy
                    .get_valid_request_envs(schema)
                    .any(|e| env_name(&e) == name)
            })
            .collect()
    }

    fn ids(&self, reasons: &[String]) -> (Vec<usize>, Vec<String>) {
        let indices: Vec<usize> = reasons
            .iter()
            .filter_map(|r| {
                self.subjects
                    .iter()
                    .position(|s| s.policy.id().to_string() == *r)
            })
            .collect();
        let ids = indices
            .iter()
            .map(|&i| self.subjects[i].id.clone())
            .collect();
        (
            indices.iter().map(|&i| self.subjects[i].entry).collect(),
            ids,
        )
    }
}

pub fn diff(input: &DiffInput<'_>, solver: &SolverCommand, jobs: usize) -> DiffReport {
    // Old ids may equal new ones; inside a compiled set they must not collide.
    let old = Side::new(&input.old, "old:");
    let new = Side::new(&input.new, "");
    // The schema lists environments in no fixed order; the report lists them by name.
    let by_name = |schema: &Schema| {
        let mut envs: Vec<RequestEnv> = schema.request_envs().collect();
        envs.sort_by_cached_key(env_name);
        envs
    };
    let (envs, old_envs) = (by_name(input.schema), by_name(input.old_schema));
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut environments = worker::on_workers(
        envs.len(),
        jobs,
        solver,
        &asked,
        None,
        |worker, runtime, index| {
            let env = &envs[index];
            let existed = old_envs.iter().any(|e| env_name(e) == env_name(env));
            runtime.block_on(compare(worker, input.schema, &old, &new, env, existed))
        },
        |_, _| {},
    );
    for env in old_envs
        .iter()
        .filter(|e| !envs.iter().any(|n| env_name(n) == env_name(e)))
    {
        environments.push(EnvironmentDiff {
            principal: env.principal().to_string(),
            action: env.action().to_string(),
            resource: env.resource().to_string(),
            change: Change::RemovedEnvironment,
            added: None,
            removed: None,
        });
    }
    DiffReport {
        environments,
        solver_queries: asked.load(std::sync::atomic::Ordering::Relaxed),
    }
}

async fn compare(
    worker: &mut Worker,
    schema: &Schema,
    old: &Side,
    new: &Side,
    env: &RequestEnv,
    existed: bool,
) -> EnvironmentDiff {
    let mut result = EnvironmentDiff {
        principal: env.principal().to_string(),
        action: env.action().to_string(),
        resource: env.resource().to_string(),
        change: Change::Equivalent,
        added: None,
        removed: None,
    };
    let (old_here, new_here) = (old.in_env(env, schema), new.in_env(env, schema));
    let texts = |side: &Side, here: &[usize]| -> Vec<String> {
        let mut texts: Vec<String> = here
            .iter()
            .map(|&i| side.subjects[i].text.clone())
            .collect();
        texts.sort();
        texts
    };
    // The same policies decide alike: no solver needed (most environments of most changes).
    if existed && texts(old, &old_here) == texts(new, &new_here) {
        return result;
    }
    let compile = |side: &Side, here: &[usize]| {
        let set = PolicySet::from_policies(here.iter().map(|&i| side.subjects[i].policy.clone()))
            .map_err(|e| e.to_string())?;
        CompiledPolicySet::compile(&set, env, schema).map_err(|e| e.to_string())
    };
    let sets = compile(old, if existed { &old_here } else { &[] })
        .and_then(|o| Ok((o, compile(new, &new_here)?)));
    let (old_set, new_set) = match sets {
        Ok(sets) => sets,
        Err(reason) => {
            result.change = Change::Unknown(reason);
            return result;
        }
    };
    let added = solve!(worker, |c| c
        .check_implies_with_counterexample_opt(&new_set, &old_set));
    let removed = solve!(worker, |c| c
        .check_implies_with_counterexample_opt(&old_set, &new_set));
    let example = |cex: Option<cedar_policy_symcc::Env>,
                   allowed_by_new: bool|
     -> Result<Option<Example>, String> {
        let Some(cex) = cex else { return Ok(None) };
        let cex = counterexample::to_json(&cex).map_err(|e| e.to_string())?;
        let replay = Replay::parse(&cex, schema).map_err(|e| e.to_string())?;
        let (new_decision, new_reasons, new_errors) = replay.decide(&new.full);
        let (old_decision, old_reasons, _) = replay.decide(&old.full);
        let expected = if allowed_by_new {
            (Decision::Allow, Decision::Deny)
        } else {
            (Decision::Deny, Decision::Allow)
        };
        if (new_decision, old_decision) != expected {
            return Err(
                "the solver's example request does not show the change when replayed".into(),
            );
        }
        let (new_policies, new_ids) = new.ids(&new_reasons);
        let (_, old_ids) = old.ids(&old_reasons);
        let name = format!(
            "{} {}: {} on {}",
            if allowed_by_new {
                "now allowed"
            } else {
                "now denied"
            },
            env.principal(),
            env.action(),
            env.resource()
        );
        Ok(Some(Example {
            case: counterexample::test_case(
                &name,
                &cex,
                schema,
                (new_decision, &new_ids, new_errors.len()),
            ),
            new_policies,
            new_reasons: new_ids,
            old_reasons: old_ids,
        }))
    };
    let added = added
        .map_err(|e| e.to_string())
        .and_then(|cex| example(cex, true));
    let removed = removed
        .map_err(|e| e.to_string())
        .and_then(|cex| example(cex, false));
    match (added, removed) {
        (Err(reason), _) | (_, Err(reason)) => result.change = Change::Unknown(reason),
        (Ok(added), Ok(removed)) => {
            result.change = match (&added, &removed, existed) {
                (Some(_), _, false) => Change::AddedEnvironment,
                (None, _, false) => Change::AddedEnvironmentDenied,
                (None, None, true) => Change::Equivalent,
                (Some(_), None, true) => Change::MorePermissive,
                (None, Some(_), true) => Change::LessPermissive,
                (Some(_), Some(_), true) => Change::Incomparable,
            };
            result.added = added;
            result.removed = removed;
        }
    }
    result
}

/// For every request environment `policy` applies in, by name: a request on which it raises an
/// error (as a `run-tests` entry's `request` and `entities`), `None` where it never errors,
/// or why the solver could not tell. A template-linked policy is asked as the static policy it
/// denotes. (`cedarcheck mutants` asks it of a policy and its mutant: a test counts errors.)
pub fn error_requests(
    policy: &cedar_policy::Policy,
    schema: &Schema,
    solver: &SolverCommand,
    jobs: usize,
) -> Vec<(String, Result<Option<Value>, String>)> {
    let policy = match crate::denoted_static(policy, policy.id().clone()) {
        Ok(policy) => policy,
        Err(reason) => return vec![(String::new(), Err(reason))],
    };
    let mut envs: Vec<RequestEnv> = policy.get_valid_request_envs(schema).collect();
    envs.sort_by_cached_key(env_name);
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answers = worker::on_workers(
        envs.len(),
        jobs,
        solver,
        &asked,
        None,
        |worker, runtime, index| {
            let env = &envs[index];
            runtime.block_on(async {
                let compiled = cedar_policy_symcc::CompiledPolicy::compile(&policy, env, schema)
                    .map_err(|e| e.to_string())?;
                let cex = solve!(worker, |c| c
                    .check_never_errors_with_counterexample_opt(&compiled))
                .map_err(|e| e.to_string())?;
                let Some(cex) = cex else { return Ok(None) };
                let cex = counterexample::to_json(&cex).map_err(|e| e.to_string())?;
                Ok(Some(counterexample::test_case(
                    "",
                    &cex,
                    schema,
                    (Decision::Deny, &[], 0),
                )))
            })
        },
        |_, _| {},
    );
    envs.iter().map(env_name).zip(answers).collect()
}
