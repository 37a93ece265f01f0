//! The deep rules, one file per rule. Each file re-exports its rule's declaration (`RULE`: id,
//! category, default level and documentation, kept in `cedarcheck_analyzer::rules::deep` so
//! that `cedarcheck rules`, the config and SARIF list every rule), and holds its proof
//! (`check`: the queries it asks in one request environment, returning an [`Outcome`]) and its
//! `message` (how a finding words what the proof found). `report` turns outcomes across
//! environments into findings, dispatching on [`DeepRule`].
//!
//! Adding a deep rule: one line in the analyzer's list (`cedarcheck_analyzer::deep_rules!`, in
//! `crates/analyzer/src/rules/deep/mod.rs`), its declaration and documentation in
//! `crates/analyzer/src/rules/deep/<id>.rs`, and `<id>.rs` here with `RULE`, `check` and
//! `message`; then ask its `check` in `analysis.rs`, which decides the order of the work in an
//! environment. A listed rule without its file here, or a file without `RULE`, `check` or
//! `message`, does not compile; a rule that `analysis.rs` never asks fails its fixture test
//! (`crates/prover/tests/deep_rules.rs`).

use cedar_policy::{Effect, PolicySet, Schema};
use cedarcheck_analyzer::Rule;

use crate::counterexample::{self, Replay};
use crate::environment::{Answer, EnvCx, Query};
use crate::error::ReplayError;
use crate::outcome::Outcome;

/// What the report knows when it words a finding; each rule's `message` takes what it needs.
#[derive(Default)]
pub struct Said<'a> {
    /// "permit", "forbid" or "template-linked policy".
    pub kind: &'a str,
    /// The policy's, invariant's or action's id, as users read it.
    pub id: &'a str,
    /// The policy's or invariant's effect.
    pub effect: Option<Effect>,
    /// Where it holds: "in all 3 request environments it applies to", "in 1 of its 4 …: (…)".
    pub envs: &'a str,
    /// The environments where it holds, listed: "(Ops::Agent, …), (…) and 2 more".
    pub env_list: &'a str,
    /// The policies that explain it, quoted: the overriding forbids, the covering permits.
    pub by: &'a [String],
    /// The other policy of a pair, quoted.
    pub other: Option<&'a str>,
    /// The error the counterexample raises, in words, naming the expression.
    pub raised: Option<&'a str>,
    /// Rule-specific words from the proof (which policy decided a violating request).
    pub detail: Option<&'a str>,
}

/// Makes [`DeepRule`] from the analyzer's one list of deep rules (`cedarcheck_analyzer::deep_rules!`):
/// each rule's module here must hold `RULE`, `check` and `message(&Said) -> String`, and
/// [`DeepRule`] dispatches to them exhaustively.
macro_rules! declare_deep_rules {
    ($($variant:ident => $module:ident,)*) => {
        $(pub mod $module;)*

        /// A solver-backed rule. Its declaration, proof and message are in the file named
        /// after it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum DeepRule {
            $($variant,)*
        }

        impl DeepRule {
            pub const ALL: &'static [DeepRule] = &[$(DeepRule::$variant,)*];

            /// Its id, category, default level and documentation.
            pub fn declaration(self) -> &'static Rule {
                match self {
                    $(DeepRule::$variant => &$module::RULE,)*
                }
            }

            /// How a finding of this rule words what the proof found.
            pub fn message(self, said: &Said<'_>) -> String {
                match self {
                    $(DeepRule::$variant => $module::message(said),)*
                }
            }
        }

        /// Every rule's file has its proof (the arguments differ, so `analysis` calls each).
        #[allow(dead_code)]
        fn every_rule_has_a_check() {
            $(let _ = $module::check;)*
        }
    };
}

cedarcheck_analyzer::deep_rules!(declare_deep_rules);

/// `Holds` for a `Yes`, `Fails` for a `No`.
fn outcome_if_yes(answer: Answer) -> Outcome {
    match answer {
        Answer::Yes => Outcome::holds(),
        Answer::No(_) => Outcome::Fails,
        Answer::Unknown(reason) => Outcome::Unknown(reason),
    }
}

/// Above this many links among a union's candidates, the static candidates are asked first.
const LINKS_IN_ONE_UNION: usize = 8;

