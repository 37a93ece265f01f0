//! `cedarcheck mutants`: would the tests notice a weakened policy? Every mutant of a policy set
//! the tests run against ([`cedarcheck_analyzer::mutation`]) is checked like the set itself
//! (a mutant that does not parse or validate is *invalid*) and then tested with the same test
//! files as `cedarcheck test` runs; a mutant is *killed* when a test that passes on the set
//! fails on it, and *survives* otherwise. With cvc5, the solver then compares each survivor
//! with the set ([`kill`]): an *equivalent* mutant decides every request as the set does and
//! no test can kill it; for the others it writes the test that would. The score is killed /
//! (mutants − invalid − equivalent).
//!
//! The tests must pass before any mutation, as cargo-mutants demands of a crate's tests: a
//! failing test would kill every mutant and prove nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use cedar_policy::PolicyId;
use cedarcheck_analyzer::mutation::{self, Mutation};
use cedarcheck_analyzer::{
    LineIndex, PolicyEntry, PolicyKind, PolicySetInput, Report, Settings, SourceFile,
};
use cedarcheck_prover::SolverCommand;
use cedarcheck_test_runner::error::{RunError, SetsError};
use cedarcheck_test_runner::runner::parallel_map;
use cedarcheck_test_runner::runner::IntegrationSet;
use cedarcheck_test_runner::set_under_test::SetUnderTest;
use cedarcheck_test_runner::test_file::SourceFormat;
use cedarcheck_test_runner::{loader, Disk, Options, PolicySets, Session, SetSource, TestInput};
use regex::Regex;

pub mod kill;
pub mod suggest;
pub mod write;

/// Why mutation testing cannot start.
#[derive(Debug, thiserror::Error)]
pub enum MutantsError {
    #[error(transparent)]
    Run(#[from] RunError),
    /// The tests fail on the set as it is.
    #[error(
        "the tests fail before any mutation ({failed} failing, {file_errors} file error(s)): \
         make `cedarcheck test` pass first; {}",
        .first.join("; ")
    )]
    TestsFail {
        failed: usize,
        file_errors: usize,
        /// The first failures, as `file: test` or a file's error.
        first: Vec<String>,
    },
    #[error("no tests ran against a policy set, so there is nothing to mutate")]
    NoTests,
    /// No mutant at all: a score over nothing would pass any `--min-score`.
    #[error(
        "nothing to mutate: {}",
        if *.filtered {
            "no policy written in Cedar that the tests run against matches --filter"
        } else {
            "the tests run against no policy written in Cedar (policies from JSON files are \
             not mutated)"
        }
    )]
    NothingToMutate { filtered: bool },
}

/// What became of one mutant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A test that passes on the set fails on the mutant: (the test file, the test's name).
    Killed { file: String, test: String },
    /// Every test still passes.
    Survived,
    /// Every test still passes, and the solver proves that the mutant decides every request
    /// as the set does: no test can kill it.
    Equivalent,
    /// The mutant does not parse or validate: the error, as `check` words it.
    Invalid { why: String },
}

impl Status {
    pub fn word(&self) -> &'static str {
        match self {
            Status::Killed { .. } => "killed",
            Status::Survived => "survived",
            Status::Equivalent => "equivalent",
            Status::Invalid { .. } => "invalid",
        }
    }
}

/// One mutant and its fate.
#[derive(Clone, Debug)]
pub struct Mutant {
    /// The policy set's label, as `cedarcheck test` shows it.
    pub set: String,
    /// The mutated file, as reports show it (relative to the working directory when below it).
    pub file: String,
    /// 1-based line and column of the mutated text.
    pub line: usize,
    pub column: usize,
    pub mutation: Mutation,
    /// The mutation as a one-line diff: `context.mfa → true`.
    pub diff: String,
    /// `permit`, `forbid` or `template`.
    pub kind: &'static str,
    pub status: Status,
    /// A survivor's killing test: a native test entry with the set's decision and reasons,
    /// verified to pass on the set and fail on the mutant.
    pub test: Option<serde_json::Value>,
    /// Why a survivor has no such test (no solver, the solver could not decide, …).
    pub note: Option<String>,
    /// The policy set, as the [`PolicySets`] the run was given numbers it; `None` for the
    /// policies an integration test file names.
    pub set_index: Option<usize>,
}

