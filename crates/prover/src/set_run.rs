//! The one path from a checked policy set to its deep findings, or to why there are none:
//! `cedarcheck check`, `cedarcheck test` and the language server all take it, so the editor
//! shows what the CLI reports. It resolves `[analysis] intentionally-denied`, finds cvc5,
//! decides whether the set can be analysed, proves it ([`prove_set`]) and words what the run
//! skipped. The callers keep only their own parts: where files and the query cache come from,
//! progress, cancelling, and how they print the outcome.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cedarcheck_analyzer::{
    Finding, LineIndex, PolicySetInput, Report, Settings, SourceFile, INVARIANT_FILE_RULES,
};

use crate::{prove_shard, Cache, CheckedSet, DeepOptions, SetProof, Shard, ShardRun, Stats};

/// How to get cvc5, in every message that says it is missing.
pub const INSTALL_CVC5: &str =
    "install it with `apt-get install cvc5` or `brew install cvc5`, or set $CVC5 to a cvc5 binary";

/// An entry of `[analysis] intentionally-denied`, as written, and where (`cedarcheck.toml:12:5`).
#[derive(Clone, Copy, Debug)]
pub struct DeniedEntry<'a> {
    pub action: &'a str,
    pub at: &'a str,
}

/// What running the deep rules over one checked set takes.
pub struct SetRun<'a> {
    pub input: &'a PolicySetInput,
    /// `cedarcheck_analyzer::check`'s report of `input` (or `IncrementalCheck`'s).
    pub report: &'a Report,
    /// The set's invariant files, root-relative; read only when the prover runs.
    pub invariant_files: &'a [String],
    pub settings: &'a Settings,
    /// `[analysis] intentionally-denied`, checked against the set's schema.
    pub intentionally_denied: &'a [DeniedEntry<'a>],
    /// The set is one `[[set]]` of several: an entry naming an action in a namespace its
    /// schema has no action in is another set's, not an error.
    pub one_of_several: bool,
    /// Per solver query.
    pub timeout_ms: u64,
    /// Parallel solver processes; 0 = one per core.
    pub jobs: usize,
    /// `--deep` or `deep = "on"`: a run that cannot happen is an error, not a note.
    pub demanded: bool,
    /// Answers known from earlier runs.
    pub cache: Cache,
    /// Called with (environments done, environments in all).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Analyse only this shard's environments (README "Sharding across CI jobs"); the
    /// report then has no deep findings, and says what the shard covered.
    pub shard: Option<Shard>,
    /// Setting it stops the run early.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Why the deep analysis of a set did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRunReason {
    NoSolver,
    NoSchema,
    /// Its `schema-error` findings say why.
    SchemaDoesNotLoad,
}

impl std::fmt::Display for NotRunReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoSolver => write!(f, "cvc5 was not found ({INSTALL_CVC5})"),
            Self::NoSchema => f.write_str("it needs a schema"),
            Self::SchemaDoesNotLoad => f.write_str("the schema does not load"),
        }
    }
}

/// A deep analysis that did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotRun {
    pub reason: NotRunReason,
    /// It was demanded.
    pub demanded: bool,
}

impl NotRun {
    /// Whether not running fails the command: it was demanded and the user can fix why (a
    /// schema that does not load already fails with its own findings).
    pub fn is_error(&self) -> bool {
        self.demanded && self.reason != NotRunReason::SchemaDoesNotLoad
    }
}

/// An invariant the run checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedInvariant {
    /// Root-relative.
    pub file: String,
    pub id: String,
    /// 1-based, of its id.
    pub line: usize,
}

/// What a deep analysis that ran found.
pub struct SetRunReport {
    /// The deep findings (`@cedarcheck_ignore` applied), sorted.
    pub findings: Vec<Finding>,
    /// The invariant files' own findings (they must parse and validate against the schema).
    pub invariant_file_findings: Vec<Finding>,
    /// What the run left out, in words.
    pub notes: Vec<String>,
    /// Policies left out: they do not validate, or can never apply.
    pub skipped_policies: Vec<String>,
    /// Templates without links, which are analysed only through their links.
    pub skipped_templates: Vec<String>,
    pub invariants: Vec<CheckedInvariant>,
    /// The invariant files as read.
    pub invariant_sources: Vec<SourceFile>,
    pub stats: Stats,
    /// The cache to keep: this run's answers, and for a cancelled run also those known before.
    pub cache: Cache,
    /// A cancelled run's findings are incomplete.
    pub cancelled: bool,
    /// What a shard covered; `None` for a whole run.
    pub shard: Option<ShardRun>,
}

pub enum SetRunOutcome {
    NotRun(NotRun),
    Ran(Box<SetRunReport>),
}

