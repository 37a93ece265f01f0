//! Witnesses: concrete requests (with their entities) that the solver produced in one request
//! environment as counterexamples. Before a question goes to the solver, the witnesses found so
//! far are evaluated on it with cedar-policy's own Authorizer; one that settles the question
//! concretely ("this request matches `a` but not `b`") answers `No` without a solver call.
//!
//! Only `No` is ever decided this way, and only by a request the Authorizer itself evaluated,
//! so the answer is exact, not a guess. Most coverage and pairwise questions are `No`, and the
//! witness that refutes them is usually one the environment's first questions already produced.
//! A witness is a valid request of its environment whatever the policies say, so the useful
//! ones are kept in the cache for the next run: after an edit, the request that showed a
//! question's old answer usually shows the new one.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{Authorizer, Decision, EntityUid, Policy, PolicySet, RequestEnv, Schema};
use serde_json::Value;

use crate::counterexample::Replay;

/// At most this many witnesses are kept per environment: evaluation stays far cheaper than a
/// solver call, and later witnesses add little.
const MAX_WITNESSES: usize = 256;

pub struct Witness {
    /// The counterexample JSON, reported when this witness settles a question.
    json: Value,
    /// Loaded against the schema when first evaluated (most witnesses a run inherits are
    /// never needed); `Some(None)`: it does not load, and settles nothing.
    replay: Option<Option<Replay>>,
    /// Questions it settled.
    settled: usize,
}

/// The witnesses of one request environment.
pub struct Witnesses<'s> {
    env: RequestEnv,
    schema: &'s Schema,
    found: Vec<Witness>,
    /// (witness, policy) → whether the policy's condition is true (no error) on the witness.
    matches: HashMap<(usize, usize), bool>,
    /// One-policy sets to evaluate, by policy.
    alone: HashMap<usize, Option<PolicySet>>,
}

