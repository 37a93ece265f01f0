//! `forbid-may-error`: some valid request makes the forbid error, so Cedar skips it.

use crate::environment::EnvCx;
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, forbid: usize) -> Outcome {
    super::may_error(cx, forbid, "forbid-may-error").await
}

/// `raised`: the error of the counterexample in words, naming the expression that raises it.
pub fn message(id: &str, envs: &str, raised: Option<&str>) -> String {
    let raised = raised.map(|words| format!(": {words}")).unwrap_or_default();
    format!(
        "forbid `{id}` can raise an evaluation error {envs}{raised}; Cedar then skips it, so the access it should deny is allowed (fails open)"
    )
}