/// Why a deep analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum SetRunError {
    /// An `intentionally-denied` entry names no action of the schema.
    #[error("{at}: {message}")]
    IntentionallyDenied { at: String, message: String },
    #[error("{file}: {source}")]
    ReadInvariant {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("the schema did not load")]
    SchemaDidNotLoad,
}

/// Runs the deep rules for the set, reading its invariant files with `read_invariant` (a
/// root-relative path to the file). An `intentionally-denied` entry that names no action is
/// an error whether or not the run can happen.
pub fn run_set(
    run: SetRun<'_>,
    read_invariant: impl FnMut(&str) -> io::Result<SourceFile>,
) -> Result<SetRunOutcome, SetRunError> {
    run_with(run, crate::find_cvc5(), read_invariant)
}

fn run_with(
    run: SetRun<'_>,
    cvc5: Option<PathBuf>,
    mut read_invariant: impl FnMut(&str) -> io::Result<SourceFile>,
) -> Result<SetRunOutcome, SetRunError> {
    let mut settings = run.settings.clone();
    settings.intentionally_denied = intentionally_denied(&run)?;
    let not_run = |reason| {
        Ok(SetRunOutcome::NotRun(NotRun {
            reason,
            demanded: run.demanded,
        }))
    };
    let Some(cvc5) = cvc5 else {
        return not_run(NotRunReason::NoSolver);
    };
    if run.input.schema.is_none() {
        return not_run(NotRunReason::NoSchema);
    }
    if run.report.schema.is_none() {
        return not_run(NotRunReason::SchemaDoesNotLoad);
    }
    let invariants = run
        .invariant_files
        .iter()
        .map(|file| {
            read_invariant(file).map_err(|source| SetRunError::ReadInvariant {
                file: file.clone(),
                source,
            })
        })
        .collect::<Result<_, _>>()?;
    let known = run.cancel.is_some().then(|| run.cache.clone());
    let proof = prove_shard(
        CheckedSet {
            input: run.input,
            report: run.report,
            invariants,
            settings: &settings,
        },
        DeepOptions {
            solver: crate::solver_command(cvc5, run.timeout_ms),
            jobs: run.jobs,
            cache: run.cache,
            progress: run.progress,
            cancel: run.cancel,
        },
        run.shard,
    )
    .ok_or(SetRunError::SchemaDidNotLoad)?;
    Ok(SetRunOutcome::Ran(Box::new(report_of(proof, known))))
}

/// The actions `intentionally-denied` names, as Cedar writes them, once the set's schema
/// loads. An entry that names no action of it is an error at the entry's place in the
/// config — except, in one `[[set]]` of several, one whose namespace the schema has no action
/// in: that is another set's.
fn intentionally_denied(run: &SetRun<'_>) -> Result<Vec<String>, SetRunError> {
    let Some(schema) = run.report.schema.as_ref() else {
        return Ok(Vec::new());
    };
    let mut denied = Vec::new();
    for entry in run.intentionally_denied {
        match crate::schema_action(schema, entry.action) {
            Ok(action) => denied.push(action),
            Err(_)
                if run.one_of_several
                    && !crate::has_actions_in_namespace_of(schema, entry.action) => {}
            Err(message) => {
                return Err(SetRunError::IntentionallyDenied {
                    at: entry.at.to_string(),
                    message: message.to_string(),
                })
            }
        }
    }
    Ok(denied)
}

