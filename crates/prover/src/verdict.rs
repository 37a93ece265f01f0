//! What one rule concluded in one request environment.

use crate::outcome::Outcome;
use crate::rules::DeepRule;

/// What a verdict is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum About {
    Policy(usize),
    /// Two policies, the earlier first.
    Pair(usize, usize),
    /// The whole policy set in one environment (its index).
    Environment(usize),
    Invariant(usize),
}

pub struct Verdict {
    pub rule: DeepRule,
    pub about: About,
    pub env: usize,
    pub outcome: Outcome,
}
