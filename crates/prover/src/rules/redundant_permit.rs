//! `redundant-permit`: every request the permit matches is matched by other permits.

pub use cedarcheck_analyzer::rules::deep::redundant_permit::RULE;

use crate::environment::EnvCx;
use crate::outcome::Outcome;

use super::Said;

pub async fn check(cx: &mut EnvCx<'_>, permit: usize, others: &[usize]) -> Outcome {
    super::covered_by(cx, permit, others).await
}

pub fn message(said: &Said<'_>) -> String {
    let (id, envs) = (said.id, said.envs);
    match said.by {
        [one] => format!("permit `{id}` is redundant: every request it matches is also allowed by permit {one} {envs}"),
        many => format!(
            "permit `{id}` is redundant: every request it matches is also allowed by the permits {} together {envs}",
            many.join(", ")
        ),
    }
}

/// Two policies of one effect that cover each other where `envs` says: reported once, at the
/// later one (`redundant-forbid` words it the same way).
pub fn mutual_message(kind: &str, id: &str, other: &str, envs: &str) -> String {
    format!(
        "{kind} `{id}` and {other} match exactly the same requests {envs}: keep one of them there"
    )
}
