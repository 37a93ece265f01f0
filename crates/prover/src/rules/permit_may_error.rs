//! `permit-may-error`: some valid request makes the permit error, so Cedar skips it.

pub use cedarcheck_analyzer::rules::deep::permit_may_error::RULE;

use crate::environment::EnvCx;
use crate::outcome::Outcome;

use super::Said;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize) -> Outcome {
    super::may_error(cx, permit, &RULE).await
}

/// `said.raised`: the error of the counterexample in words, naming the expression that raises it.
pub fn message(said: &Said<'_>) -> String {
    let (id, envs) = (said.id, said.envs);
    let raised = said
        .raised
        .map(|words| format!(": {words}")).unwrap_or_default();
    format!("permit `{id}` can raise an evaluation error {envs}{raised}; Cedar then skips it and denies")
}