/// Whether every request `target` matches is matched by some of `candidates`, and if so which
/// of them: a single one that covers it alone when there is one, else every candidate that
/// overlaps it.
async fn covered_by(cx: &mut EnvCx<'_>, target: usize, candidates: &[usize]) -> Outcome {
    if candidates.is_empty() {
        return Outcome::Fails;
    }
    // A single cover the cache already knows of still covers, whatever else changed (after
    // editing another candidate, say): nothing to ask.
    if let Some(&cover) = candidates
        .iter()
        .find(|&&c| cx.known_yes(Query::MatchesImplies(target, c)))
    {
        return Outcome::Holds {
            related: vec![cover],
            counterexample: None,
            detail: None,
        };
    }
    // Many links among the candidates (a sharing store: one per user and document) make a
    // union that is slow to compile and solve, and unique to its target. The static
    // candidates alone ask a question every link of the target's template shares; if they
    // cover the target, so does the union, and if not, their counterexample usually matches
    // none of the links either, and then settles the whole question below without the solver.
    let (links, statics): (Vec<usize>, Vec<usize>) = candidates
        .iter()
        .partition(|&&c| !cx.subject(c).slots.is_empty());
    if links.len() > LINKS_IN_ONE_UNION {
        let part = if statics.is_empty() {
            // Matched by nothing: the request `vacuous-policy` found shows it.
            cx.ask(Query::NeverMatches(target)).await
        } else {
            cx.ask(Query::Covered {
                target,
                by: &statics,
            })
            .await
        };
        match part {
            Answer::Yes if !statics.is_empty() => {
                return Box::pin(covered_by(cx, target, &statics)).await;
            }
            // A request the target matches and no static candidate does: if no link matches
            // it either (the Authorizer says so), the target is not covered.
            Answer::No(Some(cex)) => {
                let effect = cx.subject(links[0]).effect();
                let target_effect = cx.subject(target).effect();
                let target_matches = cx
                    .matching(&cex, target_effect)
                    .is_some_and(|m| m.contains(&target));
                let link_matches = cx.matching(&cex, effect);
                if target_matches
                    && link_matches.is_some_and(|m| links.iter().all(|l| !m.contains(l)))
                {
                    return Outcome::Fails;
                }
            }
            _ => {}
        }
    }
    // A set of candidates that covers the target: those `refine` chose, or all of them.
    let cover: Vec<usize> = match refine(cx, target, candidates).await {
        Refined::Covered(chosen) => chosen,
        Refined::NotCovered => return Outcome::Fails,
        Refined::Undecided => match cx
            .ask(Query::Covered {
                target,
                by: candidates,
            })
            .await
        {
            Answer::Yes => candidates.to_vec(),
            Answer::No(_) => return Outcome::Fails,
            Answer::Unknown(reason) => return Outcome::Unknown(reason),
        },
    };
    // A candidate that covers the target alone matches every request the target does, so
    // refinement chose it.
    for &candidate in candidates.iter().filter(|c| cover.contains(c)) {
        if let Answer::Yes = cx.ask(Query::MatchesImplies(target, candidate)).await {
            return Outcome::Holds {
                related: vec![candidate],
                counterexample: None,
                detail: None,
            };
        }
    }
    Outcome::Holds {
        related: canonical_cover(cx, target, candidates, cover).await,
        counterexample: None,
        detail: None,
    }
}

/// The minimal cover of `target` that leaving candidates out one by one, in their order,
/// arrives at: each candidate is left out when the ones still kept cover the target without
/// it. `known` is some cover among them: leaving out a candidate outside it changes nothing
/// (the kept ones still hold `known`), so only those in it are asked about, each by a
/// refinement over the kept ones, which gives the next known cover. The result depends on
/// what is true only, not on which witnesses or counterexamples settled the questions, so a
/// finding names the same policies in a cold, a warm and a sharded run. Naming a minimal
/// cover instead of every candidate that overlaps the target keeps the finding to the
/// policies a reader needs to check, and spares a question per overlapping candidate, whose
/// number grows with the square of the set (README "Deep analysis", how it scales).
async fn canonical_cover(
    cx: &mut EnvCx<'_>,
    target: usize,
    candidates: &[usize],
    mut known: Vec<usize>,
) -> Vec<usize> {
    let mut kept = candidates.to_vec();
    for &candidate in candidates {
        let rest: Vec<usize> = kept.iter().copied().filter(|&k| k != candidate).collect();
        if !known.contains(&candidate) {
            kept = rest;
            continue;
        }
        if let Some(cover) = cover_among(cx, target, &rest).await {
            known = cover;
            kept = rest;
        }
    }
    kept
}

/// Some cover of `target` among `among`, by refinement, else the union asked at once; `None`
/// when they do not cover it (or the solver could not tell).
async fn cover_among(cx: &mut EnvCx<'_>, target: usize, among: &[usize]) -> Option<Vec<usize>> {
    if among.is_empty() {
        return None;
    }
    match refine(cx, target, among).await {
        Refined::Covered(chosen) => Some(chosen),
        Refined::NotCovered => None,
        Refined::Undecided => match cx.ask(Query::Covered { target, by: among }).await {
            Answer::Yes => Some(among.to_vec()),
            Answer::No(_) | Answer::Unknown(_) => None,
        },
    }
}

/// Below this many candidates the whole union is asked at once.
const REFINE_ABOVE: usize = 4;

enum Refined {
    /// Covered by these candidates (a subset of them all, so by the union too).
    Covered(Vec<usize>),
    /// A request the target matches and no candidate does.
    NotCovered,
    /// Ask the whole union.
    Undecided,
}

