//! Witnesses: concrete requests (with their entities) that the solver produced in one request
//! environment as counterexamples. Before a question goes to the solver, the witnesses found so
//! far are evaluated on it with cedar-policy's own Authorizer; one that settles the question
//! concretely ("this request matches `a` but not `b`") answers `No` without a solver call.
//!
//! Only `No` is ever decided this way, and only by a request the Authorizer itself evaluated,
//! so the answer is exact, not a guess. Most coverage and pairwise questions are `No`, and the
//! witness that refutes them is usually one the environment's first questions already produced.
//! A witness is a valid request of its environment whatever the policies say, so the most
//! useful ones are kept in the cache for the next run: after an edit, the request that showed a
//! question's old answer usually shows the new one.
//!
//! A witness is evaluated once, on first use, against every policy of the environment at once
//! (each turned into a permit, so that the Authorizer's reasons are exactly the policies whose
//! condition is true without error); every later question reads the answer from its bits. That
//! keeps a large pool cheap: a set of a thousand policies leaves thousands of requests worth
//! keeping in an environment, and a full pool would otherwise send the questions it could have
//! settled to the solver.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Authorizer, Decision, Effect, EntityUid, Policy, PolicyId, PolicySet, RequestEnv, Schema,
};
use serde_json::Value;

use crate::cache::StoredRequest;
use crate::counterexample::Replay;
use crate::effect::with_effect;

/// At most this many witnesses are held per environment; a request that comes later is still
/// evaluated when asked about, but not kept.
const MAX_WITNESSES: usize = 4096;

/// At most this many witnesses per environment are kept in the cache for the next run (at
/// 800 policies an environment finds about a thousand; keeping them all brought a re-check
/// after editing a forbid from 11% of the cold run to 8%, README "Performance").
const MAX_KEPT: usize = 1024;

pub struct Witness {
    /// The counterexample as JSON text, reported when this witness settles a question (a
    /// large environment holds thousands: as text they take a fraction of the memory).
    text: Arc<str>,
    /// Evaluated on first use; `Some(None)`: it does not load, and settles nothing.
    evaluated: Option<Option<Matches>>,
    /// Questions it settled.
    settled: usize,
}

/// By the policy's position in the environment: whether its condition is true without error
/// on a witness; `None` when it could not be evaluated.
type Matches = Vec<Option<bool>>;

/// The witnesses of one request environment.
pub struct Witnesses<'s> {
    env: RequestEnv,
    schema: &'s Schema,
    found: Vec<Witness>,
    /// How many witnesses the pool holds at most.
    limit: usize,
    /// A witness's JSON text → its place in `found`.
    known: HashMap<Arc<str>, usize>,
    /// The environment's policies (subject index → position in `policies`).
    position: HashMap<usize, usize>,
    policies: Vec<Policy>,
    /// Every policy of the environment as a permit (internal id → position), built on first
    /// use; the positions of those that could not be turned into permits are evaluated alone.
    as_permits: Option<(PolicySet, HashMap<PolicyId, usize>, Vec<usize>)>,
}

