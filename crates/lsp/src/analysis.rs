//! The one module that runs cedarcheck's analysis for the server (ruff's `ruff_server/lint.rs`):
//! from a document to the policy set it belongs to (the same cedarcheck.toml `check` reads),
//! read with the editor's buffers in place of the files on disk, checked by the same
//! analysis as `cedarcheck_analyzer::check` (incrementally: [`Cache`] keeps each set's
//! `IncrementalCheck`, which gives `check`'s findings, and its `Report` for the deep analysis).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cedarcheck_analyzer::{
    Finding, IncrementalCheck, LineIndex, PolicySetInput, Report, Settings, SourceFile,
};
use cedarcheck_workspace::{find_config, PolicySetFiles, Workspace};

use crate::documents::{Document, Documents};
use crate::from_proto;
use crate::tasks::lock;

/// Larger buffers are not analysed as you type: a note says so instead.
pub const MAX_ANALYZED_BYTES: usize = 8 << 20;

/// A document's place in a workspace.
#[derive(Clone)]
pub struct Membership {
    pub workspace: Arc<Workspace>,
    /// The sets that have the file as a policy, schema, links, test or invariant file.
    pub sets: Vec<(usize, PolicySetFiles)>,
    /// The file relative to the workspace root.
    pub relative: String,
}

/// Why a document is analysed on its own: it is in no policy set.
#[derive(Clone)]
pub enum Alone {
    /// The workspace's config or discovery failed (bad cedarcheck.toml, two schemas…).
    WorkspaceError(String),
    /// No set of the workspace lists the file.
    NotInAnySet,
    /// An `untitled:` buffer, or a URI that is not a file.
    NotAFile,
}

/// The workspace and sets `path` belongs to. Without a cedarcheck.toml, the workspace is the
/// innermost editor workspace folder holding the file, else the file's directory (never the
/// server's working directory, which is the editor's business).
pub fn membership(path: &Path, folders: &[PathBuf]) -> Result<Membership, Alone> {
    let workspace = workspace_of(path, folders)?;
    let relative = workspace.relative(path).ok_or(Alone::NotInAnySet)?;
    let sets = workspace
        .policy_sets()
        .map_err(|e| Alone::WorkspaceError(e.to_string()))?;
    let sets: Vec<(usize, PolicySetFiles)> = sets
        .into_iter()
        .enumerate()
        .filter(|(_, set)| set.contains(&relative))
        .collect();
    if sets.is_empty() {
        return Err(Alone::NotInAnySet);
    }
    Ok(Membership {
        workspace: Arc::new(workspace),
        sets,
        relative,
    })
}

/// The workspace `path` lies in, found as [`membership`] finds it.
pub fn workspace_of(path: &Path, folders: &[PathBuf]) -> Result<Workspace, Alone> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    if find_config(dir).is_some() {
        Workspace::open(path, None)
    } else {
        let folder = folders
            .iter()
            .filter(|folder| path.starts_with(folder))
            .max_by_key(|folder| folder.components().count())
            .map_or(dir, PathBuf::as_path);
        Workspace::open(folder, None)
    }
    .map_err(|e| Alone::WorkspaceError(e.to_string()))
}

/// One file's findings with the text they point into.
#[derive(Clone)]
pub struct FileFindings {
    /// Absolute path.
    pub path: PathBuf,
    pub text: Arc<str>,
    pub index: Arc<LineIndex>,
    pub findings: Vec<Finding>,
}

/// The findings of one analysis for every file it covers (an empty list clears a file), and
/// the texts of the set's files for locating related information.
pub struct SetFindings {
    pub root: PathBuf,
    pub files: Vec<FileFindings>,
}

impl SetFindings {
    /// Root-relative path → the file, for related locations.
    pub fn file(&self, relative: &str) -> Option<&FileFindings> {
        let path = self.root.join(relative);
        self.files.iter().find(|f| f.path == path)
    }
}

