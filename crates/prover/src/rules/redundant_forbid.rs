//! `redundant-forbid`: every request the forbid matches is matched by other forbids.

use crate::environment::EnvCx;
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, forbid: usize, others: &[usize]) -> Outcome {
    super::covered_by(cx, forbid, others).await
}

pub fn message(id: &str, by: &[String], envs: &str) -> String {
    match by {
        [one] => format!("forbid `{id}` is redundant: every request it matches is also denied by forbid {one} {envs}"),
        many => format!(
            "forbid `{id}` is redundant: every request it matches is also denied by the forbids {} together {envs}",
            many.join(", ")
        ),
    }
}
