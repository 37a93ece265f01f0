//! `overridden-permit`: every request the permit matches is matched by a forbid, or by the
//! union of several.

pub use cedarcheck_analyzer::rules::deep::overridden_permit::RULE;

use crate::environment::EnvCx;
use crate::outcome::Outcome;

use super::Said;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize, forbids: &[usize]) -> Outcome {
    super::covered_by(cx, permit, forbids).await
}

pub fn message(said: &Said<'_>) -> String {
    let (id, envs) = (said.id, said.envs);
    match said.by {
        [one] => format!("permit `{id}` is dead: every request it matches is denied by forbid {one} {envs}"),
        many => format!(
            "permit `{id}` is dead: every request it matches is denied by the forbids {} together {envs}",
            many.join(", ")
        ),
    }
}