/// What a question asks of a witness, in terms of which policies match it.
pub enum Refutation<'q> {
    /// `No` if some witness matches the policy.
    NeverMatches(usize),
    /// `No` if some witness does not match the policy.
    AlwaysMatches(usize),
    /// `No` if some witness matches the first policy and none of the others.
    NotCovered(usize, &'q [usize]),
    /// `No` if some witness matches both.
    Overlap(usize, usize),
    /// `No` if the set of these policies denies some witness.
    Denied(&'q [usize]),
    /// `No` if the set of these policies allows some witness.
    Allowed(&'q [usize]),
}

impl<'s> Witnesses<'s> {
    pub fn new(env: RequestEnv, schema: &'s Schema) -> Self {
        Self {
            env,
            schema,
            found: Vec::new(),
            matches: HashMap::new(),
            alone: HashMap::new(),
        }
    }

    /// Adds a request to the pool: the counterexample of a `No` answer, or a witness kept
    /// from the last run. Ignored when it is not a request of this environment (the questions
    /// here only consider the policies that apply in it) or the pool is full; one that does
    /// not load against the schema is found out when first evaluated, and settles nothing.
    pub fn add(&mut self, cex: &Value) {
        if self.found.len() >= MAX_WITNESSES || self.found.iter().any(|w| &w.json == cex) {
            return;
        }
        let uid = |name: &str| {
            cex["request"][name]
                .as_str()
                .and_then(|text| EntityUid::from_str(text).ok())
        };
        let fits = uid("principal").is_some_and(|u| u.type_name() == self.env.principal())
            && uid("action").is_some_and(|u| &u == self.env.action())
            && uid("resource").is_some_and(|u| u.type_name() == self.env.resource());
        if fits {
            self.found.push(Witness {
                json: cex.clone(),
                replay: None,
                settled: 0,
            });
        }
    }

    /// Which of `among` match the request `cex` (their condition is true without error), by
    /// the Authorizer; `cex` joins the pool. `None` when some policy could not be evaluated on
    /// it, or the pool cannot take it: nothing can be concluded then.
    pub fn matching(
        &mut self,
        cex: &Value,
        among: &[usize],
        policy: &impl Fn(usize) -> Policy,
    ) -> Option<Vec<usize>> {
        self.add(cex);
        let witness = self.found.iter().position(|w| &w.json == cex)?;
        let mut matched = Vec::new();
        for &p in among {
            if self.matches(witness, p, policy)? {
                matched.push(p);
            }
        }
        Some(matched)
    }

    /// The witnesses to keep for the next run, most useful first. Those that settled nothing
    /// yet are kept too: each showed the answer to a question, and after an edit it usually
    /// shows the new answer.
    pub fn useful(&self) -> Vec<Value> {
        let mut useful: Vec<&Witness> = self
            .found
            .iter()
            .filter(|w| !matches!(w.replay, Some(None)))
            .collect();
        useful.sort_by_key(|w| std::cmp::Reverse(w.settled));
        useful.into_iter().map(|w| w.json.clone()).collect()
    }

    /// A witness that settles the question as `No`, as its counterexample JSON.
    pub fn refute(
        &mut self,
        question: &Refutation<'_>,
        policy: &impl Fn(usize) -> Policy,
    ) -> Option<Value> {
        match *question {
            Refutation::Denied(set) => return self.decided(set, Decision::Deny, policy),
            Refutation::Allowed(set) => return self.decided(set, Decision::Allow, policy),
            _ => {}
        }
        (0..self.found.len())
            .find(|&w| {
                let mut m = |p: usize| self.matches(w, p, policy);
                // `None` (a policy that could not be evaluated) settles nothing.
                let mut refutes = || -> Option<bool> {
                    Some(match *question {
                        Refutation::NeverMatches(p) => m(p)?,
                        Refutation::AlwaysMatches(p) => !m(p)?,
                        Refutation::NotCovered(target, by) => {
                            m(target)? && {
                                let mut any = false;
                                for &b in by {
                                    any |= m(b)?;
                                }
                                !any
                            }
                        }
                        Refutation::Overlap(a, b) => m(a)? && m(b)?,
                        Refutation::Denied(_) | Refutation::Allowed(_) => false,
                    })
                };
                refutes() == Some(true)
            })
            .map(|w| {
                self.found[w].settled += 1;
                self.found[w].json.clone()
            })
    }

    /// A witness the set of `policies` decides as `decision`.
    fn decided(
        &mut self,
        policies: &[usize],
        decision: Decision,
        policy: &impl Fn(usize) -> Policy,
    ) -> Option<Value> {
        let set = PolicySet::from_policies(policies.iter().map(|&p| policy(p))).ok()?;
        let w = (0..self.found.len()).find(|&w| {
            self.replay(w).is_some_and(|r| {
                Authorizer::new()
                    .is_authorized(&r.request, &set, &r.entities)
                    .decision()
                    == decision
            })
        })?;
        self.found[w].settled += 1;
        Some(self.found[w].json.clone())
    }

    /// The witness loaded against the schema (on first use); `None` if it does not load.
    fn replay(&mut self, witness: usize) -> Option<&Replay> {
        let found = &mut self.found[witness];
        let schema = self.schema;
        found
            .replay
            .get_or_insert_with(|| Replay::parse(&found.json, schema).ok())
            .as_ref()
    }

    /// Whether `p`'s condition is true, without error, on the witness.
    fn matches(
        &mut self,
        witness: usize,
        p: usize,
        policy: &impl Fn(usize) -> Policy,
    ) -> Option<bool> {
        if let Some(&known) = self.matches.get(&(witness, p)) {
            return Some(known);
        }
        let alone = self
            .alone
            .entry(p)
            .or_insert_with(|| PolicySet::from_policies([policy(p)]).ok())
            .as_ref()?;
        // As `replay`, field by field: `alone` borrows the sets.
        let found = &mut self.found[witness];
        let schema = self.schema;
        let w = found
            .replay
            .get_or_insert_with(|| Replay::parse(&found.json, schema).ok())
            .as_ref()?;
        let response = Authorizer::new().is_authorized(&w.request, alone, &w.entities);
        let matched = response.diagnostics().reason().next().is_some();
        self.matches.insert((witness, p), matched);
        Some(matched)
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
        let policy = |p: usize| policies[p].clone();
        let mut pool = Witnesses::new(read_env(&schema), &schema);
        assert!(
            pool.refute(&Refutation::NeverMatches(0), &policy).is_none(),
            "no witness yet"
        );

        pool.add(&witness(7));
        let refuted = |pool: &mut Witnesses, q: Refutation<'_>| pool.refute(&q, &policy).is_some();
        assert!(
            refuted(&mut pool, Refutation::NotCovered(0, &[1])),
            "7 > 5 but not > 10"
        );
        assert!(!refuted(&mut pool, Refutation::NotCovered(0, &[1, 3, 0])));
        assert!(
            !refuted(&mut pool, Refutation::NotCovered(1, &[0])),
            "p1 does not match 7"
        );
        assert!(!refuted(&mut pool, Refutation::Overlap(0, 1)));
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
            refuted(&mut pool, Refutation::Overlap(0, 1)),
            "12 matches both"
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
            pool.refute(&Refutation::NeverMatches(2), &policy),
            Some(witness(-1)),
            "the refuting request is reported"
        );
        assert_eq!(
            pool.useful(),
            vec![witness(7), witness(-1), witness(12)],
            "kept for the next run, most useful first"
        );
    }

    #[test]
    fn a_request_that_does_not_fit_the_schema_or_environment_is_no_witness() {
        let schema = Schema::from_str(SCHEMA).unwrap();
        let mut pool = Witnesses::new(read_env(&schema), &schema);
        let mut wrong = witness(7);
        wrong["entities"][0]["attrs"]["level"] = json!("seven");
        pool.add(&wrong);
        // Valid, but a request of another environment.
        let mut elsewhere = witness(7);
        elsewhere["request"]["action"] = json!("Action::\"write\"");
        pool.add(&elsewhere);
        let policy = Policy::parse(None, "permit(principal, action, resource);").unwrap();
        assert!(pool
            .refute(&Refutation::NeverMatches(0), &|_| policy.clone())
            .is_none());
    }
}