/// `known`: the cache the run started from, when it could be cancelled.
fn report_of(proof: SetProof, known: Option<Cache>) -> SetRunReport {
    let SetProof {
        deep,
        invariant_input,
        invariant_report,
        skipped,
    } = proof;
    let invariant_file_findings = invariant_report
        .findings
        .iter()
        .filter(|f| {
            INVARIANT_FILE_RULES.iter().any(|rule| rule.id == f.rule)
                && invariant_input.policies.iter().any(|p| p.path == f.file)
        })
        .cloned()
        .collect();
    let mut notes = Vec::new();
    if !deep.skipped_templates.is_empty() {
        notes.push(format!(
            "deep analysis skipped templates without links: {}",
            deep.skipped_templates.join(", ")
        ));
    }
    if !skipped.is_empty() {
        let one = skipped.len() == 1;
        notes.push(format!(
            "deep analysis skipped {} {} that {} not validate or can never apply: {}",
            skipped.len(),
            if one { "policy" } else { "policies" },
            if one { "does" } else { "do" },
            skipped
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let invariants = invariant_report
        .loaded
        .entries
        .iter()
        .filter(|e| !invariant_report.invalid_policies.contains(&e.id))
        .map(|e| {
            let file = &invariant_input.policies[e.file];
            CheckedInvariant {
                file: file.path.clone(),
                id: e.id.clone(),
                line: LineIndex::new(&file.text)
                    .position(&file.text, e.id_span.start)
                    .line,
            }
        })
        .collect();
    // A cancelled run's cache keeps only what it used, and it stopped early.
    let cache = match known {
        Some(mut known) if deep.cancelled => {
            known.merge(deep.cache);
            known
        }
        _ => deep.cache,
    };
    SetRunReport {
        findings: deep.findings,
        invariant_file_findings,
        notes,
        skipped_policies: skipped.into_iter().collect(),
        skipped_templates: deep.skipped_templates,
        invariants,
        invariant_sources: invariant_input.policies,
        stats: deep.stats,
        cache,
        cancelled: deep.cancelled,
        shard: deep.shard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "namespace Ops {\n  entity Operator;\n  entity Host;\n  action Reboot appliesTo { principal: [Operator], resource: [Host] };\n}\n";
    const POLICIES: &str = "permit (principal, action == Ops::Action::\"Reboot\", resource);\n";

    fn input(schema: Option<&str>) -> PolicySetInput {
        PolicySetInput {
            policies: vec![SourceFile::new("policies.cedar", POLICIES)],
            schema: schema.map(|text| SourceFile::new("ops.cedarschema", text)),
            links: Vec::new(),
        }
    }

    /// The outcome of a run over `input` with `cvc5` (never started: the run stops before).
    fn outcome(
        input: &PolicySetInput,
        cvc5: Option<&str>,
        denied: &[DeniedEntry<'_>],
        demanded: bool,
    ) -> Result<SetRunOutcome, SetRunError> {
        let settings = Settings::default();
        let report = cedarcheck_analyzer::check(input, &settings);
        let run = SetRun {
            input,
            report: &report,
            invariant_files: &[],
            settings: &settings,
            intentionally_denied: denied,
            one_of_several: false,
            timeout_ms: 1000,
            jobs: 1,
            demanded,
            cache: Cache::new(),
            progress: None,
            cancel: None,
            shard: None,
        };
        run_with(run, cvc5.map(PathBuf::from), |file| {
            panic!("{file} read, but the run cannot happen")
        })
    }

    fn not_run(outcome: Result<SetRunOutcome, SetRunError>) -> NotRun {
        match outcome {
            Ok(SetRunOutcome::NotRun(not_run)) => not_run,
            Ok(SetRunOutcome::Ran(_)) => panic!("it ran"),
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn without_a_solver_it_does_not_run_and_says_how_to_install_one() {
        let not = not_run(outcome(&input(Some(SCHEMA)), None, &[], false));
        assert_eq!(not.reason, NotRunReason::NoSolver);
        assert!(!not.is_error());
        assert_eq!(
            not.reason.to_string(),
            "cvc5 was not found (install it with `apt-get install cvc5` or `brew install cvc5`, \
             or set $CVC5 to a cvc5 binary)"
        );
        assert!(not_run(outcome(&input(Some(SCHEMA)), None, &[], true)).is_error());
    }

    #[test]
    fn without_a_schema_it_does_not_run() {
        let not = not_run(outcome(&input(None), Some("/no/cvc5"), &[], false));
        assert_eq!(not.reason, NotRunReason::NoSchema);
        assert_eq!(not.reason.to_string(), "it needs a schema");
        assert!(!not.is_error());
        assert!(not_run(outcome(&input(None), Some("/no/cvc5"), &[], true)).is_error());
    }

    /// The schema's own findings say why; demanding the run does not make it a second error.
    #[test]
    fn with_a_schema_that_does_not_load_it_does_not_run() {
        let broken = input(Some("namespace Ops { entity"));
        let not = not_run(outcome(&broken, Some("/no/cvc5"), &[], true));
        assert_eq!(not.reason, NotRunReason::SchemaDoesNotLoad);
        assert_eq!(not.reason.to_string(), "the schema does not load");
        assert!(!not.is_error());
    }

    /// A config error, whether or not cvc5 is here to use the entry.
    #[test]
    fn an_entry_naming_no_action_is_an_error_at_its_place_even_without_a_solver() {
        let denied = [DeniedEntry {
            action: "Ops::Action::\"Export\"",
            at: "cedarcheck.toml:6:3",
        }];
        let error = match outcome(&input(Some(SCHEMA)), None, &denied, false) {
            Err(error) => error,
            Ok(_) => panic!("no error"),
        };
        assert_eq!(
            error.to_string(),
            "cedarcheck.toml:6:3: `Ops::Action::\"Export\"` in [analysis] intentionally-denied \
             is not an action of the schema (its actions: Ops::Action::\"Reboot\")"
        );
        let known = [DeniedEntry {
            action: " Ops::Action::\"Reboot\" ",
            at: "cedarcheck.toml:6:3",
        }];
        let not = not_run(outcome(&input(Some(SCHEMA)), None, &known, false));
        assert_eq!(not.reason, NotRunReason::NoSolver);
    }
}
