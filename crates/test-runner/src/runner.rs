//! A test run: read and parse the test files, load every policy set, schema and entities file
//! they need once, run the tests in parallel, and gather coverage.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use cedar_policy::{Authorizer, Entities, EntityUid, PolicySet};
use cedarcheck_analyzer::{LineIndex, PolicySetInput};
use regex::Regex;

use crate::error::{EntitiesError, EntitiesJsonError, PathError, RunError, SetsError};
use crate::evaluate::{
    add_inline_entities, authorize, build_request, compare, parse_entities, parse_entities_file,
    reason_diff,
};
use crate::explain::explain;
use crate::loader;
use crate::located::{find_bare_mention, find_mention, Located};
use crate::report::{FileReport, RequestView, RunReport, SetReport, TestReport};
use crate::set_under_test::SetUnderTest;
use crate::test_file::{self, EntitiesChoice, EntitiesSource, Parsed, TestFile};

/// A test file to run. `explicit`: named on the command line, so it must be a test file;
/// files found in a directory that are other JSON are skipped.
#[derive(Clone, Debug)]
pub struct TestInput {
    pub path: PathBuf,
    pub explicit: bool,
}

pub struct Options {
    /// Worker threads; 0 = all cores.
    pub jobs: usize,
    /// Run only the tests whose name matches.
    pub filter: Option<Regex>,
    /// Paths in reports are relative to it; integration paths are tried against it first.
    pub cwd: PathBuf,
}

/// A policy set of the workspace, as read from disk.
pub struct SetSource {
    pub label: String,
    /// The directory its files' paths are relative to.
    pub root: PathBuf,
    pub input: PolicySetInput,
}

/// Where `run-tests` and native test files find their policy set: the workspace's business.
pub trait PolicySets: Sync {
    /// The set that runs the test file at `test_file` (absolute). An error is a tool error.
    fn set_for(&self, test_file: &Path) -> Result<usize, SetsError>;
    /// Reads the set. An error is a tool error.
    fn read(&self, set: usize) -> Result<SetSource, SetsError>;
}

/// Where a run reads the test files, the entities files they name and the policies and
/// schemas of integration files: the disk, or an editor's unsaved buffers in front of it.
pub trait Files: Sync {
    /// A file's text, as [`loader::read_text`] reads it: `Err(offset)` inside when its bytes
    /// stop being UTF-8 at `offset`.
    fn read_text(&self, path: &Path) -> std::io::Result<Result<String, (usize, String)>>;
}

/// The files on disk: what `cedarcheck test` reads.
pub struct Disk;

impl Files for Disk {
    fn read_text(&self, path: &Path) -> std::io::Result<Result<String, (usize, String)>> {
        loader::read_text(path)
    }
}

/// Runs the tests. `Err` is a tool error (exit 2): an unreadable file, a workspace problem.
pub fn run(
    inputs: &[TestInput],
    sets: &dyn PolicySets,
    options: &Options,
) -> Result<RunReport, RunError> {
    run_with_files(inputs, sets, options, &Disk)
}

/// [`run`], reading files through `sources` (the language server passes the editor's buffers;
/// paths are still resolved against the disk, so every file named must exist there).
///
/// The phases: load the test files, bind each to its policy set and prepare the sets, load the
/// entities they name, validate integration files against `shouldValidate`, evaluate the
/// selected tests in parallel, and gather the reports and coverage.
pub fn run_with_files(
    inputs: &[TestInput],
    sets: &dyn PolicySets,
    options: &Options,
    sources: &dyn Files,
) -> Result<RunReport, RunError> {
    Ok(Session::prepare(inputs, sets, options, sources)?.report())
}

/// A run prepared once: the test files loaded and bound to their policy sets, the sets, the
/// entities and the selected tests. [`Session::report`] decides every test, as
/// [`run_with_files`] does; [`Session::decide`] decides some of them again against a changed
/// version of one set (what `cedarcheck mutants` does for each mutant).
pub struct Session {
    loaded: Vec<LoadedFile>,
    binding: Binding,
    prepared: Vec<SetUnderTest>,
    entities: LoadedEntities,
    selected: Vec<(usize, usize)>,
    skipped: Vec<(String, &'static str)>,
    line_indexes: Vec<LineIndex>,
    jobs: usize,
    /// Requests built for [`Session::decide`], by test.
    built: Mutex<HashMap<TestId, Option<Arc<BuiltCase>>>>,
    /// For [`Session::decide`]: by slot and changed policies, whether they applied to each
    /// test's request before the change.
    applied_before: Mutex<HashMap<(usize, Vec<cedar_policy::PolicyId>), Applied>>,
}

/// By test: whether changed policies applied to its request.
type Applied = Arc<HashMap<TestId, bool>>;

/// A test's request, and its entities when they are its own.
struct BuiltCase {
    request: cedar_policy::Request,
    own: Option<Entities>,
}

/// A test of a [`Session`]: its loaded file and its index there.
pub type TestId = (usize, usize);

impl Session {
    /// The phases before deciding: load the test files, bind each to its policy set and
    /// prepare the sets, load the entities they name, validate integration files against
    /// `shouldValidate`, and select the tests.
    pub fn prepare(
        inputs: &[TestInput],
        sets: &dyn PolicySets,
        options: &Options,
        sources: &dyn Files,
    ) -> Result<Self, RunError> {
        let jobs = if options.jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            options.jobs
        };
        let cwd = &options.cwd;
        let mut skipped = Vec::new();
        let mut loaded = load_test_files(inputs, jobs, cwd, sources, &mut skipped)?;
        let binding = bind_policy_sets(&mut loaded, sets, cwd)?;
        let prepared: Vec<SetUnderTest> = parallel_map(&binding.slots, jobs, |slot| {
            prepare_set(slot, sets, cwd, sources)
        })
        .into_iter()
        .collect::<Result<_, RunError>>()?;
        let entities = load_entities(&loaded, &binding, &prepared, jobs, cwd, sources);
        validate_integration_files(&mut loaded, &binding.bindings, &prepared);
        let selected = select_tests(&loaded, options.filter.as_ref());
        let line_indexes = loaded.iter().map(|f| LineIndex::new(&f.text)).collect();
        Ok(Self {
            loaded,
            binding,
            prepared,
            entities,
            selected,
            skipped,
            line_indexes,
            jobs,
            built: Mutex::default(),
            applied_before: Mutex::default(),
        })
    }

