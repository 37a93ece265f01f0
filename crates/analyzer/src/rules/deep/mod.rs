//! The solver-backed rules. Each file here declares a rule and documents it, so that the one
//! registry lists every rule; the proof that decides it and the message of its findings live in
//! the prover crate (`crates/prover/src/rules/`, same file name), since the core does no IO and
//! the solver is a separate process. The prover's `DeepRule` enum lists them; a rule declared
//! here without its file there fails the prover's tests.

pub mod allows_all;
pub mod equivalent_policies;
pub mod forbid_may_error;
pub mod invariant_violated;
pub mod overridden_permit;
pub mod permit_may_error;
pub mod redundant_forbid;
pub mod redundant_permit;
pub mod unconditional_permit;
pub mod unreachable_action;
pub mod vacuous_policy;