/// What stays the same between edits of a policy file, so that a change costs what it
/// changed: each document's membership (config lookup, directory walk, glob expansion), the
/// text of files read from disk (the schema, policy files that are not open), and per policy
/// set the analyzer's [`IncrementalCheck`] (policies parsed statement by statement, the
/// parsed schema, validation results, all by content). Saving, opening or closing a document
/// clears the memberships and files ([`Cache::clear`]); a cached membership is also dropped
/// when the config it read is no longer the nearest one or its modification time or size
/// changed, and a cached file when its own did. The checks are kept: what they reuse is
/// looked up by text, so it cannot be stale.
#[derive(Default)]
pub struct Cache {
    memberships: Mutex<HashMap<PathBuf, CachedMembership>>,
    files: Mutex<HashMap<PathBuf, (FileStamp, SourceFile)>>,
    checks: Mutex<Checks>,
}

/// The incremental checks of the sets checked last, most recent last.
#[derive(Default)]
struct Checks {
    sets: Vec<(CheckKey, Arc<Mutex<IncrementalCheck>>)>,
}

/// Which files a check reads: a set's policy, schema and links files, or its invariants.
#[derive(Clone, PartialEq, Eq)]
struct CheckKey {
    root: PathBuf,
    invariants: bool,
    policies: Vec<String>,
    schema: Option<String>,
    links: Vec<String>,
}

/// How many sets keep their incremental check (a workspace rarely has more; a set whose
/// files change — a policy file created — is a new one).
const KEPT_CHECKS: usize = 16;

struct CachedMembership {
    folders: Vec<PathBuf>,
    /// The nearest cedarcheck.toml when it was computed, with its stamp.
    config: Option<(PathBuf, FileStamp)>,
    result: Result<Membership, Alone>,
}

/// Modification time and size: a file whose stamp is unchanged is not read again.
type FileStamp = (Option<SystemTime>, u64);

fn stamp_of(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok(), meta.len()))
}

fn nearest_config(path: &Path) -> Option<(PathBuf, FileStamp)> {
    let config = find_config(path.parent().unwrap_or(Path::new("/")))?;
    let stamp = stamp_of(&config)?;
    Some((config, stamp))
}

impl Cache {
    /// Forgets everything: files may have been created, saved or deleted.
    pub fn clear(&self) {
        lock(&self.memberships).clear();
        lock(&self.files).clear();
    }

    /// [`membership`], remembered per document until [`Cache::clear`] or its config changes.
    pub fn membership(&self, path: &Path, folders: &[PathBuf]) -> Result<Membership, Alone> {
        let config = nearest_config(path);
        if let Some(cached) = lock(&self.memberships).get(path) {
            if cached.folders == folders && cached.config == config {
                return cached.result.clone();
            }
        }
        let result = membership(path, folders);
        lock(&self.memberships).insert(
            path.to_path_buf(),
            CachedMembership {
                folders: folders.to_vec(),
                config,
                result: result.clone(),
            },
        );
        result
    }

    /// The incremental check of the set `key` names, kept for its next check.
    fn check_state(&self, key: CheckKey) -> Arc<Mutex<IncrementalCheck>> {
        let mut checks = lock(&self.checks);
        let state = match checks.sets.iter().position(|(k, _)| *k == key) {
            Some(at) => checks.sets.remove(at).1,
            None => Arc::default(),
        };
        checks.sets.push((key, state.clone()));
        if checks.sets.len() > KEPT_CHECKS {
            checks.sets.remove(0);
        }
        state
    }

    /// `cedarcheck_analyzer::check(input, settings).findings`, reusing what the previous
    /// check of the same set parsed and validated.
    fn check(&self, key: CheckKey, input: &PolicySetInput, settings: &Settings) -> Vec<Finding> {
        self.with_check(key, |check| check.check(input, settings))
    }

    /// `cedarcheck_analyzer::check(input, settings)`: the last check's report when it was of
    /// the same texts, else a new check's.
    fn report(&self, key: CheckKey, input: &PolicySetInput, settings: &Settings) -> Arc<Report> {
        self.with_check(key, |check| check.report(input, settings))
    }

    fn with_check<T>(&self, key: CheckKey, f: impl FnOnce(&mut IncrementalCheck) -> T) -> T {
        let state = self.check_state(key);
        let mut check = state.lock().unwrap_or_else(|poisoned| {
            // A check that panicked may have left half its work: start afresh.
            let mut check = poisoned.into_inner();
            *check = IncrementalCheck::new();
            state.clear_poison();
            check
        });
        f(&mut check)
    }

