//! The order of work in one request environment, and the pruning that keeps the number of
//! solver queries far below "every policy × every pair".

use cedar_policy::Effect;
use cedar_policy_core::ast::{EntityReference, PrincipalOrResourceConstraint};

use crate::environment::EnvCx;
use crate::outcome::Outcome;
use crate::rules::*;
use crate::verdict::{About, Verdict};

pub async fn analyze_env(cx: &mut EnvCx<'_>) -> Vec<Verdict> {
    let shared = cx.shared;
    let env = cx.job.index;
    let mut verdicts = Vec::new();
    let mut push = |rule, about, outcome| {
        verdicts.push(Verdict {
            rule,
            about,
            env,
            outcome,
        })
    };

    // Single-policy questions. A vacuous policy takes part in nothing else.
    let mut live = Vec::new();
    for &p in &cx.job.policies {
        if shared.enabled(DeepRule::VacuousPolicy.declaration()) {
            let outcome = vacuous_policy::check(cx, p).await;
            let dead = outcome.is_holds();
            push(DeepRule::VacuousPolicy, About::Policy(p), outcome);
            if dead {
                continue;
            }
        }
        live.push(p);
        let permit = cx.subject(p).effect() == Effect::Permit;
        // A permit without conditions grants its scope, as it says: nothing to ask.
        let conditional = cx.subject(p).policy.has_non_scope_constraint();
        if permit && conditional && shared.enabled(DeepRule::UnconditionalPermit.declaration()) {
            push(
                DeepRule::UnconditionalPermit,
                About::Policy(p),
                unconditional_permit::check(cx, p).await,
            );
        }
        if permit && shared.enabled(DeepRule::PermitMayError.declaration()) {
            push(
                DeepRule::PermitMayError,
                About::Policy(p),
                permit_may_error::check(cx, p).await,
            );
        }
        if !permit && shared.enabled(DeepRule::ForbidMayError.declaration()) {
            push(
                DeepRule::ForbidMayError,
                About::Policy(p),
                forbid_may_error::check(cx, p).await,
            );
        }
    }

    // Coverage questions: one query against all overlapping candidates at once; pairwise
    // queries only to name the policies behind a finding.
    let (permits, forbids): (Vec<usize>, Vec<usize>) = live
        .iter()
        .partition(|&&p| cx.subject(p).effect() == Effect::Permit);
    let overlapping = |cx: &EnvCx<'_>, target: usize, pool: &[usize]| -> Vec<usize> {
        pool.iter()
            .copied()
            .filter(|&c| c != target && may_overlap(cx, target, c))
            .collect()
    };
    let mut single_covers = Vec::new();
    for &p in &permits {
        if shared.enabled(DeepRule::OverriddenPermit.declaration()) {
            let candidates = overlapping(cx, p, &forbids);
            push(
                DeepRule::OverriddenPermit,
                About::Policy(p),
                overridden_permit::check(cx, p, &candidates).await,
            );
        }
        if shared.enabled(DeepRule::RedundantPermit.declaration())
            || shared.enabled(DeepRule::EquivalentPolicies.declaration())
        {
            let candidates = overlapping(cx, p, &permits);
            let outcome = redundant_permit::check(cx, p, &candidates).await;
            if let Outcome::Holds { related, .. } = &outcome {
                if let [cover] = related[..] {
                    single_covers.push((p, cover));
                }
            }
            push(DeepRule::RedundantPermit, About::Policy(p), outcome);
        }
    }
    for &f in &forbids {
        if shared.enabled(DeepRule::RedundantForbid.declaration())
            || shared.enabled(DeepRule::EquivalentPolicies.declaration())
        {
            let candidates = overlapping(cx, f, &forbids);
            let outcome = redundant_forbid::check(cx, f, &candidates).await;
            if let Outcome::Holds { related, .. } = &outcome {
                if let [cover] = related[..] {
                    single_covers.push((f, cover));
                }
            }
            push(DeepRule::RedundantForbid, About::Policy(f), outcome);
        }
    }
    if shared.enabled(DeepRule::EquivalentPolicies.declaration()) {
        // An equivalent pair usually shows up twice (each covers the other); ask once.
        let mut asked = std::collections::HashSet::new();
        for (covered, cover) in single_covers {
            let (a, b) = (covered.min(cover), covered.max(cover));
            if asked.insert((a, b)) {
                push(
                    DeepRule::EquivalentPolicies,
                    About::Pair(a, b),
                    equivalent_policies::check(cx, covered, cover).await,
                );
            }
        }
    }

    if shared.enabled(DeepRule::AllowsAll.declaration()) && !permits.is_empty() {
        push(
            DeepRule::AllowsAll,
            About::Environment(env),
            allows_all::check(cx, &live).await,
        );
    }
    // Asked over every policy that can apply, vacuous or not: one question per environment.
    if shared.enabled(DeepRule::UnreachableAction.declaration())
        && !unreachable_action::intentionally_denied(shared.intentionally_denied, cx.job)
    {
        push(
            DeepRule::UnreachableAction,
            About::Environment(env),
            unreachable_action::check(cx).await,
        );
    }
    if shared.enabled(DeepRule::InvariantViolated.declaration()) {
        let policies = cx.job.policies.clone();
        for &i in &cx.job.invariants.clone() {
            push(
                DeepRule::InvariantViolated,
                About::Invariant(i),
                invariant_violated::check(cx, i, &policies).await,
            );
        }
    }
    verdicts
}

/// False when the scopes alone prove that no request matches both policies: within one
/// environment the types are fixed, so only `==` on different entities separates them.
fn may_overlap(cx: &EnvCx<'_>, a: usize, b: usize) -> bool {
    let (a, b) = (cx.subject(a).policy.as_ref(), cx.subject(b).policy.as_ref());
    let distinct =
        |x: &PrincipalOrResourceConstraint, y: &PrincipalOrResourceConstraint| match (x, y) {
            (
                PrincipalOrResourceConstraint::Eq(EntityReference::EUID(x)),
                PrincipalOrResourceConstraint::Eq(EntityReference::EUID(y)),
            ) => x != y,
            _ => false,
        };
    !(distinct(
        a.principal_constraint().as_inner(),
        b.principal_constraint().as_inner(),
    ) || distinct(
        a.resource_constraint().as_inner(),
        b.resource_constraint().as_inner(),
    ))
}
