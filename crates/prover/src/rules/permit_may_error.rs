//! `permit-may-error`: some valid request makes the permit error, so Cedar skips it.

use crate::environment::EnvCx;
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize) -> Outcome {
    super::may_error(cx, permit, "permit-may-error").await
}

pub fn message(id: &str, envs: &str) -> String {
    format!("permit `{id}` can raise an evaluation error {envs}; Cedar then skips it and denies")
}