#[derive(Debug, Default)]
pub struct MutantsReport {
    pub mutants: Vec<Mutant>,
    /// Tests evaluated for the mutants (each test once per mutant it was run against).
    pub test_runs: usize,
    /// Tests in the run: the naive cost is this times the valid mutants.
    pub tests: usize,
    /// Survivors the solver was asked about.
    pub solved: usize,
}

impl MutantsReport {
    pub fn count(&self, word: &str) -> usize {
        self.mutants
            .iter()
            .filter(|m| m.status.word() == word)
            .count()
    }

    /// Killed / (mutants − invalid − equivalent), in percent; 100 when none is left.
    pub fn score(&self) -> f64 {
        let valid = self.mutants.len() - self.count("invalid") - self.count("equivalent");
        if valid == 0 {
            100.0
        } else {
            self.count("killed") as f64 * 100.0 / valid as f64
        }
    }
}

pub struct MutantsOptions<'a> {
    pub tests: &'a Options,
    /// Only the policies whose id matches.
    pub policies: Option<&'a Regex>,
    /// cvc5, to decide which survivors are equivalent and write the tests that kill the
    /// others; `None` leaves survivors as they are, with `no_solver` as their note.
    pub solver: Option<&'a SolverCommand>,
    pub no_solver: &'a str,
    /// Called with (mutants tested, mutants found so far) as the tests run on each mutant.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// Runs the tests once as they are, then, for every mutant of every policy set they ran
