//! `redundant-permit`: every request the permit matches is matched by other permits.

use crate::environment::EnvCx;
use crate::verdict::Outcome;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize, others: &[usize]) -> Outcome {
    super::covered_by(cx, permit, others).await
}

pub fn message(id: &str, by: &[String], envs: &str) -> String {
    match by {
        [one] => format!("permit `{id}` is redundant: every request it matches is also allowed by permit {one} {envs}"),
        many => format!(
            "permit `{id}` is redundant: every request it matches is also allowed by the permits {} together {envs}",
            many.join(", ")
        ),
    }
}
