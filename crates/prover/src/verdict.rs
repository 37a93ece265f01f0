//! What one rule concluded in one request environment.

use serde_json::Value;

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

#[derive(Clone, Debug)]
pub enum Outcome {
    /// The rule's property holds: there is a finding.
    Holds {
        /// Policies that explain it (the overriding forbids, the covering permits, …).
        related: Vec<usize>,
        /// A replayed `run-tests` entry that demonstrates it.
        counterexample: Option<Value>,
        /// Rule-specific words, e.g. which policy decided a violating request.
        detail: Option<String>,
    },
    Fails,
    /// The solver could not decide: timeout, crash, `unknown`, or a counterexample that did
    /// not replay. Never reported as clean.
    Unknown(String),
}

impl Outcome {
    pub fn holds() -> Self {
        Outcome::Holds {
            related: Vec::new(),
            counterexample: None,
            detail: None,
        }
    }

    pub fn is_holds(&self) -> bool {
        matches!(self, Outcome::Holds { .. })
    }
}

pub struct Verdict {
    pub rule: DeepRule,
    pub about: About,
    pub env: usize,
    pub outcome: Outcome,
}
