//! `cedarcheck replay LOG…` (docs/decision-logs.md): re-decides every logged request with the
//! working tree's policy set — or, with `--base REV`, with the base revision's and the working
//! tree's — and reports the requests whose decision changes, grouped, per policy, and as
//! `replay-new-access` / `replay-removed-access` findings. Decisions are made by Cedar's
//! authorizer on all cores, a chunk of lines at a time; results are combined in line order, so
//! the output never depends on the number of threads.

mod input;
mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use cedar_policy::{Authorizer, Entities, PolicySet, Schema};
use cedarcheck_analyzer::{rules, PolicyKind, PolicySetInput, Report, Settings, Span};
use cedarcheck_decision_log::{native, prepare, Decision, LineError, Problem, Record};
use cedarcheck_workspace::{PolicySetFiles, Workspace};
use serde_json::{json, Value};

use crate::cli::{CommonArgs, ReplayArgs};
use input::{Body, Item, Reader};

pub fn run(args: &ReplayArgs, common: &CommonArgs) -> u8 {
    match replay(args, common) {
        Ok(code) => code,
        Err(message) => super::fail(message),
    }
}

/// Lines handed to each thread at a time.
const CHUNK_PER_THREAD: usize = 2048;

/// A policy set loaded to decide with: Cedar's set, and the ids users see.
struct Side {
    set: PolicySet,
    ids: HashMap<cedar_policy::PolicyId, String>,
    /// Display id → the policy's text, for the per-policy status with `--base`.
    texts: BTreeMap<String, String>,
}

/// The new (working tree) side, with what findings need.
pub(crate) struct NewSide {
    pub label: String,
    /// Policy id → (file as shown, span of its id).
    pub locations: BTreeMap<String, (String, Span)>,
    /// Where a finding without a policy points: the schema, else the first policy file.
    pub fallback_file: Option<String>,
    pub sources: Vec<(String, Arc<str>)>,
    pub settings: Settings,
}

fn replay(args: &ReplayArgs, common: &CommonArgs) -> Result<u8, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let format = common.format.unwrap_or(crate::cli::Format::Pretty);
    let sources = input::expand(&args.logs)?;
    let workspace =
        Workspace::open(Path::new("."), common.config.as_deref()).map_err(|e| e.to_string())?;
    let new_files = pick_set(&workspace, args.set.as_deref())?;
    let new_input = new_files.read(&workspace.root).map_err(|e| e.to_string())?;
    let new_report = load("", &new_input)?;
    let schema = new_report.schema.clone();
    let new_side = side(&new_report, &new_input);

    let mut _base_dir = None;
    let old_side = match &args.base {
        Some(rev) => {
            // As `diff --base` reads it: exported with `git archive`, nothing checked out.
            let dir =
                super::diff::read_revision(rev, &workspace.root).map_err(|e| e.to_string())?;
            let old = super::diff::open_exported(dir.path()).map_err(|e| e.to_string())?;
            let old_sets = old.policy_sets().map_err(|e| format!("base side: {e}"))?;
            let old_files = old_sets
                .iter()
                .find(|s| s.name == new_files.name)
                .ok_or_else(|| match &new_files.name {
                    Some(name) => format!("the base side has no policy set named `{name}`"),
                    None => "the base side has no policy set to replay against".to_string(),
                })?;
            let old_input = old_files
                .read(&old.root)
                .map_err(|e| format!("base side: {e}"))?;
            let old_report = load("base side: ", &old_input)?;
            _base_dir = Some(dir);
            Some(side(&old_report, &old_input))
        }
        None => None,
    };

    let snapshot = match &args.entities {
        Some(path) => Some(read_snapshot(path, schema.as_ref(), &cwd)?),
        None => None,
    };
    let shown = |file: &str| cedarcheck_analyzer::display_path(&workspace.root.join(file), &cwd);
    let new_paths: Vec<String> = new_input.files().iter().map(|f| shown(&f.path)).collect();
    let new = NewSide {
        label: new_files
            .name
            .clone()
            .unwrap_or_else(|| "policy set".into()),
        locations: new_report
            .loaded
            .entries
            .iter()
            .map(|e| (e.id.clone(), (new_paths[e.file].clone(), e.id_span)))
            .collect(),
        fallback_file: new_input
            .schema
            .as_ref()
            .or(new_input.policies.first())
            .map(|f| shown(&f.path)),
        sources: new_input
            .files()
            .into_iter()
            .map(|f| (shown(&f.path), f.text.clone()))
            .collect(),
        settings: workspace.settings(),
    };

    let jobs = match common.jobs.unwrap_or(workspace.analysis().jobs) {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        jobs => jobs,
    };
    let decider = Decider {
        schema: schema.as_ref(),
        snapshot: snapshot.as_ref().map(|(entities, _)| entities),
        snapshot_name: snapshot.as_ref().map(|(_, name)| name.clone()),
        new: &new_side,
        old: old_side.as_ref(),
        authorizer: Authorizer::new(),
    };
    let mut reader = Reader::new(sources);
    let names = reader.names();
    let mut tally = Tally::default();
    let chunk = CHUNK_PER_THREAD * jobs;
    loop {
        let mut items = Vec::with_capacity(chunk);
        while items.len() < chunk {
            match reader.next_item()? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        if items.is_empty() {
            break;
        }
        for outcome in decide_all(&decider, items, jobs) {
            tally.add(outcome, &names);
        }
    }

    let statuses = old_side.as_ref().map(|old| statuses(old, &new_side));
    let result = render::Replay {
        against: match &args.base {
            Some(rev) => format!("{rev} → working tree"),
            None => "logged decisions → working tree".into(),
        },
        tally,
        statuses,
        new,
        max_invalid: args.max_invalid,
        allow_new_access: args.allow_new_access,
        allow_removed_access: args.allow_removed_access,
    };
    render::print(&result, common, format);
    let summary = &result.tally.summary;
    let mut code = crate::exit::CLEAN;
    if (summary.newly_allowed > 0 && !args.allow_new_access)
        || (summary.newly_denied > 0 && !args.allow_removed_access)
        || summary.invalid > args.max_invalid
    {
        code = crate::exit::FINDINGS;
    }
    Ok(code)
}