/// against, the tests whose decision the mutant can change: those whose request the mutated
/// policy applies to (is satisfied by, or errors on) before or after the mutation.
pub fn run(
    inputs: &[TestInput],
    sets: &dyn PolicySets,
    options: &MutantsOptions<'_>,
) -> Result<MutantsReport, MutantsError> {
    let read = Recorder {
        inner: sets,
        read: Mutex::new(BTreeMap::new()),
    };
    let session = Session::prepare(inputs, &read, options.tests, &Disk)?;
    let baseline = session.decide_all();
    let failing: Vec<String> = baseline
        .iter()
        .filter(|(_, r)| !r.passed())
        .map(|(id, _)| {
            let (file, name) = session.test_name(*id);
            format!("{file}: {name} fails")
        })
        .collect();
    if !failing.is_empty() || session.file_errors() > 0 {
        const SHOWN: usize = 3;
        // Why the sets cannot be tested (a parse error) first: it is why their tests fail.
        let mut first: Vec<String> = session.set_error_messages();
        first.extend(session.file_error_messages());
        first.extend(failing.iter().cloned());
        if first.len() > SHOWN {
            let more = first.len() - SHOWN;
            first.truncate(SHOWN);
            first.push(format!("and {more} more"));
        }
        return Err(MutantsError::TestsFail {
            failed: failing.len(),
            file_errors: session.file_errors(),
            first,
        });
    }
    if baseline.is_empty() {
        return Err(MutantsError::NoTests);
    }
    let read = read.read.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut report = MutantsReport {
        tests: baseline.len(),
        ..MutantsReport::default()
    };
    let cwd = &options.tests.cwd;
    let tested = std::sync::atomic::AtomicUsize::new(0);
    let mut found = 0;
    let mut subjects: Vec<Subject> = read
        .into_iter()
        .filter_map(|(set, source)| {
            Some(Subject {
                slot: session.slot_of(set)?,
                set_index: Some(set),
                source,
                integration: None,
            })
        })
        .collect();
    subjects.extend(
        session
            .integration_sets()
            .into_iter()
            .filter_map(|(slot, set)| integration_subject(&session, slot, &set, cwd)),
    );
    for subject in &subjects {
        let (slot, source) = (subject.slot, &subject.source);
        let tests = session.tests_of(slot);
        let checked = cedarcheck_analyzer::check(&source.input, &Settings::default());
        let mutations: Vec<Mutation> = mutation::mutations(&source.input, &checked)
            .into_iter()
            .filter(|m| options.policies.is_none_or(|r| r.is_match(&m.policy)))
            .collect();
        let display = |relative: &str| display(&source.root, cwd, relative);
        found += mutations.len();
        let original = session.set(slot);
        let test_mutant = |m: &Mutation| {
            let mutated = if let Some(files) = &subject.integration {
                match integration_mutant(original, files, source, m) {
                    Ok(set) => set,
                    Err(why) => return (Status::Invalid { why }, 0),
                }
            } else {
                match quick_mutant(original, &checked, source, m) {
                    Some(Ok(set)) => set,
                    Some(Err(why)) => return (Status::Invalid { why }, 0),
                    None => {
                        let input = mutant_input(&source.input, m);
                        SetUnderTest::from_input(source.label.clone(), &input, &display)
                    }
                }
            };
            if let Some(error) = mutated.errors.first() {
                return (
                    Status::Invalid {
                        why: error.message.clone(),
                    },
                    0,
                );
            }
            let changed = if subject.integration.is_some() {
                changed_policies(original, &mutated)
            } else {
                changed_ids(&checked, &m.policy)
            };
            let decided = session.decide(&tests, slot, &mutated, &changed);
            let runs = decided.iter().flatten().count();
            for (&test, after) in tests.iter().zip(&decided) {
                if let Some(after) = after {
                    if !after.passed() {
                        let (file, name) = session.test_name(test);
                        return (
                            Status::Killed {
                                file: file.to_string(),
                                test: name.to_string(),
                            },
                            runs,
                        );
                    }
                }
            }
            (Status::Survived, runs)
        };
        let outcomes = parallel_map(&mutations, options.tests.jobs.max(1), |m| {
            let outcome = test_mutant(m);
            let done = tested.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if let Some(progress) = options.progress {
                progress(done, found);
            }
            outcome
        });
        let kinds: BTreeMap<&str, &'static str> = checked
            .loaded
            .entries
            .iter()
            .map(|e| (e.id.as_str(), kind_of(&checked, e)))
            .collect();
        let verdicts = solve(
            &source.input,
            &checked,
            (&source.label, subject.integration.is_some()),
            &display,
            &mutations,
            &outcomes,
            options,
        );
        // Without a schema nothing was asked of the solver.
        if checked.schema.is_some() {
            report.solved += verdicts.iter().flatten().count();
        }
        for ((m, (status, runs)), verdict) in mutations.into_iter().zip(outcomes).zip(verdicts) {
            report.test_runs += runs;
            let (status, test, note) = match (status, verdict) {
                (Status::Survived, Some(kill::Verdict::Equivalent)) => {
                    (Status::Equivalent, None, None)
                }
                (Status::Survived, Some(kill::Verdict::Killable(_)))
                    if subject.integration.is_some() =>
                {
                    (
                        Status::Survived,
                        None,
                        Some(INTEGRATION_TESTS_UNWRITTEN.to_string()),
                    )
                }
                (Status::Survived, Some(kill::Verdict::Killable(entry))) => {
                    (Status::Survived, Some(entry), None)
                }
                (Status::Survived, Some(kill::Verdict::Undecided(why))) => {
                    (Status::Survived, None, Some(why))
                }
                (Status::Survived, None) => {
                    (Status::Survived, None, Some(options.no_solver.to_string()))
                }
                (status, _) => (status, None, None),
            };
            let file = &source.input.policies[m.file];
            let place = m.place(&file.text);
            let at = LineIndex::new(&file.text).position(&file.text, place.start);
            report.mutants.push(Mutant {
                set: source.label.clone(),
                file: display(&file.path),
                line: at.line,
                column: at.column,
                diff: m.describe(&file.text),
                kind: kinds.get(m.policy.as_str()).copied().unwrap_or("policy"),
                mutation: m,
                status,
                test,
                note,
                set_index: subject.set_index,
            });
        }
    }
    if report.mutants.is_empty() {
        return Err(MutantsError::NothingToMutate {
            filtered: options.policies.is_some(),
        });
    }
    Ok(report)
}