    /// A file on disk, read again only when its modification time or size changed.
    fn read_disk(&self, path: &Path, relative: &str) -> std::io::Result<SourceFile> {
        let stamp = stamp_of(path);
        if let Some(stamp) = stamp {
            if let Some((cached, file)) = lock(&self.files).get(path) {
                if *cached == stamp {
                    return Ok(SourceFile {
                        path: relative.to_string(),
                        ..file.clone()
                    });
                }
            }
        }
        let file = SourceFile::from_bytes(relative, std::fs::read(path)?);
        // A stamp taken before the read: a write in between is seen at the next check.
        if let Some(stamp) = stamp {
            lock(&self.files).insert(path.to_path_buf(), (stamp, file.clone()));
        }
        Ok(file)
    }
}

/// The analysis's view of the files: a snapshot of the open documents, keyed by path, read
/// instead of the disk.
#[derive(Clone, Default)]
pub struct Overlay {
    pub files: HashMap<PathBuf, Document>,
    /// What files not open are read through, and memberships are remembered in.
    pub cache: Arc<Cache>,
}

impl Overlay {
    /// The open `file:` documents by absolute path, reading other files through `cache`.
    pub fn new(documents: &Documents, cache: Arc<Cache>) -> Self {
        Self {
            cache,
            files: documents
                .iter()
                .filter_map(|(uri, doc)| Some((from_proto::file_path(uri)?, doc.clone())))
                .collect(),
        }
    }

    pub fn get(&self, path: &Path) -> Option<&Document> {
        self.files.get(path)
    }

    /// The newest edit among the files of a set; an analysis of those files taken at
    /// `stamp` or later is current.
    pub fn stamp_of<'a>(&self, paths: impl IntoIterator<Item = &'a Path>) -> u64 {
        paths
            .into_iter()
            .filter_map(|p| self.files.get(p))
            .map(|d| d.stamp)
            .max()
            .unwrap_or(0)
    }
}

/// Reads root-relative `relative`: the open buffer if there is one, else the file on disk
/// (through the overlay's [`Cache`]).
pub fn read(root: &Path, relative: &str, overlay: &Overlay) -> std::io::Result<SourceFile> {
    let path = root.join(relative);
    match overlay.get(&path) {
        Some(doc) => Ok(SourceFile::new(relative, doc.text.clone())),
        None => overlay.cache.read_disk(&path, relative),
    }
}

/// The set's policy, schema and links files, buffers first.
pub fn read_set(
    root: &Path,
    set: &PolicySetFiles,
    overlay: &Overlay,
) -> std::io::Result<PolicySetInput> {
    let read = |f: &String| read(root, f, overlay);
    Ok(PolicySetInput {
        policies: set.policies.iter().map(read).collect::<Result<_, _>>()?,
        schema: set.schema.as_ref().map(read).transpose()?,
        links: set.links.iter().map(read).collect::<Result<_, _>>()?,
    })
}

/// Parse, validation and static rules for a whole set, as `cedarcheck check --no-deep`
/// reports them, grouped per file (every policy, schema and links file gets its list).
pub fn check_set(
    root: &Path,
    set: &PolicySetFiles,
    settings: &Settings,
    overlay: &Overlay,
) -> std::io::Result<SetFindings> {
    let input = read_set(root, set, overlay)?;
    let findings = overlay.cache.check(set_key(root, set), &input, settings);
    Ok(group(root, input.files(), findings))
}

/// The set's files, buffers first, with their `Report` as [`check_set`] gives its findings:
/// the one the set's last check made, when it was of these texts. What the deep analysis
/// proves, without checking the set a second time.
pub fn checked_set(
    root: &Path,
    set: &PolicySetFiles,
    settings: &Settings,
    overlay: &Overlay,
) -> std::io::Result<(PolicySetInput, Arc<Report>)> {
    let input = read_set(root, set, overlay)?;
    let report = overlay.cache.report(set_key(root, set), &input, settings);
    Ok((input, report))
}

