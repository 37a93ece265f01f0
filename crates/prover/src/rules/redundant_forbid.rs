//! `redundant-forbid`: every request the forbid matches is matched by other forbids.

pub use cedarcheck_analyzer::rules::deep::redundant_forbid::RULE;

use crate::environment::EnvCx;
use crate::outcome::Outcome;

use super::Said;

pub async fn check(cx: &mut EnvCx<'_>, forbid: usize, others: &[usize]) -> Outcome {
    super::covered_by(cx, forbid, others).await
}

pub fn message(said: &Said<'_>) -> String {
    let (id, envs) = (said.id, said.envs);
    match said.by {
        [one] => format!("forbid `{id}` is redundant: every request it matches is also denied by forbid {one} {envs}"),
        many => format!(
            "forbid `{id}` is redundant: every request it matches is also denied by the forbids {} together {envs}",
            many.join(", ")
        ),
    }
}
