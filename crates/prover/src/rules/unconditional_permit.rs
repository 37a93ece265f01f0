//! `unconditional-permit`: the permit matches every valid request of the environment.

use crate::environment::{EnvCx, Query};
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize) -> Outcome {
    super::outcome_if_yes(cx.ask(Query::AlwaysMatches(permit)).await)
}

pub fn message(id: &str, envs: &str) -> String {
    format!("permit `{id}` matches every valid request {envs}: its conditions restrict nothing")
}
