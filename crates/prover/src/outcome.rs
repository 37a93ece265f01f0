//! What one question about one environment concluded: the property holds (a finding), it
//! fails, or the solver could not decide.

use serde_json::Value;

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
