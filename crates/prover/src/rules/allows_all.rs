//! `allows-all`: the policy set allows every valid request of the environment.

pub use cedarcheck_analyzer::rules::deep::allows_all::RULE;

use crate::environment::{EnvCx, Query};
use crate::outcome::Outcome;

use super::Said;

/// `policies` are the ones that can apply in the environment.
pub async fn check(cx: &mut EnvCx<'_>, policies: &[usize]) -> Outcome {
    match super::outcome_if_yes(cx.ask(Query::AlwaysAllows(policies)).await) {
        Outcome::Holds { .. } => Outcome::Holds {
            // The permits are what grants it.
            related: policies
                .iter()
                .copied()
                .filter(|&p| cx.subject(p).effect() == cedar_policy::Effect::Permit)
                .collect(),
            counterexample: None,
            detail: None,
        },
        other => other,
    }
}

pub fn message(said: &Said<'_>) -> String {
    format!("the policy set allows every valid request for {}: no condition, forbid or attribute can deny any of them", said.env_list)
}