/// The solver's verdict on every survivor of one set (`None` for the others, and for all of
/// them without a solver), in parallel across survivors.
/// `(label, exact_reasons)`: the set's label, and whether its tests list exact reasons (an
/// integration file's).
fn solve(
    input: &cedarcheck_analyzer::PolicySetInput,
    checked: &Report,
    (label, exact_reasons): (&str, bool),
    display: &(dyn Fn(&str) -> String + Sync),
    mutations: &[Mutation],
    outcomes: &[(Status, usize)],
    options: &MutantsOptions<'_>,
) -> Vec<Option<kill::Verdict>> {
    let mut verdicts = vec![None; mutations.len()];
    let Some(solver) = options.solver else {
        return verdicts;
    };
    let survivors: Vec<usize> = (0..mutations.len())
        .filter(|&i| outcomes[i].0 == Status::Survived)
        .collect();
    if survivors.is_empty() {
        return verdicts;
    }
    let jobs = options.tests.jobs.max(1);
    // Threads across survivors; what is left over goes to each comparison's environments.
    let outer = jobs.min(survivors.len());
    let inner = (jobs / outer).max(1);
    let original_set = SetUnderTest::from_input(label.to_string(), input, display);
    let original = kill::Original {
        input,
        report: checked,
        set: &original_set,
    };
    let solved = parallel_map(&survivors, outer, |&i| {
        let m = &mutations[i];
        let mutated = mutant_input(input, m);
        let set = SetUnderTest::from_input(label.to_string(), &mutated, display);
        kill::decide(
            &original,
            exact_reasons,
            &mutated,
            &set,
            &m.policy,
            solver,
            inner,
        )
    });
    for (i, verdict) in survivors.into_iter().zip(solved) {
        verdicts[i] = Some(verdict);
    }
    verdicts
}

/// The set's input with the mutation applied. A mutation that takes a slot out of a template
/// (`principal == ?principal` → `principal`) takes that slot's entity out of the template's
/// links too, as someone widening the template would: no link could be made otherwise.
fn mutant_input(input: &PolicySetInput, m: &Mutation) -> PolicySetInput {
    let mut mutated = input.clone();
    let file = &mut mutated.policies[m.file];
    let before = file.text.get(m.span.start..m.span.end).unwrap_or("");
    let gone: Vec<&str> = ["?principal", "?resource"]
        .into_iter()
        .filter(|slot| before.contains(slot) && !m.replacement.contains(slot))
        .collect();
    file.text = m.apply(&file.text).into();
    if !gone.is_empty() {
        for links in &mut mutated.links {
            if let Some(text) = without_slots(&links.text, &m.policy, &gone) {
                links.text = text.into();
            }
        }
    }
    mutated
}

/// A links file's text with `slots` taken out of the arguments of `template`'s links; `None`
/// when nothing changes (or the file is not a links array, which loading reports anyway).
fn without_slots(text: &str, template: &str, slots: &[&str]) -> Option<String> {
    let mut links: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut changed = false;
    for link in links.as_array_mut()? {
        if link.get("template_id").and_then(|t| t.as_str()) != Some(template) {
            continue;
        }
        if let Some(args) = link.get_mut("args").and_then(|a| a.as_object_mut()) {
            for slot in slots {
                changed |= args.remove(*slot).is_some();
            }
        }
    }
    changed.then(|| serde_json::to_string_pretty(&links).unwrap_or_default())
}

/// The mutant's set made from the set under test by parsing only the mutated policy, when that
/// is all that changes (see [`SetUnderTest::with_policy`]): loading a large set whole for each
/// of its mutants costs the square of its size. `None`: load the mutated set whole.
fn quick_mutant(
    original: &SetUnderTest,
    checked: &Report,
    source: &SetSource,
    m: &Mutation,
) -> Option<Result<SetUnderTest, String>> {
    let entries = &checked.loaded.entries;
    if entries.iter().any(|e| e.kind != PolicyKind::Static) {
        return None;
    }
    let entry = entries
        .iter()
        .find(|e| e.id == m.policy && e.file == m.file)?;
    let text = &source.input.policies[m.file].text;
    let grown = m.replacement.len() as isize - (m.span.end - m.span.start) as isize;
    let end = usize::try_from(entry.span.end as isize + grown).ok()?;
    let mutated = m.apply(text);
    let policy = cedar_policy::Policy::parse(
        Some(entry.internal_id.clone()),
        mutated.get(entry.span.start..end)?,
    )
    .ok()?;
    original.with_policy(policy)
}

/// A killable survivor of an integration file's policies: the solver's test would be a native
/// entry for the workspace's sets, whose policy ids the integration file does not use.
const INTEGRATION_TESTS_UNWRITTEN: &str = "the solver found a request that kills it, but tests \
     are written only for the workspace's policy sets, not for an integration test file's";

/// A policy set to mutate, and the slot of the session's tests that run against it.
struct Subject {
    slot: usize,
    /// Its index among the run's [`PolicySets`]; `None` for an integration file's set.
    set_index: Option<usize>,
    source: SetSource,
    /// For an integration file's set: its schema, to build each mutant as `test` loads it.
    integration: Option<IntegrationFiles>,
}

