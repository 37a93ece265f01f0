//! `equivalent-policies`: two policies of the same effect match exactly the same requests.
//! Asked only for a pair where one was found to cover the other alone.

pub use cedarcheck_analyzer::rules::deep::equivalent_policies::RULE;

use crate::environment::{Answer, EnvCx, Query};
use crate::outcome::Outcome;

use super::Said;

/// `covered` is already known to be covered by `cover` alone; equivalent when the converse
/// holds too.
pub async fn check(cx: &mut EnvCx<'_>, covered: usize, cover: usize) -> Outcome {
    match cx.ask(Query::MatchesImplies(cover, covered)).await {
        Answer::Yes => Outcome::holds(),
        Answer::No(_) => Outcome::Fails,
        Answer::Unknown(reason) => Outcome::Unknown(reason),
    }
}

pub fn message(said: &Said<'_>) -> String {
    let (kind, id) = (said.kind, said.id);
    let other = said.other.unwrap_or("another policy");
    format!("{kind} `{id}` matches exactly the same requests as {other} in every environment; one of them is a copy")
}