/// Which incremental check a set's policy, schema and links files have.
fn set_key(root: &Path, set: &PolicySetFiles) -> CheckKey {
    CheckKey {
        root: root.to_path_buf(),
        invariants: false,
        policies: set.policies.clone(),
        schema: set.schema.clone(),
        links: set.links.clone(),
    }
}

/// The invariant files of a set: they must parse and validate against the set's schema.
pub fn check_invariants(
    root: &Path,
    set: &PolicySetFiles,
    settings: &Settings,
    overlay: &Overlay,
) -> std::io::Result<SetFindings> {
    let input = PolicySetInput {
        policies: set
            .invariants
            .iter()
            .map(|f| read(root, f, overlay))
            .collect::<Result<_, _>>()?,
        schema: set
            .schema
            .as_ref()
            .map(|f| read(root, f, overlay))
            .transpose()?,
        links: Vec::new(),
    };
    let key = CheckKey {
        root: root.to_path_buf(),
        invariants: true,
        policies: set.invariants.clone(),
        schema: set.schema.clone(),
        links: Vec::new(),
    };
    let findings = overlay
        .cache
        .check(key, &input, settings)
        .into_iter()
        .filter(|f| {
            cedarcheck_analyzer::INVARIANT_FILE_RULES
                .iter()
                .any(|rule| rule.id == f.rule)
                && set.invariants.contains(&f.file)
        })
        .collect();
    Ok(group(root, input.policies.iter(), findings))
}

/// The test files of one set to run, as a refresh found them.
#[derive(Clone)]
pub struct TestJob {
    pub root: PathBuf,
    pub set: PolicySetFiles,
    /// How messages name the set (`cedarcheck test` names it so too).
    pub label: String,
    /// Root-relative test files.
    pub files: Vec<String>,
    /// Test threads, 0 = all cores (`[analysis] jobs`).
    pub jobs: usize,
}

/// The job that runs `files`, tests of `set`, as `cedarcheck test` runs them.
pub fn test_job(workspace: &Workspace, set: &PolicySetFiles, files: Vec<String>) -> TestJob {
    let label = match (&set.name, &workspace.config) {
        (Some(name), _) => name.clone(),
        (None, Some(config)) => {
            cedarcheck_test_runner::loader::display(&config.path, &workspace.root)
        }
        (None, None) => "every *.cedar of the workspace".into(),
    };
    TestJob {
        root: workspace.root.clone(),
        set: set.clone(),
        label,
        files,
        jobs: workspace.analysis().jobs,
    }
}

/// What one test file's run found, with the text it ran on.
pub struct TestFileRun {
    /// Absolute path.
    pub path: PathBuf,
    pub text: Arc<str>,
    pub index: Arc<LineIndex>,
    /// The file's report; `None` when it is JSON of another kind (`skipped` says which).
    pub report: Option<cedarcheck_test_runner::FileReport>,
    pub skipped: Option<&'static str>,
    /// The set the file ran against, for its errors and its policies' places.
    pub set: Option<Arc<cedarcheck_test_runner::SetReport>>,
    /// Why the tests could not run at all (an unreadable file, a set that cannot be read).
    pub error: Option<String>,
}