    /// Decides every selected test and gathers the reports and coverage.
    pub fn report(self) -> RunReport {
        let results = self.evaluate(&self.selected, None, self.jobs);
        let mut report = RunReport {
            skipped: self.skipped,
            ..RunReport::default()
        };
        gather_reports(
            &mut report,
            self.loaded,
            &self.binding,
            self.prepared,
            &self.selected,
            results,
        );
        report
    }

    /// Decides every selected test, as [`Session::report`] does, keeping the session.
    pub fn decide_all(&self) -> Vec<(TestId, TestReport)> {
        let results = self.evaluate(&self.selected, None, self.jobs);
        self.selected.iter().copied().zip(results).collect()
    }

    /// Problems of the test files themselves (each fails a run).
    pub fn file_errors(&self) -> usize {
        self.loaded.iter().map(|f| f.errors.len()).sum()
    }

    /// Those problems, as reports word them (`file:line:col: message`).
    pub fn file_error_messages(&self) -> Vec<String> {
        self.loaded
            .iter()
            .flat_map(|f| f.errors.iter().map(ToString::to_string))
            .collect()
    }

    /// Why sets cannot be tested (parse and validation errors), as reports word them, each
    /// once.
    pub fn set_error_messages(&self) -> Vec<String> {
        let mut messages: Vec<String> = Vec::new();
        for error in self.prepared.iter().flat_map(|set| &set.errors) {
            let message = error.to_string();
            if !messages.contains(&message) {
                messages.push(message);
            }
        }
        messages
    }

    /// The slot of the workspace's policy set `set` (a [`PolicySets`] index), when some test
    /// runs against it.
    pub fn slot_of(&self, set: usize) -> Option<usize> {
        self.binding
            .slots
            .iter()
            .position(|slot| matches!(slot, SetSlot::Config(s) if *s == set))
    }

    /// The sets integration test files name themselves whose policies are written in Cedar
    /// (`cedarcheck mutants` mutates them too), with their slots.
    pub fn integration_sets(&self) -> Vec<(usize, IntegrationSet)> {
        self.binding
            .slots
            .iter()
            .enumerate()
            .filter_map(|(slot, set)| match set {
                SetSlot::Integration(key)
                    if key.policy_format == test_file::SourceFormat::Cedar =>
                {
                    Some((
                        slot,
                        IntegrationSet {
                            policies: key.policies.clone(),
                            schema: key.schema.clone(),
                            schema_format: key.schema_format,
                        },
                    ))
                }
                _ => None,
            })
            .collect()
    }

    /// The set the tests of `slot` run against.
    pub fn set(&self, slot: usize) -> &SetUnderTest {
        &self.prepared[slot]
    }

    /// The selected tests that run against `slot`, in file order.
    pub fn tests_of(&self, slot: usize) -> Vec<TestId> {
        self.selected
            .iter()
            .copied()
            .filter(|&(index, _)| self.binding.bindings[index] == Some(slot))
            .collect()
    }

    /// Where a test is, as reports show it: its file and its name.
    pub fn test_name(&self, (index, test): TestId) -> (&str, &str) {
        let file = &self.loaded[index];
        let name = match &file.parsed {
            Parsed::Tests(tests) => tests.tests.get(test).map_or("", |case| case.name.as_str()),
            _ => "",
        };
        (&file.display, name)
    }