/// The set to replay against: `--set NAME`, or the only one.
fn pick_set(workspace: &Workspace, name: Option<&str>) -> Result<PolicySetFiles, String> {
    let sets = workspace.policy_sets().map_err(|e| e.to_string())?;
    match name {
        Some(name) => sets
            .into_iter()
            .find(|s| s.name.as_deref() == Some(name))
            .ok_or_else(|| format!("--set {name}: the config names no such policy set")),
        None if sets.len() == 1 => Ok(sets.into_iter().next().unwrap_or_default()),
        None => Err(format!(
            "the config names {} policy sets; choose one with --set NAME ({})",
            sets.len(),
            sets.iter()
                .filter_map(|s| s.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Loads a side's set as `test` does; a file that does not parse stops the run.
fn load(side: &str, input: &PolicySetInput) -> Result<Report, String> {
    let report = cedarcheck_analyzer::check(input, &Settings::loading_only());
    let broken: Vec<String> = report
        .findings
        .iter()
        .filter(|f| {
            f.rule == rules::parse_error::RULE.id
                || (f.rule == rules::schema_error::RULE.id && f.policy_id.is_none())
        })
        .map(|f| {
            let text = input
                .files()
                .into_iter()
                .find(|s| s.path == f.file)
                .map_or("", |s| &s.text);
            let at = cedarcheck_analyzer::LineIndex::new(text).position(text, f.span.start);
            format!("  {}:{}:{}: {}", f.file, at.line, at.column, f.message)
        })
        .collect();
    if broken.is_empty() {
        Ok(report)
    } else {
        Err(format!(
            "{side}the policy set cannot be loaded:\n{}",
            broken.join("\n")
        ))
    }
}

fn side(report: &Report, input: &PolicySetInput) -> Side {
    let files = input.files();
    let mut texts = BTreeMap::new();
    for entry in &report.loaded.entries {
        if entry.kind != PolicyKind::Link {
            let text = &files[entry.file].text;
            let body = text.get(entry.span.start..entry.span.end).unwrap_or("");
            texts.insert(
                entry.id.clone(),
                body.split_whitespace().collect::<Vec<_>>().join(" "),
            );
        } else {
            texts.insert(entry.id.clone(), format!("link {}", entry.span.start));
        }
    }
    Side {
        set: report.loaded.set.clone(),
        ids: report
            .loaded
            .entries
            .iter()
            .map(|e| (e.internal_id.clone(), e.id.clone()))
            .collect(),
        texts,
    }
}

/// With `--base`: each policy of either side, added, removed, edited or unchanged.
fn statuses(old: &Side, new: &Side) -> BTreeMap<String, &'static str> {
    let mut statuses = BTreeMap::new();
    for (id, text) in &new.texts {
        statuses.insert(
            id.clone(),
            match old.texts.get(id) {
                None => "added",
                Some(before) if before != text => "edited",
                Some(_) => "unchanged",
            },
        );
    }
    for id in old.texts.keys() {
        statuses.entry(id.clone()).or_insert("removed");
    }
    statuses
}

/// The entity store snapshot of `--entities`, validated against the schema.
fn read_snapshot(
    path: &Path,
    schema: Option<&Schema>,
    cwd: &Path,
) -> Result<(Entities, String), String> {
    let name = cedarcheck_analyzer::display_path(path, cwd);
    let text = std::fs::read_to_string(path).map_err(|e| format!("--entities {name}: {e}"))?;
    let entities = cedarcheck_test_runner::evaluate::parse_entities_file(&name, &text, schema)
        .map_err(|l| {
            format!(
                "--entities: {}:{}:{}: {}",
                l.file, l.line, l.column, l.message
            )
        })?;
    Ok((entities, path.to_string_lossy().replace('\\', "/")))
}

struct Decider<'a> {
    schema: Option<&'a Schema>,
    snapshot: Option<&'a Entities>,
    /// The snapshot's path as given, for the `run-tests` examples.
    snapshot_name: Option<String>,
    new: &'a Side,
    old: Option<&'a Side>,
    authorizer: Authorizer,
}

/// What became of one logged decision.
pub(crate) struct Outcome {
    file: usize,
    line: usize,
    /// `None` for a request decided as logged (or as the base decides), for the same reasons.
    result: Result<Option<Box<Replayed>>, LineError>,
}

/// A request whose decision or determining policies changed.
pub(crate) struct Replayed {
    time: Option<String>,
    principal: String,
    principal_type: String,
    action: String,
    resource: String,
    resource_type: String,
    old: Decision,
    /// Unknown when the log does not say.
    before: Option<Vec<String>>,
    new: Decision,
    after: Vec<String>,
    /// The request as a `run-tests` entry.
    example: Value,
}

fn decide_all(decider: &Decider<'_>, items: Vec<Item>, jobs: usize) -> Vec<Outcome> {
    if jobs <= 1 || items.len() < 64 {
        return items.into_iter().map(|item| decider.decide(item)).collect();
    }
    let per = items.len().div_ceil(jobs);
    let mut chunks: Vec<Vec<Item>> = Vec::new();
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<Item> = items.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                std::thread::Builder::new()
                    .stack_size(cedarcheck_analyzer::ANALYSIS_STACK_SIZE)
                    .spawn_scoped(scope, move || {
                        chunk
                            .into_iter()
                            .map(|item| decider.decide(item))
                            .collect::<Vec<_>>()
                    })
                    .expect("spawning a replay thread")
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

impl Decider<'_> {
    fn decide(&self, item: Item) -> Outcome {
        let record = match item.body {
            Body::Line(text) => native::parse_line(&text),
            Body::Mapped(record) => *record,
        };
        Outcome {
            file: item.file,
            line: item.line,
            result: record.and_then(|record| self.replay(&record)),
        }
    }

    fn replay(&self, record: &Record) -> Result<Option<Box<Replayed>>, LineError> {
        let prepared = prepare(record, self.schema, self.snapshot.is_some())?;
        let entities = match (&prepared.entities, self.snapshot) {
            (Some(own), _) => own,
            (None, Some(snapshot)) => snapshot,
            (None, None) => unreachable!("prepare refuses a line without entities or snapshot"),
        };
        let decide = |side: &Side| {
            let response = self
                .authorizer
                .is_authorized(&prepared.request, &side.set, entities);
            let mut reason: Vec<String> = response
                .diagnostics()
                .reason()
                .map(|id| side.ids.get(id).cloned().unwrap_or_else(|| id.to_string()))
                .collect();
            reason.sort();
            let errors = response.diagnostics().errors().count();
            (Decision::from(response.decision()), reason, errors)
        };
        let (old, before) = match self.old {
            Some(old) => {
                let (decision, reason, _) = decide(old);
                (decision, Some(reason))
            }
            None => match record.decision {
                Some(decision) => (decision, record.reason.clone().map(sorted)),
                None => {
                    return Err(LineError::new(
                        Problem::NotReplayable,
                        "the line does not say what was decided (`decision`); compare two policy sets with --base",
                    ))
                }
            },
        };
        let (new, after, errors) = decide(self.new);
        let changed = old != new || before.as_ref().is_some_and(|b| *b != after);
        if !changed {
            return Ok(None);
        }
        let entities = match &record.entities {
            Some(entities) => entities.clone(),
            None => Value::String(self.snapshot_name.clone().unwrap_or_default()),
        };
        let example = json!({
            "name": "",
            "request": {
                "principal": record.principal.to_string(),
                "action": record.action.to_string(),
                "resource": record.resource.to_string(),
                "context": record.context,
            },
            "entities": entities,
            "decision": new.as_str(),
            "reason": after,
            "num_errors": errors,
        });
        Ok(Some(Box::new(Replayed {
            time: record.time.clone(),
            principal: record.principal.to_string(),
            principal_type: record.principal.type_name().to_string(),
            action: record.action.to_string(),
            resource: record.resource.to_string(),
            resource_type: record.resource.type_name().to_string(),
            old,
            before,
            new,
            after,
            example,
        })))
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// How a group of requests changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Change {
    NewlyAllowed,
    NewlyDenied,
    /// The same decision, determined by other policies.
    OtherReasons,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::NewlyAllowed => "newly-allowed",
            Change::NewlyDenied => "newly-denied",
            Change::OtherReasons => "other-reasons",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GroupKey {
    pub change: Change,
    pub principal_type: String,
    pub action: String,
    pub resource_type: String,
    pub old: Decision,
    pub new: Decision,
    pub before: Option<Vec<String>>,
    pub after: Vec<String>,
}

/// The examples a group lists.
const EXAMPLES: usize = 3;

#[derive(Debug, Default)]
pub(crate) struct Group {
    pub count: usize,
    pub principals: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub examples: Vec<String>,
    pub example: Option<Value>,
}

impl GroupKey {
    /// The policies a change is put down to: for new access the permits that now allow it;
    /// for removed access the forbids that now deny it or, with none, the permits that
    /// allowed it before; for other reasons, both sides'.
    pub fn deciding(&self) -> Vec<String> {
        match self.change {
            Change::NewlyAllowed => self.after.clone(),
            Change::NewlyDenied if !self.after.is_empty() => self.after.clone(),
            Change::NewlyDenied => self.before.clone().unwrap_or_default(),
            Change::OtherReasons => Vec::new(),
        }
    }
}

#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Summary {
    pub decisions: usize,
    pub replayed: usize,
    pub changed: usize,
    pub newly_allowed: usize,
    pub newly_denied: usize,
    pub other_reasons: usize,
    pub invalid: usize,
    pub not_replayable: usize,
}

/// A line that is invalid, as reported.
pub(crate) struct Invalid {
    pub at: String,
    pub column: Option<usize>,
    pub problem: Problem,
    pub message: String,
}

#[derive(Default)]
pub(crate) struct Tally {
    pub summary: Summary,
    pub invalid: Vec<Invalid>,
    /// Why lines are not replayable → how many, and the first position.
    pub not_replayable: BTreeMap<String, (usize, String)>,
    pub groups: BTreeMap<GroupKey, Group>,
    /// Policy → (would newly deny, would newly allow).
    pub policies: BTreeMap<String, (usize, usize)>,
}

impl Tally {
    fn add(&mut self, outcome: Outcome, names: &[String]) {
        self.summary.decisions += 1;
        let at = || format!("{}:{}", names[outcome.file], outcome.line);
        let replayed = match outcome.result {
            Ok(None) => {
                self.summary.replayed += 1;
                return;
            }
            Ok(Some(replayed)) => *replayed,
            Err(error) if error.problem.is_invalid() => {
                self.summary.invalid += 1;
                self.invalid.push(Invalid {
                    at: at(),
                    column: error.column,
                    problem: error.problem,
                    message: error.message,
                });
                return;
            }
            Err(error) => {
                self.summary.not_replayable += 1;
                self.not_replayable
                    .entry(error.message)
                    .or_insert_with(|| (0, at()))
                    .0 += 1;
                return;
            }
        };
        self.summary.replayed += 1;
        let change = match (replayed.old, replayed.new) {
            (Decision::Deny, Decision::Allow) => Change::NewlyAllowed,
            (Decision::Allow, Decision::Deny) => Change::NewlyDenied,
            _ => Change::OtherReasons,
        };
        match change {
            Change::NewlyAllowed => self.summary.newly_allowed += 1,
            Change::NewlyDenied => self.summary.newly_denied += 1,
            Change::OtherReasons => self.summary.other_reasons += 1,
        }
        if change != Change::OtherReasons {
            self.summary.changed += 1;
        }
        let key = GroupKey {
            change,
            principal_type: replayed.principal_type,
            action: replayed.action,
            resource_type: replayed.resource_type,
            old: replayed.old,
            new: replayed.new,
            before: replayed.before,
            after: replayed.after,
        };
        for policy in key.deciding() {
            let counts = self.policies.entry(policy).or_default();
            match change {
                Change::NewlyDenied => counts.0 += 1,
                Change::NewlyAllowed => counts.1 += 1,
                Change::OtherReasons => {}
            }
        }
        let group = self.groups.entry(key).or_default();
        group.count += 1;
        group.principals.insert(replayed.principal);
        group.resources.insert(replayed.resource);
        if let Some(time) = replayed.time {
            if group.first_time.as_ref().is_none_or(|t| time < *t) {
                group.first_time = Some(time.clone());
            }
            if group.last_time.as_ref().is_none_or(|t| time > *t) {
                group.last_time = Some(time);
            }
        }
        if group.examples.len() < EXAMPLES {
            group.examples.push(at());
        }
        if group.example.is_none() {
            let mut example = replayed.example;
            example["name"] = Value::String(format!("replayed from {}", at()));
            group.example = Some(example);
        }
    }
}