/// Runs a set's test files as `cedarcheck test` runs them, with the editor's buffers in place
/// of the test files, the set's policies and schema and the entities files on disk.
pub fn run_tests(job: &TestJob, overlay: &Overlay) -> Vec<TestFileRun> {
    use cedarcheck_test_runner::{Files, Options, TestInput};
    let files = Buffers::new(overlay);
    let sets = OneSet {
        job,
        overlay,
        label: job.label.clone(),
    };
    let inputs: Vec<TestInput> = job
        .files
        .iter()
        .map(|f| TestInput {
            path: job.root.join(f),
            explicit: false,
        })
        .collect();
    let options = Options {
        jobs: job.jobs,
        filter: None,
        cwd: job.root.clone(),
    };
    let (mut report, error) =
        match cedarcheck_test_runner::run_with_files(&inputs, &sets, &options, &files) {
            Ok(report) => (Some(report), None),
            Err(error) => (None, Some(error.to_string())),
        };
    let set_reports: Vec<Arc<cedarcheck_test_runner::SetReport>> = report
        .as_mut()
        .map(|r| {
            std::mem::take(&mut r.sets)
                .into_iter()
                .map(Arc::new)
                .collect()
        })
        .unwrap_or_default();
    job.files
        .iter()
        .map(|relative| {
            let path = job.root.join(relative);
            let text: Arc<str> = match files.read_text(&path) {
                Ok(Ok(text)) => text.into(),
                Ok(Err((_, lossy))) => lossy.into(),
                Err(_) => "".into(),
            };
            let display = cedarcheck_test_runner::loader::display(&path, &job.root);
            let file_report = report.as_mut().and_then(|r| {
                let at = r.files.iter().position(|f| f.path == display)?;
                Some(r.files.remove(at))
            });
            let skipped = report.as_ref().and_then(|r| {
                r.skipped
                    .iter()
                    .find(|(shown, _)| *shown == display)
                    .map(|(_, what)| *what)
            });
            TestFileRun {
                set: file_report
                    .as_ref()
                    .and_then(|f| f.set)
                    .and_then(|i| set_reports.get(i).cloned()),
                index: Arc::new(LineIndex::new(&text)),
                path,
                text,
                report: file_report,
                skipped,
                error: error.clone(),
            }
        })
        .collect()
}

/// The set a test job runs against, read with the editor's buffers.
struct OneSet<'a> {
    job: &'a TestJob,
    overlay: &'a Overlay,
    label: String,
}

impl cedarcheck_test_runner::PolicySets for OneSet<'_> {
    fn set_for(&self, _test_file: &Path) -> Result<usize, cedarcheck_test_runner::SetsError> {
        Ok(0)
    }

    fn read(
        &self,
        _set: usize,
    ) -> Result<cedarcheck_test_runner::SetSource, cedarcheck_test_runner::SetsError> {
        let input = read_set(&self.job.root, &self.job.set, self.overlay)
            .map_err(cedarcheck_test_runner::SetsError::new)?;
        Ok(cedarcheck_test_runner::SetSource {
            label: self.label.clone(),
            root: self.job.root.clone(),
            input,
        })
    }
}

/// Open documents in front of the disk, for the test runner: by the path the editor opened
/// them under, and by the path with symbolic links resolved (the runner resolves entities
/// paths so).
struct Buffers<'a> {
    overlay: &'a Overlay,
    canonical: HashMap<PathBuf, Arc<str>>,
}

impl<'a> Buffers<'a> {
    fn new(overlay: &'a Overlay) -> Self {
        let canonical = overlay
            .files
            .iter()
            .filter_map(|(path, doc)| Some((path.canonicalize().ok()?, doc.text.clone())))
            .collect();
        Self { overlay, canonical }
    }
}

impl cedarcheck_test_runner::Files for Buffers<'_> {
    fn read_text(&self, path: &Path) -> std::io::Result<Result<String, (usize, String)>> {
        let open = self
            .overlay
            .get(path)
            .map(|doc| &doc.text)
            .or_else(|| self.canonical.get(path));
        match open {
            Some(text) => Ok(Ok(text.to_string())),
            None => cedarcheck_test_runner::loader::read_text(path),
        }
    }
}

/// A buffer in no policy set, checked on its own with the workspace's rule levels (or the
/// defaults) and without a schema.
pub fn check_alone(path: &Path, text: Arc<str>, settings: &Settings) -> SetFindings {
    let name = path.file_name().map_or_else(
        || "untitled.cedar".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let file = SourceFile::new(name, text);
    let input = PolicySetInput {
        policies: vec![file.clone()],
        ..PolicySetInput::default()
    };
    let report = cedarcheck_analyzer::check(&input, settings);
    group(&root, [&file], report.findings)
}

pub fn group<'a>(
    root: &Path,
    files: impl IntoIterator<Item = &'a SourceFile>,
    findings: Vec<Finding>,
) -> SetFindings {
    let mut grouped: Vec<FileFindings> = files
        .into_iter()
        .map(|file| FileFindings {
            path: root.join(&file.path),
            index: Arc::new(LineIndex::new(&file.text)),
            text: file.text.clone(),
            findings: Vec::new(),
        })
        .collect();
    for finding in findings {
        let path = root.join(&finding.file);
        if let Some(file) = grouped.iter_mut().find(|f| f.path == path) {
            file.findings.push(finding);
        }
    }
    SetFindings {
        root: root.to_path_buf(),
        files: grouped,
    }
}

