//! The proofs behind the deep rules, one file per rule (each rule is declared and documented in
//! `cedarcheck_analyzer::rules::deep`). Each asks its queries in one request environment and
//! returns an [`Outcome`]; `report` turns outcomes across environments into findings.

pub mod allows_all;
pub mod equivalent_policies;
pub mod forbid_may_error;
pub mod invariant_violated;
pub mod overridden_permit;
pub mod permit_may_error;
pub mod redundant_forbid;
pub mod redundant_permit;
pub mod unconditional_permit;
pub mod unreachable_action;
pub mod vacuous_policy;

use cedar_policy::{PolicySet, Schema};

use crate::counterexample::{self, Replay};
use crate::environment::{Answer, EnvCx, Query};
use crate::verdict::Outcome;

/// `Holds` for a `Yes`, `Fails` for a `No`.
fn outcome_if_yes(answer: Answer) -> Outcome {
    match answer {
        Answer::Yes => Outcome::holds(),
        Answer::No(_) => Outcome::Fails,
        Answer::Unknown(reason) => Outcome::Unknown(reason),
    }
}

/// Above this many links among a union's candidates, the static candidates are asked first.
const LINKS_IN_ONE_UNION: usize = 8;

/// Whether every request `target` matches is matched by some of `candidates`, and if so which
/// of them: a single one that covers it alone when there is one, else every candidate that
/// overlaps it.
async fn covered_by(cx: &mut EnvCx<'_>, target: usize, candidates: &[usize]) -> Outcome {
    if candidates.is_empty() {
        return Outcome::Fails;
    }
    // A single cover the cache already knows of still covers, whatever else changed (after
    // editing another candidate, say): nothing to ask.
    if let Some(&cover) = candidates
        .iter()
        .find(|&&c| cx.known_yes(Query::MatchesImplies(target, c)))
    {
        return Outcome::Holds {
            related: vec![cover],
            counterexample: None,
            detail: None,
        };
    }
    // Many links among the candidates (a sharing store: one per user and document) make a
    // union that is slow to compile and solve, and unique to its target. The static
    // candidates alone ask a question every link of the target's template shares; if they
    // cover the target, so does the union, and if not, their counterexample usually matches
    // none of the links either, and then settles the whole question below without the solver.
    let (links, statics): (Vec<usize>, Vec<usize>) = candidates
        .iter()
        .partition(|&&c| !cx.subject(c).slots.is_empty());
    if links.len() > LINKS_IN_ONE_UNION {
        let part = if statics.is_empty() {
            // Matched by nothing: the request `vacuous-policy` found shows it.
            cx.ask(Query::NeverMatches(target)).await
        } else {
            cx.ask(Query::Covered {
                target,
                by: &statics,
            })
            .await
        };
        match part {
            Answer::Yes if !statics.is_empty() => {
                return Box::pin(covered_by(cx, target, &statics)).await;
            }
            // A request the target matches and no static candidate does: if no link matches
            // it either (the Authorizer says so), the target is not covered.
            Answer::No(Some(cex)) => {
                let effect = cx.subject(links[0]).effect();
                let target_effect = cx.subject(target).effect();
                let target_matches = cx
                    .matching(&cex, target_effect)
                    .is_some_and(|m| m.contains(&target));
                let link_matches = cx.matching(&cex, effect);
                if target_matches
                    && link_matches.is_some_and(|m| links.iter().all(|l| !m.contains(l)))
                {
                    return Outcome::Fails;
                }
            }
            _ => {}
        }
    }
    match cx
        .ask(Query::Covered {
            target,
            by: candidates,
        })
        .await
    {
        Answer::Yes => {}
        Answer::No(_) => return Outcome::Fails,
        Answer::Unknown(reason) => return Outcome::Unknown(reason),
    }
    for &candidate in candidates {
        if let Answer::Yes = cx.ask(Query::MatchesImplies(target, candidate)).await {
            return Outcome::Holds {
                related: vec![candidate],
                counterexample: None,
                detail: None,
            };
        }
    }
    let mut related = Vec::new();
    for &candidate in candidates {
        if !matches!(
            cx.ask(Query::MatchesDisjoint(target, candidate)).await,
            Answer::Yes
        ) {
            related.push(candidate);
        }
    }
    Outcome::Holds {
        related,
        counterexample: None,
        detail: None,
    }
}

/// Shared by `forbid-may-error` and `permit-may-error`: asks for a request on which the policy
/// errors, and confirms it with the Authorizer.
async fn may_error(cx: &mut EnvCx<'_>, policy: usize, rule_id: &str) -> Outcome {
    let cex = match cx.ask(Query::NeverErrors(policy)).await {
        Answer::Yes => return Outcome::Fails,
        Answer::Unknown(reason) => return Outcome::Unknown(reason),
        Answer::No(None) => return Outcome::Unknown("the solver gave no counterexample".into()),
        Answer::No(Some(cex)) => cex,
    };
    let subject = cx.subject(policy);
    let alone = match PolicySet::from_policies([subject.policy.clone()]) {
        Ok(set) => set,
        Err(e) => return Outcome::Unknown(e.to_string()),
    };
    let replay = match Replay::parse(&cex, cx.shared.schema) {
        Ok(replay) => replay,
        Err(e) => return Outcome::Unknown(format!("the counterexample does not load: {e}")),
    };
    let (_, _, errors) = replay.decide(&alone);
    if errors.is_empty() {
        return Outcome::Unknown(
            "the solver's counterexample does not make the policy error when replayed".into(),
        );
    }
    Outcome::Holds {
        related: Vec::new(),
        counterexample: Some(test_case(
            cx,
            &replay,
            &cex,
            &format!("{rule_id}: {}", subject.id),
        )),
        detail: None,
    }
}

/// A `run-tests` entry for the counterexample with today's decision of the whole set.
fn test_case(
    cx: &EnvCx<'_>,
    replay: &Replay,
    cex: &serde_json::Value,
    name: &str,
) -> serde_json::Value {
    let (decision, reasons, errors) = replay.decide(&cx.shared.full_set);
    let reasons = cx.shared.display(&reasons);
    counterexample::test_case(
        name,
        cex,
        cx.shared.schema,
        (decision, &reasons, errors.len()),
    )
}

/// Parses a counterexample for replay against `schema`.
fn replay(cex: &serde_json::Value, schema: &Schema) -> Result<Replay, String> {
    Replay::parse(cex, schema).map_err(|e| format!("the counterexample does not load: {e}"))
}
