//! `cedarcheck test --coverage --suggest` (README "Policy coverage"): for a policy no test
//! determines, the solver writes a test it does determine, with the machinery that writes
//! the test killing a surviving mutant ([`crate::kill`]).
//!
//! The question is a `diff` between two sub-sets of the policy set: for a permit, the set
//! without its permits against the set without its permits but this one — they decide
//! differently exactly where the permit is satisfied and no forbid is, so the set allows with
//! the permit among its reasons. For a forbid, the set without its forbids against the set
//! without its forbids but this one — they differ where some permit allows and the forbid
//! denies, the test a forbid most needs. The example becomes a native entry with the whole
//! set's decision and reasons, kept only when the test runner's own evaluation passes it and
//! names the policy among the reasons.

use std::collections::BTreeSet;

use cedar_policy::Effect;
use cedarcheck_analyzer::{PolicyKind, Settings};
use cedarcheck_prover::diff::{self, Change, DiffInput, Example};
use cedarcheck_prover::{LoadedPolicies, SolverCommand};
use cedarcheck_test_runner::evaluate::Actual;
use serde_json::Value;

use crate::kill::{as_permit, policy_strings, verified_test, Original};

/// A verified native test entry that `policy` determines, or why there is none.
pub fn determining_test(
    original: &Original<'_>,
    policy: &str,
    solver: &SolverCommand,
    jobs: usize,
) -> Result<Value, String> {
    let Some(schema) = original.report.schema.as_ref() else {
        return Err("the set has no schema, which the solver needs".into());
    };
    let loaded = &original.report.loaded;
    let effect_of =
        |internal: &cedar_policy::PolicyId| loaded.set.policy(internal).map(|p| p.effect());
    let Some(effect) = loaded
        .entries
        .iter()
        .find(|e| e.id == policy && e.kind != PolicyKind::Template)
        .and_then(|e| effect_of(&e.internal_id))
    else {
        return Err(format!("no policy `{policy}` in the set"));
    };
    let invalid = &original.report.invalid_policies;
    if invalid.contains(policy) {
        return Err("it does not validate, or can never apply".into());
    }
    // Every policy of the same effect, this one included, leaves the old side.
    let mut without: BTreeSet<String> = invalid.clone();
    without.extend(
        loaded
            .entries
            .iter()
            .filter(|e| e.kind != PolicyKind::Template)
            .filter(|e| effect_of(&e.internal_id) == Some(effect))
            .map(|e| e.id.clone()),
    );
    let mut with = without.clone();
    with.remove(policy);
    let files: Vec<String> = original
        .input
        .files()
        .iter()
        .map(|f| f.path.clone())
        .collect();
    let mut asked = examples(
        LoadedPolicies {
            loaded,
            files: &files,
            skip: &without,
        },
        LoadedPolicies {
            loaded,
            files: &files,
            skip: &with,
        },
        schema,
        solver,
        jobs,
    );
    if effect == Effect::Forbid && matches!(&asked, Ok(found) if found.is_empty()) {
        // A forbid behind another forbid, or one no permit reaches (defence in depth): it
        // still determines every request it is satisfied on. Made a permit, alone, it
        // allows exactly those.
        let Some(flipped) = as_permit(original.input, original.report, policy) else {
            return Err("its `forbid` keyword was not found".into());
        };
        let flipped_report = cedarcheck_analyzer::check(&flipped, &Settings::loading_only());
        let everything: BTreeSet<String> = flipped_report
            .loaded
            .entries
            .iter()
            .map(|e| e.id.clone())
            .collect();
        let mut only = everything.clone();
        only.remove(policy);
        asked = examples(
            LoadedPolicies {
                loaded: &flipped_report.loaded,
                files: &files,
                skip: &everything,
            },
            LoadedPolicies {
                loaded: &flipped_report.loaded,
                files: &files,
                skip: &only,
            },
            schema,
            solver,
            jobs,
        );
        return first_verified(original, policy, asked, "no request: it is never satisfied");
    }
    first_verified(
        original,
        policy,
        asked,
        "no request: wherever it is satisfied a forbid denies, or it is never satisfied",
    )
}

/// The requests on which `new` decides differently from `old`, or why the solver could not
/// tell.
fn examples(
    old: LoadedPolicies<'_>,
    new: LoadedPolicies<'_>,
    schema: &cedar_policy::Schema,
    solver: &SolverCommand,
    jobs: usize,
) -> Result<Vec<Example>, String> {
    let report = diff::diff(
        &DiffInput {
            old,
            new,
            schema,
            old_schema: schema,
        },
        solver,
        jobs,
    );
    let mut unknown = None;
    let mut found: Vec<Example> = Vec::new();
    for env in report.environments {
        match env.change {
            Change::Equivalent => {}
            Change::Unknown(reason) => {
                unknown.get_or_insert_with(|| {
                    format!(
                        "the solver could not decide for {} {} on {}: {reason}",
                        env.principal, env.action, env.resource
                    )
                });
            }
            _ => found.extend(env.added.into_iter().chain(env.removed)),
        }
    }
    // "Unknown" is never "no request".
    match unknown {
        Some(why) if found.is_empty() => Err(why),
        _ => Ok(found),
    }
}

/// The first example that makes a verified test `policy` determines.
fn first_verified(
    original: &Original<'_>,
    policy: &str,
    asked: Result<Vec<Example>, String>,
    none: &str,
) -> Result<Value, String> {
    let found = asked?;
    if found.is_empty() {
        return Err(none.into());
    }
    let taken = policy_strings(original.input, original.input);
    let determines = |_: &Value, actual: &Actual| {
        if actual.reason.iter().any(|r| r == policy) {
            Ok(())
        } else {
            Err(format!(
                "the set decides it for other reasons ({})",
                actual.reason.join(", ")
            ))
        }
    };
    let mut why = String::new();
    for example in &found {
        match verified_test(example, original.set, policy, &taken, &determines) {
            Ok(entry) => return Ok(entry),
            Err(reason) if why.is_empty() => why = reason,
            Err(_) => {}
        }
    }
    Err(format!(
        "the solver found a request, but no test was written: {why}"
    ))
}
