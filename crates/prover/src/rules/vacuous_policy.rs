//! `vacuous-policy`: the policy matches no valid request of the environment.

use crate::environment::{EnvCx, Query};
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, policy: usize) -> Outcome {
    super::outcome_if_yes(cx.ask(Query::NeverMatches(policy)).await)
}

pub fn message(kind: &str, id: &str, envs: &str) -> String {
    format!("{kind} `{id}` matches no valid request {envs}")
}