    /// Decides `tests` on one thread with `slot`'s set replaced by `set`; `None` for a test
    /// whose decision `set` cannot change because none of the policies `changed` (ids inside
    /// the sets) applies to its request, neither in the prepared set nor in `set`: the
    /// policies the two sets share decide it alike.
    pub fn decide(
        &self,
        tests: &[TestId],
        slot: usize,
        set: &SetUnderTest,
        changed: &[cedar_policy::PolicyId],
    ) -> Vec<Option<TestReport>> {
        let context = self.context(Some((slot, set)));
        // Each changed policy alone, before and after: what `applies` evaluates.
        // A template link stands alone as the static policy it denotes (its template with
        // the link's entities in the slots); a set of a link without its template is refused.
        let alone = |within: &SetUnderTest| -> Vec<PolicySet> {
            changed
                .iter()
                .filter_map(|id| within.policies.policy(id))
                .filter_map(|policy| {
                    let policy = if policy.is_static() {
                        policy.clone()
                    } else {
                        let json = policy.to_json().ok()?;
                        cedar_policy::Policy::from_json(Some(policy.id().clone()), json).ok()?
                    };
                    PolicySet::from_policies([policy]).ok()
                })
                .collect()
        };
        let (before, after) = (alone(&self.prepared[slot]), alone(set));
        // Before the change is the same for every mutant of the same policies: asked once.
        let known = self
            .applied_before
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(slot, changed.to_vec()))
            .cloned();
        let applied: Applied = known.unwrap_or_else(|| {
            let applied: HashMap<TestId, bool> = tests
                .iter()
                .map(|&id| {
                    let case = self.built_case(&context, id, slot);
                    (id, context.applies(id, slot, case.as_deref(), &before))
                })
                .collect();
            let applied = Arc::new(applied);
            self.applied_before
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((slot, changed.to_vec()), applied.clone());
            applied
        });
        tests
            .iter()
            .map(|&id| {
                let applies = applied.get(&id).copied().unwrap_or(true) || {
                    let case = self.built_case(&context, id, slot);
                    context.applies(id, slot, case.as_deref(), &after)
                };
                applies.then(|| context.run_test(id.0, id.1))
            })
            .collect()
    }

    /// The test's request (and own entities), built once for every mutant: a changed set
    /// keeps its schema, so they stay what they were.
    fn built_case(
        &self,
        context: &RunContext<'_>,
        id: TestId,
        slot: usize,
    ) -> Option<Arc<BuiltCase>> {
        if let Some(known) = self
            .built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return known.clone();
        }
        let case = context.build_case(id.0, id.1, slot);
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, case.clone());
        case
    }

    fn context<'a>(&'a self, replaced: Option<(usize, &'a SetUnderTest)>) -> RunContext<'a> {
        RunContext {
            loaded: &self.loaded,
            bindings: &self.binding.bindings,
            prepared: &self.prepared,
            replaced,
            resolved_paths: &self.entities.resolved_paths,
            entity_files: &self.entities.entity_files,
            integration_entities: &self.binding.integration_entities,
            shared_inline: &self.entities.shared_inline,
            no_entities: &self.entities.no_entities,
            line_indexes: &self.line_indexes,
            slices: Mutex::new(HashMap::new()),
        }
    }

    /// 4. Evaluate: `tests` in parallel; their reports in the order of `tests`.
    fn evaluate(
        &self,
        tests: &[TestId],
        replaced: Option<(usize, &SetUnderTest)>,
        jobs: usize,
    ) -> Vec<TestReport> {
        let context = self.context(replaced);
        parallel_map(tests, jobs, |&(index, test)| context.run_test(index, test))
    }
}

