//! `forbid-may-error`: some valid request makes the forbid error, so Cedar skips it.

use crate::environment::EnvCx;
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, forbid: usize) -> Outcome {
    super::may_error(cx, forbid, "forbid-may-error").await
}

pub fn message(id: &str, envs: &str) -> String {
    format!(
        "forbid `{id}` can raise an evaluation error {envs}; Cedar then skips it, so the access it should deny is allowed (fails open)"
    )
}
