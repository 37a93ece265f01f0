//! The solver-backed rules. Each file here declares a rule and documents it, so that the one
//! registry lists every rule; the proof that decides it and the message of its findings live in
//! the prover crate (`crates/prover/src/rules/`, same file name), since the core does no IO and
//! the solver is a separate process.
//!
//! [`deep_rules!`](crate::deep_rules) below is the one list of them: it declares the modules
//! here, puts the rules in the registry (`crate::registry`), and makes the prover's `DeepRule`
//! enum, whose dispatch to each rule's proof and message is exhaustive — a line here without the
//! prover's file does not compile.

/// The deep rules, one line each: `Variant => module`. Calls `$callback!` with the list, so
/// that every place that must know every deep rule (the modules here, the registry, the
/// prover's `DeepRule`) is made from it. Adding a deep rule is one line here, its declaration
/// here, and its proof and message in the prover.
#[macro_export]
macro_rules! deep_rules {
    ($callback:ident) => {
        $callback! {
            VacuousPolicy => vacuous_policy,
            UnconditionalPermit => unconditional_permit,
            OverriddenPermit => overridden_permit,
            RedundantPermit => redundant_permit,
            RedundantForbid => redundant_forbid,
            EquivalentPolicies => equivalent_policies,
            AllowsAll => allows_all,
            UnreachableAction => unreachable_action,
            ForbidMayError => forbid_may_error,
            PermitMayError => permit_may_error,
            InvariantViolated => invariant_violated,
        }
    };
}

macro_rules! declare_modules {
    ($($variant:ident => $module:ident,)*) => {
        $(pub mod $module;)*
    };
}

deep_rules!(declare_modules);