struct IntegrationFiles {
    schema: (String, String, SourceFormat),
}

/// An integration file's set as the analyzer reads it (to find its mutations), with its files
/// named as reports show them. `None` when a file cannot be read again.
fn integration_subject(
    session: &Session,
    slot: usize,
    set: &IntegrationSet,
    cwd: &Path,
) -> Option<Subject> {
    let policies = std::fs::read_to_string(&set.policies).ok()?;
    let schema = std::fs::read_to_string(&set.schema).ok()?;
    let policies_path = loader::display(&set.policies, cwd);
    let schema_path = loader::display(&set.schema, cwd);
    let input = PolicySetInput {
        policies: vec![SourceFile::new(&policies_path, policies.as_str())],
        schema: Some(SourceFile::new(&schema_path, schema.as_str())),
        links: Vec::new(),
    };
    Some(Subject {
        slot,
        set_index: None,
        source: SetSource {
            label: session.set(slot).label.clone(),
            root: cwd.to_path_buf(),
            input,
        },
        integration: Some(IntegrationFiles {
            schema: (schema_path, schema, set.schema_format),
        }),
    })
}

/// The mutant of an integration file's set, loaded as `test` loads that set (Cedar's own
/// policy ids). A mutant that stops the set from validating when it did is invalid.
fn integration_mutant(
    original: &SetUnderTest,
    files: &IntegrationFiles,
    source: &SetSource,
    m: &Mutation,
) -> Result<SetUnderTest, String> {
    let file = &source.input.policies[m.file];
    let mutated = m.apply(&file.text);
    let (schema_path, schema, format) = &files.schema;
    let set = SetUnderTest::from_integration(
        original.label.clone(),
        (&file.path, &mutated, SourceFormat::Cedar),
        (schema_path, schema, *format),
    );
    if original.validates && !set.validates {
        if let Some(error) = set.validation_errors.first() {
            return Err(error.clone());
        }
    }
    Ok(set)
}

/// The policies whose text differs between two loadings of a set (Cedar's positional ids
/// are the same in both).
fn changed_policies(original: &SetUnderTest, mutated: &SetUnderTest) -> Vec<PolicyId> {
    mutated
        .policies
        .policies()
        .filter(|p| {
            original
                .policies
                .policy(p.id())
                .is_none_or(|o| o.to_string() != p.to_string())
        })
        .map(|p| p.id().clone())
        .collect()
}

/// The ids inside the set of the policies a mutation of `policy` changes: the policy, or a
/// template's links.
fn changed_ids(checked: &Report, policy: &str) -> Vec<PolicyId> {
    let entries = &checked.loaded.entries;
    let Some(at) = entries.iter().position(|e| e.id == policy) else {
        return Vec::new();
    };
    if entries[at].kind != PolicyKind::Template {
        return vec![entries[at].internal_id.clone()];
    }
    entries
        .iter()
        .filter(|e| e.kind == PolicyKind::Link && e.template == Some(at))
        .map(|e| e.internal_id.clone())
        .collect()
}

fn kind_of(report: &Report, entry: &PolicyEntry) -> &'static str {
    match entry.kind {
        PolicyKind::Template => "template",
        PolicyKind::Link => "link",
        PolicyKind::Static => match report.loaded.set.policy(&entry.internal_id) {
            Some(p) if p.effect() == cedar_policy::Effect::Forbid => "forbid",
            _ => "permit",
        },
    }
}

fn display(root: &Path, cwd: &Path, path: &str) -> String {
    let full = root.join(path);
    full.strip_prefix(cwd)
        .map_or_else(|_| full.display().to_string(), |p| p.display().to_string())
}

/// The caller's sets, remembering every set a run read.
struct Recorder<'a> {
    inner: &'a dyn PolicySets,
    read: Mutex<BTreeMap<usize, SetSource>>,
}

impl PolicySets for Recorder<'_> {
    fn set_for(&self, test_file: &Path) -> Result<usize, SetsError> {
        self.inner.set_for(test_file)
    }

    fn read(&self, set: usize) -> Result<SetSource, SetsError> {
        let source = self.inner.read(set)?;
        let copy = SetSource {
            label: source.label.clone(),
            root: source.root.clone(),
            input: source.input.clone(),
        };
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(set, copy);
        Ok(source)
    }
}
