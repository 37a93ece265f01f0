//! `vacuous-policy`: the policy matches no valid request of the environment.

pub use cedarcheck_analyzer::rules::deep::vacuous_policy::RULE;

use crate::environment::{EnvCx, Query};
use crate::outcome::Outcome;

use super::Said;

pub async fn check(cx: &mut EnvCx<'_>, policy: usize) -> Outcome {
    super::outcome_if_yes(cx.ask(Query::NeverMatches(policy)).await)
}

pub fn message(said: &Said<'_>) -> String {
    let (kind, id, envs) = (said.kind, said.id, said.envs);
    format!("{kind} `{id}` matches no valid request {envs}")
}