/// 1. Load: read and parse every file. Files found in a directory that are other JSON go to
///    `skipped`; a file named on the command line that is no test file is an error of its own.
fn load_test_files(
    inputs: &[TestInput],
    jobs: usize,
    cwd: &Path,
    sources: &dyn Files,
    skipped: &mut Vec<(String, &'static str)>,
) -> Result<Vec<LoadedFile>, RunError> {
    let files = parallel_map(inputs, jobs, |input| read_test_file(input, cwd, sources))
        .into_iter()
        .collect::<Result<Vec<_>, RunError>>()?;
    let mut loaded: Vec<LoadedFile> = Vec::new();
    for (input, file) in inputs.iter().zip(files) {
        match file.parsed {
            Parsed::NotATest(what) if !input.explicit => skipped.push((file.display, what)),
            parsed => loaded.push(LoadedFile {
                path: input.path.clone(),
                display: file.display,
                text: file.text,
                parsed,
                errors: Vec::new(),
            }),
        }
    }
    for file in &mut loaded {
        if let Parsed::NotATest(what) = file.parsed {
            file.errors.push(Located::at(
                &file.display,
                &file.text,
                0,
                format!(
                    "not a test file: this is {what}; a test file is a `cedar run-tests` array, \
                     a Cedar integration test or a native `{{\"tests\": […]}}` file"
                ),
            ));
        }
        if let Parsed::Error(error) = &file.parsed {
            file.errors.push(error.clone());
        }
    }
    Ok(loaded)
}

/// Which policy set runs each loaded file.
struct Binding {
    /// The sets to prepare: the workspace's, and those integration files name.
    slots: Vec<SetSlot>,
    /// By loaded file: its set's slot, if it has tests and its set could be found.
    bindings: Vec<Option<usize>>,
    /// By loaded file: an integration file's entities file, resolved.
    integration_entities: Vec<Option<PathBuf>>,
}

/// 2. Bind: the policy sets, the workspace's and those integration files name, each once.
fn bind_policy_sets(
    loaded: &mut [LoadedFile],
    sets: &dyn PolicySets,
    cwd: &Path,
) -> Result<Binding, RunError> {
    let mut slots: Vec<SetSlot> = Vec::new();
    let mut config_slots: HashMap<usize, usize> = HashMap::new();
    let mut integration_slots: HashMap<IntegrationKey, usize> = HashMap::new();
    let mut bindings: Vec<Option<usize>> = Vec::with_capacity(loaded.len());
    let mut integration_entities: Vec<Option<PathBuf>> = vec![None; loaded.len()];
    for (index, file) in loaded.iter_mut().enumerate() {
        let Parsed::Tests(tests) = &file.parsed else {
            bindings.push(None);
            continue;
        };
        let slot = match &tests.integration {
            None => {
                let set = sets.set_for(&file.path)?;
                *config_slots.entry(set).or_insert_with(|| {
                    slots.push(SetSlot::Config(set));
                    slots.len() - 1
                })
            }
            Some(header) => {
                let mut resolve = |key: &str, written: &str| {
                    loader::resolve_repo_relative(&file.path, written, cwd).map_err(|error| {
                        let at = file.text.find(&format!("\"{key}\"")).unwrap_or(0);
                        file.errors.push(Located::at(
                            &file.display,
                            &file.text,
                            at,
                            error.to_string(),
                        ));
                    })
                };
                let policies = resolve("policies", &header.policies);
                let schema = resolve("schema", &header.schema);
                integration_entities[index] = resolve("entities", &header.entities).ok();
                let (Ok(policies), Ok(schema)) = (policies, schema) else {
                    bindings.push(None);
                    continue;
                };
                let key = IntegrationKey {
                    policies,
                    policy_format: header.policy_format,
                    schema,
                    schema_format: header.schema_format,
                };
                *integration_slots.entry(key.clone()).or_insert_with(|| {
                    slots.push(SetSlot::Integration(key));
                    slots.len() - 1
                })
            }
        };
        bindings.push(Some(slot));
    }
    Ok(Binding {
        slots,
        bindings,
        integration_entities,
    })
}

/// The entities the tests run against, each parsed once.
struct LoadedEntities {
    /// Entities paths as written in a file (by loaded file), resolved.
    resolved_paths: HashMap<(usize, String), Result<PathBuf, PathError>>,
    /// Entities files, by path and the slot whose schema validated them.
    entity_files: HashMap<(PathBuf, usize), Result<Entities, EntitiesError>>,
    /// A native file's inline shared entities, by loaded file.
    shared_inline: HashMap<usize, Result<Entities, EntitiesJsonError>>,
    /// By slot: the schema's action entities alone, for tests that name no entities.
    no_entities: Vec<Result<Entities, EntitiesJsonError>>,
}

/// 3. Entities files, once per file and schema; a native file's inline shared entities once
///    per file; the schema's action entities for tests that name none.
fn load_entities(
    loaded: &[LoadedFile],
    binding: &Binding,
    prepared: &[SetUnderTest],
    jobs: usize,
    cwd: &Path,
    sources: &dyn Files,
) -> LoadedEntities {
    let bindings = &binding.bindings;
    let mut resolved_paths: HashMap<(usize, String), Result<PathBuf, PathError>> = HashMap::new();
    let mut entity_keys: Vec<(PathBuf, usize)> = Vec::new();
    let mut seen: std::collections::HashSet<(PathBuf, usize)> = Default::default();
    let mut wanted = |key: (PathBuf, usize), keys: &mut Vec<(PathBuf, usize)>| {
        if seen.insert(key.clone()) {
            keys.push(key);
        }
    };
    for (index, file) in loaded.iter().enumerate() {
        let (Parsed::Tests(tests), Some(slot)) = (&file.parsed, bindings[index]) else {
            continue;
        };
        if !prepared[slot].errors.is_empty() {
            continue;
        }
        if let Some(path) = &binding.integration_entities[index] {
            wanted((path.clone(), slot), &mut entity_keys);
        }
        let written = tests
            .tests
            .iter()
            .filter_map(|t| match &t.spec {
                Ok(spec) => match &spec.entities {
                    EntitiesChoice::Own(EntitiesSource::Path(path)) => Some(path),
                    _ => None,
                },
                Err(_) => None,
            })
            .chain(match &tests.shared_entities {
                Some(EntitiesSource::Path(path)) => Some(path),
                _ => None,
            });
        for path in written {
            let resolved = resolved_paths
                .entry((index, path.clone()))
                .or_insert_with(|| loader::resolve_beside(&file.path, path, cwd));
            if let Ok(resolved) = resolved {
                wanted((resolved.clone(), slot), &mut entity_keys);
            }
        }
    }
    let entity_files: HashMap<(PathBuf, usize), Result<Entities, EntitiesError>> = entity_keys
        .iter()
        .cloned()
        .zip(parallel_map(&entity_keys, jobs, |(path, slot)| {
            load_entities_file(path, prepared[*slot].schema.as_ref(), cwd, sources)
        }))
        .collect();
    let shared_inline: HashMap<usize, Result<Entities, EntitiesJsonError>> = loaded
        .iter()
        .enumerate()
        .filter_map(|(index, file)| match (&file.parsed, bindings[index]) {
            (Parsed::Tests(tests), Some(slot)) => match &tests.shared_entities {
                Some(EntitiesSource::Inline(value)) => Some((
                    index,
                    parse_entities(value.clone(), prepared[slot].schema.as_ref()),
                )),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let no_entities: Vec<Result<Entities, EntitiesJsonError>> = prepared
        .iter()
        .map(|set| parse_entities(serde_json::json!([]), set.schema.as_ref()))
        .collect();
    LoadedEntities {
        resolved_paths,
        entity_files,
        shared_inline,
        no_entities,
    }
}

/// Validate: does an integration file's `shouldValidate` agree with validation?
fn validate_integration_files(
    loaded: &mut [LoadedFile],
    bindings: &[Option<usize>],
    prepared: &[SetUnderTest],
) {
    for (index, file) in loaded.iter_mut().enumerate() {
        let (Parsed::Tests(tests), Some(slot)) = (&file.parsed, bindings[index]) else {
            continue;
        };
        let (Some(header), set) = (&tests.integration, &prepared[slot]) else {
            continue;
        };
        if !set.errors.is_empty() {
            continue;
        }
        let at = file
            .text
            .find("\"shouldValidate\"")
            .or_else(|| file.text.find("\"should_validate\""))
            .unwrap_or(0);
        if header.should_validate && !set.validates {
            let errors = set.validation_errors.join("; ");
            file.errors.push(Located::at(
                &file.display,
                &file.text,
                at,
                format!("`shouldValidate` is true, but validation failed: {errors}"),
            ));
        } else if !header.should_validate && set.validates {
            file.errors.push(Located::at(
                &file.display,
                &file.text,
                at,
                "`shouldValidate` is false, but the policies validate against the schema",
            ));
        }
    }
}

/// The tests to run, as (loaded file, test) in file order: those whose name the filter matches.
fn select_tests(loaded: &[LoadedFile], filter: Option<&Regex>) -> Vec<(usize, usize)> {
    loaded
        .iter()
        .enumerate()
        .flat_map(|(index, file)| {
            let count = match &file.parsed {
                Parsed::Tests(tests) => tests.tests.len(),
                _ => 0,
            };
            (0..count).map(move |test| (index, test))
        })
        .filter(|&(index, test)| {
            let Parsed::Tests(tests) = &loaded[index].parsed else {
                return false;
            };
            filter.is_none_or(|filter| filter.is_match(&tests.tests[test].name))
        })
        .collect()
}

/// 5. Reports and coverage: each file's tests and errors, each set's policies with the number
///    of tests each determined.
fn gather_reports(
    report: &mut RunReport,
    loaded: Vec<LoadedFile>,
    binding: &Binding,
    prepared: Vec<SetUnderTest>,
    selected: &[(usize, usize)],
    results: Vec<TestReport>,
) {
    let bindings = &binding.bindings;
    let mut determined: Vec<Vec<usize>> = prepared.iter().map(|s| vec![0; s.info.len()]).collect();
    let mut tests_by_file: Vec<Vec<TestReport>> = loaded.iter().map(|_| Vec::new()).collect();
    for (&(index, _), result) in selected.iter().zip(results) {
        if let (Some(actual), Some(slot)) = (&result.actual, bindings[index]) {
            for &policy in &actual.determining {
                determined[slot][policy] += 1;
            }
        }
        tests_by_file[index].push(result);
    }
    for ((index, file), tests) in loaded.into_iter().enumerate().zip(tests_by_file) {
        let shape = match &file.parsed {
            Parsed::Tests(tests) => Some(tests.shape),
            _ => None,
        };
        report.files.push(FileReport {
            path: file.display,
            shape,
            errors: file.errors,
            tests,
            set: bindings[index],
        });
    }
    report.sets = prepared
        .into_iter()
        .zip(determined)
        .zip(&binding.slots)
        .map(|((set, determined), slot)| SetReport {
            source: match slot {
                SetSlot::Config(index) => Some(*index),
                SetSlot::Integration(_) => None,
            },
            suggestions: Vec::new(),
            label: set.label,
            errors: set.errors,
            policies: set.info,
            determined,
        })
        .collect();
}

struct ReadFile {
    display: String,
    text: String,
    parsed: Parsed,
}

struct LoadedFile {
    path: PathBuf,
    display: String,
    text: String,
    parsed: Parsed,
    errors: Vec<Located>,
}

fn read_test_file(input: &TestInput, cwd: &Path, files: &dyn Files) -> Result<ReadFile, RunError> {
    let display = loader::display(&input.path, cwd);
    let text = match files.read_text(&input.path) {
        Ok(text) => text,
        Err(source) => {
            return Err(RunError::Read {
                path: display,
                source,
            })
        }
    };
    Ok(match text {
        Ok(text) => ReadFile {
            parsed: test_file::parse(&display, &text),
            display,
            text,
        },
        Err((offset, lossy)) => ReadFile {
            parsed: Parsed::Error(Located::at(
                &display,
                &lossy,
                offset,
                format!("file is not valid UTF-8 text (invalid byte at offset {offset})"),
            )),
            display,
            text: lossy,
        },
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct IntegrationKey {
    policies: PathBuf,
    policy_format: test_file::SourceFormat,
    schema: PathBuf,
    schema_format: test_file::SourceFormat,
}

/// An integration test file's own policy set, by its files' absolute paths.
#[derive(Clone, Debug)]
pub struct IntegrationSet {
    /// Cedar policies.
    pub policies: PathBuf,
    pub schema: PathBuf,
    pub schema_format: test_file::SourceFormat,
}

enum SetSlot {
    Config(usize),
    Integration(IntegrationKey),
}

fn prepare_set(
    slot: &SetSlot,
    sets: &dyn PolicySets,
    cwd: &Path,
    files: &dyn Files,
) -> Result<SetUnderTest, RunError> {
    match slot {
        SetSlot::Config(set) => {
            let source = sets.read(*set)?;
            let display = |relative: &str| loader::display(&source.root.join(relative), cwd);
            Ok(SetUnderTest::from_input(
                source.label.clone(),
                &source.input,
                &display,
            ))
        }
        SetSlot::Integration(key) => {
            let read = |path: &Path| -> Result<(String, String), RunError> {
                let display = loader::display(path, cwd);
                match files.read_text(path) {
                    Ok(Ok(text)) => Ok((display, text)),
                    Ok(Err((offset, _))) => Err(RunError::NotUtf8 {
                        path: display,
                        offset,
                    }),
                    Err(source) => Err(RunError::Read {
                        path: display,
                        source,
                    }),
                }
            };
            let (policies_display, policies) = read(&key.policies)?;
            let (schema_display, schema) = read(&key.schema)?;
            Ok(SetUnderTest::from_integration(
                policies_display.clone(),
                (&policies_display, &policies, key.policy_format),
                (&schema_display, &schema, key.schema_format),
            ))
        }
    }
}

/// An entities file, parsed and validated; the error says where it went wrong.
fn load_entities_file(
    path: &Path,
    schema: Option<&cedar_policy::Schema>,
    cwd: &Path,
    files: &dyn Files,
) -> Result<Entities, EntitiesError> {
    let display = loader::display(path, cwd);
    match files.read_text(path) {
        Err(error) => Err(EntitiesError::Unreadable {
            path: display,
            source: Arc::new(error),
        }),
        Ok(Err((offset, lossy))) => Err(EntitiesError::Located(Located::at(
            &display,
            &lossy,
            offset,
            format!("file is not valid UTF-8 text (invalid byte at offset {offset})"),
        ))),
        Ok(Ok(text)) => {
            parse_entities_file(&display, &text, schema).map_err(EntitiesError::Located)
        }
    }
}

/// Everything a test needs, shared by the workers.
struct RunContext<'a> {
    loaded: &'a [LoadedFile],
    bindings: &'a [Option<usize>],
    prepared: &'a [SetUnderTest],
    /// A slot whose set is decided in a changed version instead (a mutant's); failures are
    /// then not explained.
    replaced: Option<(usize, &'a SetUnderTest)>,
    resolved_paths: &'a HashMap<(usize, String), Result<PathBuf, PathError>>,
    entity_files: &'a HashMap<(PathBuf, usize), Result<Entities, EntitiesError>>,
    integration_entities: &'a [Option<PathBuf>],
    shared_inline: &'a HashMap<usize, Result<Entities, EntitiesJsonError>>,
    no_entities: &'a [Result<Entities, EntitiesJsonError>],
    line_indexes: &'a [LineIndex],
    /// Policy-set slices by (set, entities store, action).
    slices: Mutex<HashMap<SliceKey, Option<Arc<PolicySet>>>>,
}

type SliceKey = (usize, usize, EntityUid);

/// Entities borrowed from a cache or parsed for this test alone.
enum EntitiesHere<'a> {
    Shared(&'a Entities),
    Own(Entities),
}

impl EntitiesHere<'_> {
    fn get(&self) -> &Entities {
        match self {
            EntitiesHere::Shared(entities) => entities,
            EntitiesHere::Own(entities) => entities,
        }
    }
}

impl<'a> RunContext<'a> {
    /// The set a slot's tests run against here.
    fn set(&self, slot: usize) -> &'a SetUnderTest {
        match self.replaced {
            Some((replaced, set)) if replaced == slot => set,
            _ => &self.prepared[slot],
        }
    }

    /// A test's request and, when they are its own (written in the test, or merged with
    /// it), its entities; `None` when they cannot be built (the full run then says why).
    fn build_case(&self, index: usize, test: usize, slot: usize) -> Option<Arc<BuiltCase>> {
        let Parsed::Tests(tests) = &self.loaded[index].parsed else {
            return None;
        };
        let spec = tests.tests.get(test)?.spec.as_ref().ok()?;
        let schema = self.prepared[slot].schema.as_ref();
        let entities = self
            .entities_for(index, test, slot, tests, &spec.entities)
            .ok()?;
        let own = if !spec.inline_entities.is_empty() {
            Some(add_inline_entities(entities.get(), &spec.inline_entities, schema).ok()?)
        } else {
            match entities {
                EntitiesHere::Own(own) => Some(own),
                EntitiesHere::Shared(_) => None,
            }
        };
        let request = build_request(spec, schema).ok()?;
        Some(Arc::new(BuiltCase { request, own }))
    }

    /// Whether one of the sets `alone` (each a single policy) is satisfied by the test's
    /// request or raises an error on it: whether that policy can take part in the test's
    /// decision. `true` when the request cannot be built (the full run then says why).
    fn applies(
        &self,
        (index, test): TestId,
        slot: usize,
        case: Option<&BuiltCase>,
        alone: &[PolicySet],
    ) -> bool {
        if alone.is_empty() {
            return false;
        }
        let Some(case) = case else {
            return true;
        };
        let shared;
        let entities = match &case.own {
            Some(own) => own,
            None => {
                let Parsed::Tests(tests) = &self.loaded[index].parsed else {
                    return true;
                };
                let Some(Ok(spec)) = tests.tests.get(test).map(|case| &case.spec) else {
                    return true;
                };
                match self.entities_for(index, test, slot, tests, &spec.entities) {
                    Ok(here) => {
                        shared = here;
                        shared.get()
                    }
                    Err(_) => return true,
                }
            }
        };
        // Alone, a policy that is satisfied is the reason of the decision, whatever its effect.
        let authorizer = Authorizer::new();
        alone.iter().any(|policy| {
            let response = authorizer.is_authorized(&case.request, policy, entities);
            response.diagnostics().reason().next().is_some()
                || response.diagnostics().errors().next().is_some()
        })
    }

    fn run_test(&self, index: usize, test: usize) -> TestReport {
        let file = &self.loaded[index];
        let mut report = TestReport {
            name: String::new(),
            line: 1,
            request: None,
            expected: None,
            actual: None,
            reasons: Vec::new(),
            failures: Vec::new(),
            explanation: Vec::new(),
        };
        // Jobs are only made for the tests of files that parsed as tests.
        let Some(case) = (match &file.parsed {
            Parsed::Tests(tests) => tests.tests.get(test).map(|case| (tests, case)),
            _ => None,
        }) else {
            report.failures.push("internal error: no such test".into());
            return report;
        };
        let (tests, case) = case;
        report.name = case.name.clone();
        report.line = self.line_indexes[index]
            .position(&file.text, case.offset)
            .line;
        let spec = match &case.spec {
            Ok(spec) => spec,
            Err(error) => {
                report.failures.push(error.to_string());
                return report;
            }
        };
        report.request = Some(RequestView {
            principal: spec.request.principal.to_string(),
            action: spec.request.action.to_string(),
            resource: spec.request.resource.to_string(),
            context: spec.request.context.clone(),
        });
        report.expected = Some(spec.expect.clone());
        let Some(slot) = self.bindings[index] else {
            report
                .failures
                .push("cannot run: the file's policies or schema could not be found".into());
            return report;
        };
        let set = self.set(slot);
        if !set.errors.is_empty() {
            report.failures.push(format!(
                "cannot run: the policy set `{}` has {} error(s), listed with it",
                set.label,
                set.errors.len()
            ));
            return report;
        }
        let mut entities = match self.entities_for(index, test, slot, tests, &spec.entities) {
            Ok(entities) => entities,
            Err(error) => {
                report.failures.push(error.to_string());
                return report;
            }
        };
        if !spec.inline_entities.is_empty() {
            match add_inline_entities(entities.get(), &spec.inline_entities, set.schema.as_ref()) {
                Ok(merged) => entities = EntitiesHere::Own(merged),
                Err(error) => {
                    // Point at the entity the message names, inside this test.
                    let message = error.to_string();
                    let offset = case.offset;
                    let at = find_mention(&file.text[offset..], &message)
                        .or_else(|| find_bare_mention(&file.text[offset..], &message))
                        .map_or(offset, |i| offset + i);
                    report.failures.push(
                        Located::at(
                            &file.display,
                            &file.text,
                            at,
                            format!("invalid entities in the request: {message}"),
                        )
                        .to_string(),
                    );
                    return report;
                }
            }
        }
        let request = match build_request(spec, set.schema.as_ref()) {
            Ok(request) => request,
            Err(error) => {
                report.failures.push(error.to_string());
                return report;
            }
        };
        let slice = match (&entities, request.action()) {
            (EntitiesHere::Shared(shared), Some(action)) => self.slice(slot, shared, action),
            _ => None,
        };
        let policies = slice.as_deref().unwrap_or(&set.policies);
        let actual = authorize(&Authorizer::new(), set, policies, &request, entities.get());
        report.failures = compare(&spec.expect, &actual);
        report.reasons = reason_diff(&spec.expect, &actual);
        // Only a report explains a failure; deciding a mutant needs the verdict alone.
        if self.replaced.is_none() {
            report.explanation =
                explain(set, spec.expect.decision, &actual, &request, entities.get());
        }
        report.actual = Some(actual);
        report
    }

    /// The slice of the set for an action and a shared entities store, made once.
    fn slice(
        &self,
        slot: usize,
        entities: &Entities,
        action: &EntityUid,
    ) -> Option<Arc<PolicySet>> {
        let key = (slot, std::ptr::from_ref(entities) as usize, action.clone());
        if let Some(slice) = self
            .slices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return slice.clone();
        }
        let slice = self
            .set(slot)
            .slice_for_action(action, entities)
            .map(Arc::new);
        self.slices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, slice.clone());
        slice
    }

    fn entities_for(
        &self,
        index: usize,
        test: usize,
        slot: usize,
        tests: &TestFile,
        choice: &EntitiesChoice,
    ) -> Result<EntitiesHere<'a>, EntitiesError> {
        let schema = self.prepared[slot].schema.as_ref();
        let from_path = |written: &String| -> Result<EntitiesHere<'a>, EntitiesError> {
            let path = self
                .resolved_paths
                .get(&(index, written.clone()))
                .ok_or_else(|| EntitiesError::NotResolved(written.clone()))?
                .as_ref()
                .map_err(|error| EntitiesError::Path(error.clone()))?;
            match self.entity_files.get(&(path.clone(), slot)) {
                Some(Ok(entities)) => Ok(EntitiesHere::Shared(entities)),
                Some(Err(error)) => Err(error.clone()),
                None => Err(EntitiesError::NotLoaded(written.clone())),
            }
        };
        match choice {
            EntitiesChoice::Own(EntitiesSource::Inline(value)) => {
                parse_entities(value.clone(), schema)
                    .map(EntitiesHere::Own)
                    .map_err(|error| {
                        // Point at the entity the message names, inside this test.
                        let message = error.to_string();
                        let file = &self.loaded[index];
                        let offset = tests.tests.get(test).map_or(0, |case| case.offset);
                        let at = find_mention(&file.text[offset..], &message)
                            .map_or(offset, |i| offset + i);
                        EntitiesError::Located(Located::at(
                            &file.display,
                            &file.text,
                            at,
                            format!("invalid entities: {message}"),
                        ))
                    })
            }
            EntitiesChoice::Own(EntitiesSource::Path(written)) => from_path(written),
            EntitiesChoice::None => match &self.no_entities[slot] {
                Ok(entities) => Ok(EntitiesHere::Shared(entities)),
                Err(error) => Err(EntitiesError::Invalid(error.clone())),
            },
            EntitiesChoice::Shared => {
                if let Some(path) = &self.integration_entities[index] {
                    return match self.entity_files.get(&(path.clone(), slot)) {
                        Some(Ok(entities)) => Ok(EntitiesHere::Shared(entities)),
                        Some(Err(error)) => Err(error.clone()),
                        None => Err(EntitiesError::FileEntitiesNotLoaded),
                    };
                }
                match &tests.shared_entities {
                    Some(EntitiesSource::Path(written)) => from_path(written),
                    Some(EntitiesSource::Inline(_)) => match self.shared_inline.get(&index) {
                        Some(Ok(entities)) => Ok(EntitiesHere::Shared(entities)),
                        Some(Err(error)) => Err(EntitiesError::InvalidShared(error.clone())),
                        None => Err(EntitiesError::FileEntitiesNotLoaded),
                    },
                    None => Err(EntitiesError::NotFound),
                }
            }
        }
    }
}

/// Maps `f` over `items` on `jobs` threads (each with the analysis stack, as Cedar's parser and
/// evaluator recurse), keeping the order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let jobs = jobs.min(items.len());
    if jobs <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for worker in 0..jobs {
            let (next, done, f) = (&next, &done, &f);
            let spawned = std::thread::Builder::new()
                .name(format!("cedarcheck-test-{worker}"))
                .stack_size(cedarcheck_analyzer::ANALYSIS_STACK_SIZE)
                .spawn_scoped(scope, move || {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else { break };
                        mine.push((index, f(item)));
                    }
                    done.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
                });
            // Without a thread, the other workers (or this one's share, below) do the work.
            drop(spawned);
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    if done.len() < items.len() {
        // Some thread could not be spawned: finish on this thread.
        let have: std::collections::HashSet<usize> = done.iter().map(|(i, _)| *i).collect();
        for (index, item) in items.iter().enumerate() {
            if !have.contains(&index) {
                done.push((index, f(item)));
            }
        }
    }
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cedarcheck_analyzer::SourceFile;

    const SCHEMA: &str = "entity User { admin: Bool }; entity Doc;\naction read appliesTo { principal: User, resource: Doc };";
    const POLICY: &str =
        "@id(\"admins\")\npermit(principal, action, resource) when { principal.admin };";

    /// One set, whose files are given as texts.
    struct OneSet(PolicySetInput);

    impl PolicySets for OneSet {
        fn set_for(&self, _: &Path) -> Result<usize, SetsError> {
            Ok(0)
        }
        fn read(&self, _: usize) -> Result<SetSource, SetsError> {
            Ok(SetSource {
                label: "set".into(),
                root: PathBuf::from("/"),
                input: self.0.clone(),
            })
        }
    }

    /// Buffers in front of the disk.
    struct Buffers(HashMap<PathBuf, String>);

    impl Files for Buffers {
        fn read_text(&self, path: &Path) -> std::io::Result<Result<String, (usize, String)>> {
            match self.0.get(path) {
                Some(text) => Ok(Ok(text.clone())),
                None => loader::read_text(path),
            }
        }
    }

    fn test_file(decision: &str) -> String {
        format!(
            r#"{{"entities": "users.entities.json", "tests": [
  {{"name": "alice reads", "request": {{"principal": "User::\"alice\"", "action": "Action::\"read\"", "resource": "Doc::\"d\""}}, "decision": "{decision}"}}
]}}"#
        )
    }

    fn entities(admin: bool) -> String {
        format!(
            r#"[{{"uid": {{"type": "User", "id": "alice"}}, "attrs": {{"admin": {admin}}}, "parents": []}},
 {{"uid": {{"type": "Doc", "id": "d"}}, "attrs": {{}}, "parents": []}}]"#
        )
    }

    #[test]
    fn buffers_stand_in_for_the_test_file_and_its_entities() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let test_path = root.join("t.json");
        let entities_path = root.join("users.entities.json");
        std::fs::write(&test_path, test_file("allow")).unwrap();
        std::fs::write(&entities_path, entities(true)).unwrap();
        let sets = OneSet(PolicySetInput {
            policies: vec![SourceFile::new("p.cedar", POLICY)],
            schema: Some(SourceFile::new("s.cedarschema", SCHEMA)),
            links: vec![],
        });
        let inputs = [TestInput {
            path: test_path.clone(),
            explicit: false,
        }];
        let options = Options {
            jobs: 1,
            filter: None,
            cwd: root.clone(),
        };
        let outcome = |files: &dyn Files| {
            let report = run_with_files(&inputs, &sets, &options, files).unwrap();
            let test = &report.files[0].tests[0];
            (test.name.clone(), test.failures.clone())
        };
        // The disk: alice is an admin, and the test expects her to be allowed.
        assert_eq!(outcome(&Disk), ("alice reads".to_string(), vec![]));
        // An unsaved test file expecting a deny.
        let buffers = Buffers(HashMap::from([(test_path.clone(), test_file("deny"))]));
        assert_eq!(outcome(&buffers).1, ["expected deny, got allow"]);
        // Unsaved entities in which alice is no admin.
        let buffers = Buffers(HashMap::from([(entities_path, entities(false))]));
        assert_eq!(outcome(&buffers).1, ["expected allow, got deny"]);
        // A test file being typed: a JSON error, located.
        let buffers = Buffers(HashMap::from([(test_path, "{\"tests\": [".to_string())]));
        let report = run_with_files(&inputs, &sets, &options, &buffers).unwrap();
        assert_eq!(report.files[0].errors.len(), 1, "{:?}", report.files[0]);
        assert_eq!(report.files[0].errors[0].line, 1);
        assert!(report.files[0].tests.is_empty());
    }
}