/// What a question asks of a witness, in terms of which policies match it.
pub enum Refutation<'q> {
    /// `No` if some witness matches the policy.
    NeverMatches(usize),
    /// `No` if some witness does not match the policy.
    AlwaysMatches(usize),
    /// `No` if some witness matches the first policy and none of the others.
    NotCovered(usize, &'q [usize]),
    /// `No` if the set of these policies denies some witness.
    Denied(&'q [usize]),
    /// `No` if the set of these policies allows some witness.
    Allowed(&'q [usize]),
}

impl<'s> Witnesses<'s> {
    /// An empty pool for the environment `env`, whose policies are `policies` (by subject
    /// index): the questions asked of it are about those.
    pub fn new(env: RequestEnv, schema: &'s Schema, policies: Vec<(usize, Policy)>) -> Self {
        let position = policies
            .iter()
            .enumerate()
            .map(|(at, (index, _))| (*index, at))
            .collect();
        Self {
            env,
            schema,
            found: Vec::new(),
            limit: MAX_WITNESSES,
            known: HashMap::new(),
            position,
            policies: policies.into_iter().map(|(_, policy)| policy).collect(),
            as_permits: None,
        }
    }

    /// Adds a request to the pool: the counterexample of a `No` answer, or a witness kept
    /// from the last run. Ignored when it is not a request of this environment (the questions
    /// here only consider the policies that apply in it) or the pool is full; one that does
    /// not load against the schema is found out when first evaluated, and settles nothing.
    pub fn add(&mut self, cex: &Value) {
        self.insert(cex);
    }

    /// The place of `cex` in the pool, added if new; `None` when it is not a request of this
    /// environment or the pool is full.
    fn insert(&mut self, cex: &Value) -> Option<usize> {
        let text = cex.to_string();
        if let Some(&at) = self.known.get(text.as_str()) {
            return Some(at);
        }
        if self.found.len() >= self.limit || !self.fits(cex) {
            return None;
        }
        let text: Arc<str> = text.into();
        self.found.push(Witness {
            text: text.clone(),
            evaluated: None,
            settled: 0,
        });
        self.known.insert(text, self.found.len() - 1);
        Some(self.found.len() - 1)
    }

    /// Whether `cex` is a request of this environment: its principal's and resource's types
    /// and its action.
    fn fits(&self, cex: &Value) -> bool {
        let uid = |name: &str| {
            cex["request"][name]
                .as_str()
                .and_then(|text| EntityUid::from_str(text).ok())
        };
        uid("principal").is_some_and(|u| u.type_name() == self.env.principal())
            && uid("action").is_some_and(|u| &u == self.env.action())
            && uid("resource").is_some_and(|u| u.type_name() == self.env.resource())
    }

    /// Which of `among` match the request `cex` (their condition is true without error), by
    /// the Authorizer; `cex` joins the pool while there is room. `None` when it is not a
    /// request of this environment, does not load, or some policy could not be evaluated on
    /// it: nothing can be concluded then.
    pub fn matching(&mut self, cex: &Value, among: &[usize]) -> Option<Vec<usize>> {
        let positions: Vec<usize> = among
            .iter()
            .map(|p| self.position.get(p).copied())
            .collect::<Option<_>>()?;
        let transient;
        let matches = match self.insert(cex) {
            Some(at) => self.evaluated(at)?,
            None if self.fits(cex) => {
                transient = self.evaluate(&Replay::parse(cex, self.schema).ok()?);
                &transient
            }
            None => return None,
        };
        let mut matched = Vec::new();
        for (&p, &at) in among.iter().zip(&positions) {
            if matches[at]? {
                matched.push(p);
            }
        }
        Some(matched)
    }

    /// The witnesses to keep for the next run, most useful first. Those that settled nothing
    /// yet are kept too while there is room: each showed the answer to a question, and after
    /// an edit it usually shows the new answer.
    pub fn useful(&self) -> Vec<StoredRequest> {
        let mut useful: Vec<&Witness> = self
            .found
            .iter()
            .filter(|w| !matches!(w.evaluated, Some(None)))
            .collect();
        useful.sort_by_key(|w| std::cmp::Reverse(w.settled));
        useful
            .into_iter()
            .take(MAX_KEPT)
            .filter_map(|w| StoredRequest::from_text(&w.text))
            .collect()
    }

    /// A witness that settles the question as `No`, as its counterexample JSON.
    pub fn refute(&mut self, question: &Refutation<'_>) -> Option<Value> {
        match *question {
            Refutation::Denied(set) => return self.decided(set, Decision::Deny),
            Refutation::Allowed(set) => return self.decided(set, Decision::Allow),
            _ => {}
        }
        let at = |p: usize| self.position.get(&p).copied();
        // Positions in the environment; a policy outside it settles nothing.
        let question = match *question {
            Refutation::NeverMatches(p) => Question::NeverMatches(at(p)?),
            Refutation::AlwaysMatches(p) => Question::AlwaysMatches(at(p)?),
            Refutation::NotCovered(target, by) => Question::NotCovered(
                at(target)?,
                by.iter().map(|&b| at(b)).collect::<Option<_>>()?,
            ),
            Refutation::Denied(_) | Refutation::Allowed(_) => return None,
        };
        let w = (0..self.found.len()).find(|&w| {
            self.evaluated(w)
                .is_some_and(|matches| question.refuted_by(matches) == Some(true))
        })?;
        self.found[w].settled += 1;
        serde_json::from_str(&self.found[w].text).ok()
    }

    /// A witness the set of `policies` decides as `decision`.
    fn decided(&mut self, policies: &[usize], decision: Decision) -> Option<Value> {
        let set = PolicySet::from_policies(
            policies
                .iter()
                .map(|p| self.position.get(p).map(|&at| self.policies[at].clone()))
                .collect::<Option<Vec<_>>>()?,
        )
        .ok()?;
        let w = (0..self.found.len()).find(|&w| {
            self.evaluated(w).is_some()
                && self.replay(w).is_some_and(|r| {
                    Authorizer::new()
                        .is_authorized(&r.request, &set, &r.entities)
                        .decision()
                        == decision
                })
        })?;
        self.found[w].settled += 1;
        serde_json::from_str(&self.found[w].text).ok()
    }

    /// Which policies match the witness at `at`, evaluated on first use; `None` if it does
    /// not load.
    fn evaluated(&mut self, at: usize) -> Option<&Matches> {
        if self.found[at].evaluated.is_none() {
            let matches = self.replay(at).map(|replay| self.evaluate(&replay));
            self.found[at].evaluated = Some(matches);
        }
        self.found[at].evaluated.as_ref()?.as_ref()
    }

    /// The witness at `at` loaded against the schema (again: only its matches are kept).
    fn replay(&self, at: usize) -> Option<Replay> {
        let json: Value = serde_json::from_str(&self.found[at].text).ok()?;
        Replay::parse(&json, self.schema).ok()
    }

    /// Evaluates every policy of the environment on `replay`: one Authorizer call over the
    /// policies as permits, whose reasons are the policies that match; a policy that could not
    /// be turned into a permit is evaluated alone.
    fn evaluate(&mut self, replay: &Replay) -> Matches {
        let (set, ids, alone) = self.as_permits.get_or_insert_with(|| {
            let mut permits = Vec::new();
            let mut ids = HashMap::new();
            let mut alone = Vec::new();
            for (at, policy) in self.policies.iter().enumerate() {
                match with_effect(policy, Effect::Permit) {
                    Ok(permit) => {
                        ids.insert(permit.id().clone(), at);
                        permits.push(permit);
                    }
                    Err(_) => alone.push(at),
                }
            }
            match PolicySet::from_policies(permits) {
                Ok(set) => (set, ids, alone),
                Err(_) => (
                    PolicySet::new(),
                    HashMap::new(),
                    (0..self.policies.len()).collect(),
                ),
            }
        });
        let mut matches = vec![Some(false); self.policies.len()];
        let response = Authorizer::new().is_authorized(&replay.request, set, &replay.entities);
        for id in response.diagnostics().reason() {
            if let Some(&at) = ids.get(id) {
                matches[at] = Some(true);
            }
        }
        for &at in alone.iter() {
            matches[at] = PolicySet::from_policies([self.policies[at].clone()])
                .ok()
                .map(|set| {
                    Authorizer::new()
                        .is_authorized(&replay.request, &set, &replay.entities)
                        .diagnostics()
                        .reason()
                        .next()
                        .is_some()
                });
        }
        matches
    }
}

/// A [`Refutation`] about matches, over positions in the environment.
enum Question {
    NeverMatches(usize),
    AlwaysMatches(usize),
    NotCovered(usize, Vec<usize>),
}

impl Question {
    /// Whether a witness on which the policies match as `matches` says refutes it; `None`
    /// (a policy that could not be evaluated) settles nothing.
    fn refuted_by(&self, matches: &[Option<bool>]) -> Option<bool> {
        Some(match self {
            Question::NeverMatches(p) => matches[*p]?,
            Question::AlwaysMatches(p) => !matches[*p]?,
            Question::NotCovered(target, by) => {
                matches[*target]? && {
                    let mut any = false;
                    for &b in by {
                        any |= matches[b]?;
                    }
                    !any
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use serde_json::json;

    use super::*;

    const SCHEMA: &str = "entity User { level: Long }; entity Doc;\n\
        action read appliesTo { principal: User, resource: Doc };\n\
        action write appliesTo { principal: User, resource: Doc };";

    fn read_env(schema: &Schema) -> RequestEnv {
        schema
            .request_envs()
            .find(|e| e.action().to_string() == "Action::\"read\"")
            .unwrap()
    }

    fn witness(level: i64) -> Value {
        json!({
            "request": {
                "principal": "User::\"u\"",
                "action": "Action::\"read\"",
                "resource": "Doc::\"d\"",
                "context": {},
            },
            "entities": [
                {"uid": {"type": "User", "id": "u"}, "attrs": {"level": level}, "parents": []},
                {"uid": {"type": "Doc", "id": "d"}, "attrs": {}, "parents": []},
            ],
        })
    }

    #[test]
    fn a_witness_refutes_exactly_the_questions_its_evaluation_settles() {
        let schema = Schema::from_str(SCHEMA).unwrap();
        let policies: Vec<Policy> = [
            "permit(principal, action, resource) when { principal.level > 5 };",
            "permit(principal, action, resource) when { principal.level > 10 };",
            "forbid(principal, action, resource) when { principal.level < 0 };",
            // Overflows on every level > 0: an error, which is not a match.
            "permit(principal, action, resource) when { principal.level + 9223372036854775807 > 0 };",
        ]
        .iter()
        .enumerate()
        .map(|(i, text)| Policy::parse(Some(cedar_policy::PolicyId::new(format!("p{i}"))), *text).unwrap())
        .collect();
        let mut pool = Witnesses::new(
            read_env(&schema),
            &schema,
            policies.iter().cloned().enumerate().collect(),
        );
        assert!(
            pool.refute(&Refutation::NeverMatches(0)).is_none(),
            "no witness yet"
        );

        pool.add(&witness(7));
        let refuted = |pool: &mut Witnesses, q: Refutation<'_>| pool.refute(&q).is_some();
        assert!(
            refuted(&mut pool, Refutation::NotCovered(0, &[1])),
            "7 > 5 but not > 10"
        );
        assert!(!refuted(&mut pool, Refutation::NotCovered(0, &[1, 3, 0])));
        assert!(
            !refuted(&mut pool, Refutation::NotCovered(1, &[0])),
            "p1 does not match 7"
        );
        assert!(refuted(&mut pool, Refutation::NeverMatches(0)));
        assert!(
            !refuted(&mut pool, Refutation::NeverMatches(2)),
            "a forbid that does not match"
        );
        assert!(
            !refuted(&mut pool, Refutation::NeverMatches(3)),
            "an error is not a match"
        );
        assert!(refuted(&mut pool, Refutation::AlwaysMatches(1)));
        assert!(refuted(&mut pool, Refutation::AlwaysMatches(3)));
        assert!(!refuted(&mut pool, Refutation::AlwaysMatches(0)));

        assert!(
            refuted(&mut pool, Refutation::Denied(&[1])),
            "7 is not allowed by p1 alone"
        );
        assert!(!refuted(&mut pool, Refutation::Denied(&[0])), "p0 allows 7");
        assert!(refuted(&mut pool, Refutation::Allowed(&[0])), "p0 allows 7");
        assert!(
            !refuted(&mut pool, Refutation::Allowed(&[1])),
            "7 is not allowed by p1 alone"
        );
        assert!(
            !refuted(&mut pool, Refutation::Denied(&[0, 2])),
            "the forbid does not match 7"
        );
        pool.add(&witness(12));
        assert!(
            refuted(&mut pool, Refutation::NotCovered(0, &[2])),
            "12 matches p0, not the forbid"
        );
        assert!(
            !refuted(&mut pool, Refutation::NotCovered(1, &[0])),
            "still covered"
        );
        pool.add(&witness(-1));
        assert!(
            refuted(&mut pool, Refutation::NeverMatches(2)),
            "the forbid matches -1"
        );
        assert_eq!(
            pool.refute(&Refutation::NeverMatches(2)),
            Some(witness(-1)),
            "the refuting request is reported"
        );
        assert_eq!(
            pool.useful()
                .iter()
                .map(|w| w.value().unwrap())
                .collect::<Vec<_>>(),
            vec![witness(7), witness(-1), witness(12)],
            "kept for the next run, most useful first"
        );
    }

    /// A request that comes when the pool is full is still evaluated when asked about: a full
    /// pool once sent every later coverage question of a large environment to the solver as
    /// one question over every candidate.
    #[test]
    fn a_full_pool_still_evaluates_the_requests_it_is_asked_about() {
        let schema = Schema::from_str(SCHEMA).unwrap();
        let policies: Vec<(usize, Policy)> = [
            "permit(principal, action, resource) when { principal.level > 5 };",
            "forbid(principal, action, resource) when { principal.level > 10 };",
        ]
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let id = cedar_policy::PolicyId::new(format!("p{i}"));
            (i, Policy::parse(Some(id), *text).unwrap())
        })
        .collect();
        let mut pool = Witnesses::new(read_env(&schema), &schema, policies);
        pool.limit = 1;
        assert_eq!(pool.matching(&witness(7), &[0, 1]), Some(vec![0]));
        assert_eq!(pool.matching(&witness(12), &[0, 1]), Some(vec![0, 1]));
        assert_eq!(pool.matching(&witness(3), &[1, 0]), Some(vec![]));
        assert_eq!(
            pool.useful()
                .iter()
                .map(|w| w.value().unwrap())
                .collect::<Vec<_>>(),
            vec![witness(7)],
            "only the first was kept"
        );
        assert_eq!(pool.matching(&witness(12), &[2]), None, "not a policy here");
        let mut elsewhere = witness(7);
        elsewhere["request"]["action"] = json!("Action::\"write\"");
        assert_eq!(
            pool.matching(&elsewhere, &[0]),
            None,
            "another environment's request"
        );
    }

    #[test]
    fn a_request_that_does_not_fit_the_schema_or_environment_is_no_witness() {
        let schema = Schema::from_str(SCHEMA).unwrap();
        let policy = Policy::parse(None, "permit(principal, action, resource);").unwrap();
        let mut pool = Witnesses::new(read_env(&schema), &schema, vec![(0, policy)]);
        let mut wrong = witness(7);
        wrong["entities"][0]["attrs"]["level"] = json!("seven");
        pool.add(&wrong);
        // Valid, but a request of another environment.
        let mut elsewhere = witness(7);
        elsewhere["request"]["action"] = json!("Action::\"write\"");
        pool.add(&elsewhere);
        assert!(pool.refute(&Refutation::NeverMatches(0)).is_none());
    }
}
