//! `invariant-violated`: a `forbid` invariant matches a request the set allows, or a `permit`
//! invariant matches a request the set denies. The violating request is replayed through the
//! Authorizer, and the policies that decided it are named.

pub use cedarcheck_analyzer::rules::deep::invariant_violated::RULE;

use cedar_policy::{Decision, Effect, PolicySet};

use crate::effect::with_effect;
use crate::environment::{Answer, EnvCx, Query};
use crate::outcome::Outcome;

use super::Said;

pub async fn check(cx: &mut EnvCx<'_>, invariant: usize, policies: &[usize]) -> Outcome {
    let cex = match cx
        .ask(Query::Invariant {
            invariant,
            policies,
        })
        .await
    {
        Answer::Yes => return Outcome::Fails,
        Answer::Unknown(reason) => return Outcome::Unknown(reason),
        Answer::No(None) => return Outcome::Unknown("the solver gave no violating request".into()),
        Answer::No(Some(cex)) => cex,
    };
    let inv = &cx.shared.invariants[invariant];
    let replay = match super::replay(&cex, cx.shared.schema) {
        Ok(replay) => replay,
        Err(error) => return Outcome::Unknown(error.to_string()),
    };
    let matches = match with_effect(&inv.policy, Effect::Permit)
        .map_err(|e| e.to_string())
        .and_then(|p| PolicySet::from_policies([p]).map_err(|e| e.to_string()))
    {
        Ok(alone) => replay.decide(&alone).0 == Decision::Allow,
        Err(reason) => return Outcome::Unknown(reason),
    };
    let (decision, reasons, _) = replay.decide(&cx.shared.full_set);
    let expected = match inv.effect() {
        Effect::Forbid => Decision::Allow,
        Effect::Permit => Decision::Deny,
    };
    if !matches || decision != expected {
        return Outcome::Unknown(
            "the solver's violating request does not violate the invariant when replayed".into(),
        );
    }
    let deciding = cx.shared.display(&reasons);
    let detail = match (inv.effect(), deciding.as_slice()) {
        (Effect::Forbid, ids) => format!("allowed by {}", quoted(ids)),
        (Effect::Permit, []) => "denied: no permit matches it".to_string(),
        (Effect::Permit, ids) => format!("denied by {}", quoted(ids)),
    };
    let related = reasons
        .iter()
        .filter_map(|r| {
            cx.shared
                .subjects
                .iter()
                .position(|s| s.policy.id().to_string() == *r)
        })
        .collect();
    Outcome::Holds {
        related,
        counterexample: Some(super::test_case(
            cx,
            &replay,
            &cex,
            &format!("{}: {}", RULE.id, inv.id),
        )),
        detail: Some(detail),
    }
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn message(said: &Said<'_>) -> String {
    let id = said.id;
    let detail = said.detail.unwrap_or("decided differently");
    let envs = format!("for {}", said.env_list);
    match said.effect.unwrap_or(Effect::Forbid) {
        Effect::Forbid => format!("invariant `{id}` does not hold {envs}: a request it forbids is {detail}"),
        Effect::Permit => format!("invariant `{id}` does not hold {envs}: a request it requires to be allowed is {detail}"),
    }
}
