//! `overridden-permit`: every request the permit matches is matched by a forbid, or by the
//! union of several.

use crate::environment::EnvCx;
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize, forbids: &[usize]) -> Outcome {
    super::covered_by(cx, permit, forbids).await
}

pub fn message(id: &str, by: &[String], envs: &str) -> String {
    match by {
        [one] => format!("permit `{id}` is dead: every request it matches is denied by forbid {one} {envs}"),
        many => format!(
            "permit `{id}` is dead: every request it matches is denied by the forbids {} together {envs}",
            many.join(", ")
        ),
    }
}