/// Answers "is `target` covered by `candidates`?" with small questions instead of one over the
/// union of them all, whose cost grows with every candidate (README "Deep analysis", how it
/// scales). Starting from no candidate, it asks whether the chosen ones cover the target;
/// a `Yes` settles it for the union. A `No` comes with a request the target matches and
/// none of the chosen do: the Authorizer evaluates the other candidates on it, and if none
/// matches either, the target is not covered; otherwise those that match join the chosen and
/// the question is asked again. A candidate that covers the target alone matches every such
/// request, so it is always chosen. With at most [`REFINE_ABOVE`] candidates, or when
/// something cannot be evaluated, the union is asked after all.
///
/// Which candidates it chooses depends on the witnesses at hand; the cover a finding names
/// does not ([`canonical_cover`]).
async fn refine(cx: &mut EnvCx<'_>, target: usize, candidates: &[usize]) -> Refined {
    if candidates.len() <= REFINE_ABOVE {
        return Refined::Undecided;
    }
    let mut chosen: Vec<usize> = Vec::new();
    loop {
        let query = if chosen.is_empty() {
            // Shared with `vacuous-policy`, asked already: a request the target matches.
            Query::NeverMatches(target)
        } else {
            Query::Covered {
                target,
                by: &chosen,
            }
        };
        let request = match cx.ask(query).await {
            Answer::Yes if chosen.is_empty() => return Refined::Undecided,
            Answer::Yes => {
                chosen.sort_unstable();
                return Refined::Covered(chosen);
            }
            Answer::No(Some(request)) => request,
            Answer::No(None) | Answer::Unknown(_) => return Refined::Undecided,
        };
        let rest: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|c| !chosen.contains(c))
            .collect();
        let Some(target_matches) = cx.matching_among(&request, &[target]) else {
            return Refined::Undecided;
        };
        if target_matches.is_empty() {
            // The solver's request does not replay as it said: trust neither.
            return Refined::Undecided;
        }
        match cx.matching_among(&request, &rest) {
            Some(matched) if matched.is_empty() => return Refined::NotCovered,
            Some(matched) => chosen.extend(matched),
            None => return Refined::Undecided,
        }
    }
}

/// Shared by `forbid-may-error` and `permit-may-error`: asks for a request on which the policy
/// errors, and confirms it with the Authorizer.
async fn may_error(cx: &mut EnvCx<'_>, policy: usize, rule: &Rule) -> Outcome {
    let cex = match cx.ask(Query::NeverErrors(policy)).await {
        Answer::Yes => return Outcome::Fails,
        Answer::Unknown(reason) => return Outcome::Unknown(reason),
        Answer::No(None) => return Outcome::Unknown("the solver gave no counterexample".into()),
        Answer::No(Some(cex)) => cex,
    };
    let subject = cx.subject(policy);
    let alone = match PolicySet::from_policies([subject.policy.clone()]) {
        Ok(set) => set,
        Err(e) => return Outcome::Unknown(e.to_string()),
    };
    let replay = match replay(&cex, cx.shared.schema) {
        Ok(replay) => replay,
        Err(e) => return Outcome::Unknown(e.to_string()),
    };
    let (_, _, errors) = replay.decide(&alone);
    if errors.is_empty() {
        return Outcome::Unknown(
            "the solver's counterexample does not make the policy error when replayed".into(),
        );
    }
    Outcome::Holds {
        related: Vec::new(),
        counterexample: Some(test_case(
            cx,
            &replay,
            &cex,
            &format!("{}: {}", rule.id, subject.id),
        )),
        detail: None,
    }
}

/// A `run-tests` entry for the counterexample with today's decision of the whole set.
fn test_case(
    cx: &EnvCx<'_>,
    replay: &Replay,
    cex: &serde_json::Value,
    name: &str,
) -> serde_json::Value {
    let (decision, reasons, errors) = replay.decide(&cx.shared.full_set);
    let reasons = cx.shared.display(&reasons);
    counterexample::test_case(
        name,
        cex,
        cx.shared.schema,
        (decision, &reasons, errors.len()),
    )
}

/// Parses a counterexample for replay against `schema`.
fn replay(cex: &serde_json::Value, schema: &Schema) -> Result<Replay, ReplayError> {
    Replay::parse(cex, schema).map_err(ReplayError)
}

#[cfg(test)]
mod tests {
    use super::DeepRule;
    use cedarcheck_analyzer::{Source, RULES};

    /// A deep rule declared in the analyzer's registry without its file here (its proof and
    /// message) would never be asked nor reported.
    #[test]
    fn every_declared_deep_rule_has_its_proof_and_message() {
        let declared: Vec<&str> = RULES
            .iter()
            .filter(|rule| matches!(rule.source, Source::Deep))
            .map(|rule| rule.id)
            .collect();
        let proven: Vec<&str> = DeepRule::ALL
            .iter()
            .map(|rule| rule.declaration().id)
            .collect();
        assert_eq!(proven, declared);
    }
}