/// A policy or template of one buffer, for symbols, code actions and lenses.
#[derive(Clone)]
pub struct PolicyItem {
    /// Its `@id`, else Cedar's `policyN`.
    pub id: String,
    pub has_id: bool,
    /// The whole policy, annotations included.
    pub span: cedarcheck_analyzer::Span,
    pub effect: &'static str,
    pub template: bool,
}

/// The policies and templates of `text` in file order; `None` when it does not parse.
pub fn policies_in(text: &str) -> Option<Vec<PolicyItem>> {
    use std::str::FromStr;
    let parsed = cedar_policy::PolicySet::from_str(text).ok()?;
    let effect = |effect: cedar_policy::Effect| match effect {
        cedar_policy::Effect::Permit => "permit",
        cedar_policy::Effect::Forbid => "forbid",
    };
    let item = |cedar_id: &cedar_policy::PolicyId,
                annotation: Option<&str>,
                loc: Option<&cedar_policy_core::parser::Loc>,
                effect: &'static str,
                template: bool| {
        let span = loc.map_or(cedarcheck_analyzer::Span::empty_at(0), |l| {
            cedarcheck_analyzer::Span::new(l.start(), l.end())
        });
        let annotated = annotation.filter(|id| !id.is_empty());
        PolicyItem {
            id: annotated.map_or_else(|| cedar_id.to_string(), str::to_string),
            has_id: annotated.is_some(),
            span,
            effect,
            template,
        }
    };
    let mut items: Vec<PolicyItem> = parsed
        .policies()
        .map(|p| {
            item(
                p.id(),
                p.annotation("id"),
                p.as_ref().loc(),
                effect(p.effect()),
                false,
            )
        })
        .chain(parsed.templates().map(|t| {
            item(
                t.id(),
                t.annotation("id"),
                t.as_ref().loc(),
                effect(t.effect()),
                true,
            )
        }))
        .collect();
    items.sort_by_key(|item| item.span.start);
    Some(items)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use tower_lsp_server::ls_types::Uri;

    use super::*;

    /// The deep analysis proves the report the set's check made of the texts it proves: the
    /// static check's while the texts are the same, a new one after an edit.
    #[test]
    fn the_deep_analysis_gets_the_report_of_the_texts_it_proves() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app.cedarschema"),
            "namespace App {\n  entity User;\n  action read appliesTo { principal: [User], resource: [User] };\n}\n",
        )
        .unwrap();
        let one = "@id(\"a\")\npermit (principal, action, resource);\n";
        std::fs::write(dir.path().join("policies.cedar"), one).unwrap();
        let workspace = Workspace::open(dir.path(), None).unwrap();
        let set = workspace.policy_sets().unwrap().remove(0);
        let (root, settings) = (&workspace.root, workspace.settings());
        let mut overlay = Overlay::default();
        check_set(root, &set, &settings, &overlay).unwrap();
        let (input, report) = checked_set(root, &set, &settings, &overlay).unwrap();
        let (_, again) = checked_set(root, &set, &settings, &overlay).unwrap();
        assert!(Arc::ptr_eq(&report, &again));
        assert_eq!(&*input.policies[0].text, one);
        assert_eq!(report.policy_count, 1);

        let two = "@id(\"a\")\npermit (principal, action, resource);\n@id(\"b\")\nforbid (principal, action, resource);\n";
        let path = root.join("policies.cedar");
        let uri = Uri::from_str(&format!("file://{}", path.display())).unwrap();
        overlay
            .files
            .insert(path, Document::new(uri, two.into(), 2, 1));
        let (input, edited) = checked_set(root, &set, &settings, &overlay).unwrap();
        assert_eq!(&*input.policies[0].text, two);
        assert_eq!(edited.policy_count, 2);
        assert_eq!(
            edited.findings,
            cedarcheck_analyzer::check(&input, &settings).findings
        );
    }
}
