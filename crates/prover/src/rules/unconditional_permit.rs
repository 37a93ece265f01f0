//! `unconditional-permit`: the permit matches every valid request of the environment.

pub use cedarcheck_analyzer::rules::deep::unconditional_permit::RULE;

use crate::environment::{EnvCx, Query};
use crate::outcome::Outcome;

use super::Said;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize) -> Outcome {
    super::outcome_if_yes(cx.ask(Query::AlwaysMatches(permit)).await)
}

pub fn message(said: &Said<'_>) -> String {
    let (id, envs) = (said.id, said.envs);
    format!("permit `{id}` matches every valid request {envs}: its conditions restrict nothing")
}
