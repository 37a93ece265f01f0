//! Files changed outside the editor (README "Language server"): which files matter — the
//! known sets' files, the files their globs could match, and the cedarcheck.toml files that
//! could govern the known documents (a [`Scope`]) — and, for clients that do not watch files
//! for the server, snapshots of the scope's directories and what changed between two of them.
//! No LSP types: the client's `workspace/didChangeWatchedFiles` events and the poller's
//! differences both become [`Change`]s, which `handlers::watched_files` turns into refreshes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use cedarcheck_workspace::CONFIG_FILE;

/// How often a client that watches no files for the server has its directories polled.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The glob patterns registered with a client that watches files for the server: policies,
/// schemas (`*.cedarschema`, and `*.cedarschema.json` / `schema.json` among the JSON), links,
/// entities and test files (JSON), and the config. The client reports more than matters (any
/// JSON file, build output's too): [`Scope::covers`] keeps what does.
pub const GLOBS: &[&str] = &[
    "**/*.cedar",
    "**/*.cedarschema",
    "**/*.json",
    "**/cedarcheck.toml",
];

/// Directories a set's glob is never followed into, as `cedarcheck check` never searches them
/// for policies (README "Configuration"): build output and dependencies, and hidden ones
/// (`.git`).
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

/// Whether a directory below a watched tree is left out (see [`SKIPPED_DIRS`]).
pub fn skipped(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || SKIPPED_DIRS.contains(&&*name)
}

/// What happened to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    Changed,
    Deleted,
}

/// Whether a file of this name can change findings: the files [`GLOBS`] name.
pub fn relevant(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == CONFIG_FILE
        || [".cedar", ".cedarschema", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext) && name.len() > ext.len())
}

/// The directory a root-relative glob pattern can match files in, and whether the
/// directories below it too: its leading components without wildcards, with everything below
/// (a glob's `*` and `?` also match `/`), or for a pattern without wildcards the directory of
/// the file it names — as `cedarcheck check` reads a set's patterns.
pub fn base_of(pattern: &str) -> (PathBuf, bool) {
    let pattern = pattern.replace('\\', "/");
    let pattern = pattern.strip_prefix("./").unwrap_or(&pattern);
    let parts: Vec<&str> = pattern.split('/').collect();
    let wild = |part: &&str| part.contains(['*', '?', '[', '{', '\\']);
    match parts.iter().position(wild) {
        Some(first) => (parts[..first].iter().collect(), true),
        None => (parts[..parts.len() - 1].iter().collect(), false),
    }
}

/// Where a change can matter: absolute directories.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Directories whose own files count (those of a set's files, a workspace root).
    pub dirs: BTreeSet<PathBuf>,
    /// Directories whose files count, and those of every directory below them that is not
    /// [`skipped`] (a set's glob can match files there).
    pub trees: BTreeSet<PathBuf>,
    /// Directories whose cedarcheck.toml counts: the known documents' and their ancestors
    /// (a config created there may become a document's nearest). Not polled.
    pub configs: BTreeSet<PathBuf>,
}

impl Scope {
    /// Adds a directory whose own files count (its path cleaned: `a/./b/` is `a/b`).
    pub fn add_dir(&mut self, dir: &Path) {
        self.dirs.insert(dir.components().collect());
    }

    /// Adds a directory whose files and those below count.
    pub fn add_tree(&mut self, dir: &Path) {
        self.trees.insert(dir.components().collect());
    }

    /// Whether a change to the file `path` can change findings.
    pub fn covers(&self, path: &Path) -> bool {
        let Some(dir) = path.parent() else {
            return false;
        };
        if !relevant(path) {
            return false;
        }
        if path.file_name().is_some_and(|n| n == CONFIG_FILE) && self.configs.contains(dir) {
            return true;
        }
        self.dirs.contains(dir)
            || self.trees.iter().any(|tree| {
                dir.strip_prefix(tree).is_ok_and(|below| {
                    below
                        .components()
                        .all(|c| matches!(c, Component::Normal(name) if !skipped(name)))
                })
            })
    }
}

/// Modification time and size.
pub type Stamp = (Option<SystemTime>, u64);

/// Per polled directory, its [`relevant`] files with their stamps; `None` when the
/// directory cannot be read (it was deleted, say).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// When it was begun.
    pub taken: Option<SystemTime>,
    /// Keyed by the directories' paths as they are, without [`Path`]'s comparison component
    /// by component, which was most of an idle poll's cost (the scope's paths are clean).
    pub dirs: HashMap<OsString, Option<BTreeMap<PathBuf, Stamp>>>,
    /// The directories whose subdirectories were looked at too (in a [`Scope::trees`]): a
    /// directory first seen below one of them was created since.
    pub expanded: HashSet<OsString>,
    /// What each directory's listing was read at, so that the next look need not list it
    /// again while the directory is unchanged.
    pub listings: HashMap<OsString, Listing>,
}

/// A directory's modification time when it was listed (creating, deleting or renaming an
/// entry changes it) and its subdirectories, when they were wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    pub modified: SystemTime,
    pub subdirs: Option<Vec<PathBuf>>,
}

/// A directory modified this shortly before the previous look is listed again: an entry
/// created in the same tick of the file system's clock as the listing leaves the
/// modification time as it was.
const RACY: Duration = Duration::from_secs(1);

impl Snapshot {
    /// A snapshot of no directory, taken now: the poller's first baseline.
    pub fn now() -> Self {
        Self {
            taken: Some(SystemTime::now()),
            ..Self::default()
        }
    }
}

/// Reads the relevant files of the scope's directories and their stamps, following its trees
/// down (not into [`skipped`] directories, nor through symbolic links). A directory not
/// modified since `previous` listed it is not listed again: a `stat` of it and of its relevant
/// files is all an idle look costs, so the poll stays cheap on a large tree. A directory
/// `previous` read that is gone now is recorded as unreadable, so its files count as deleted.
pub fn snapshot(scope: &Scope, previous: &Snapshot) -> Snapshot {
    let mut snapshot = Snapshot::now();
    let mut pending: Vec<(PathBuf, bool)> = scope
        .dirs
        .iter()
        .map(|dir| (dir.clone(), false))
        .chain(scope.trees.iter().map(|dir| (dir.clone(), true)))
        .collect();
    // Trees first (and their subdirectories, pushed on top), so that a directory both
    // listed and below a tree is expanded.
    pending.sort_by_key(|(_, below)| *below);
    while let Some((dir, below)) = pending.pop() {
        if below {
            if !snapshot.expanded.insert(dir.clone().into_os_string()) {
                continue;
            }
        } else if snapshot.dirs.contains_key(dir.as_os_str()) {
            continue;
        }
        let modified = std::fs::metadata(&dir).and_then(|m| m.modified()).ok();
        let settled = |m: &SystemTime| previous.taken.is_some_and(|t| *m + RACY < t);
        let known = previous
            .listings
            .get(dir.as_os_str())
            .filter(|l| Some(l.modified) == modified && settled(&l.modified))
            .filter(|l| !below || l.subdirs.is_some())
            .zip(previous.dirs.get(dir.as_os_str()).and_then(Option::as_ref));
        let (files, subdirs) = match known {
            Some((listing, files)) => (
                files
                    .keys()
                    .filter_map(|path| Some((path.clone(), stamp(path)?)))
                    .collect(),
                listing.subdirs.clone().filter(|_| below),
            ),
            None => match list(&dir, below) {
                Some(listed) => listed,
                None => {
                    snapshot.dirs.insert(dir.into_os_string(), None);
                    continue;
                }
            },
        };
        pending.extend(subdirs.iter().flatten().map(|sub| (sub.clone(), true)));
        if let Some(modified) = modified {
            snapshot
                .listings
                .insert(dir.clone().into_os_string(), Listing { modified, subdirs });
        }
        snapshot.dirs.insert(dir.into_os_string(), Some(files));
    }
    for (dir, files) in &previous.dirs {
        if files.is_some() && !snapshot.dirs.contains_key(dir) && !Path::new(dir).is_dir() {
            snapshot.dirs.insert(dir.clone(), None);
        }
    }
    snapshot
}

/// A file's stamp (a symbolic link to a file counts as the file); `None` for anything else.
fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    meta.is_file().then(|| (meta.modified().ok(), meta.len()))
}

/// The relevant files of `dir` with their stamps, and with `below` its subdirectories that
/// are not [`skipped`]; `None` when it cannot be read.
#[allow(clippy::type_complexity, reason = "a private helper's pair")]
fn list(dir: &Path, below: bool) -> Option<(BTreeMap<PathBuf, Stamp>, Option<Vec<PathBuf>>)> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut files = BTreeMap::new();
    let mut subdirs = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            if below && !skipped(&entry.file_name()) {
                subdirs.push(path);
            }
        } else if relevant(&path) {
            if let Some(stamp) = stamp(&path) {
                files.insert(path, stamp);
            }
        }
    }
    subdirs.sort();
    Some((files, below.then_some(subdirs)))
}

/// What changed from `old` to `new`, by path. A directory that appeared below one `old`
/// looked into was created since: its files were created. Another directory watched for the
/// first time (a document of a new set was opened) is not a creation of all its files: only
/// those modified since `old` was taken count, as changed (the document's first analysis may
/// have read them before the change).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<(PathBuf, Change)> {
    let empty = BTreeMap::new();
    let mut changes = Vec::new();
    for (dir, files) in &new.dirs {
        let Some(before) = old.dirs.get(dir) else {
            let created = created_below(old, Path::new(dir));
            let since = old.taken;
            for (path, (modified, _)) in files.iter().flatten() {
                if created {
                    changes.push((path.clone(), Change::Created));
                } else if since.is_some_and(|since| modified.is_some_and(|m| m >= since)) {
                    changes.push((path.clone(), Change::Changed));
                }
            }
            continue;
        };
        let before = before.as_ref().unwrap_or(&empty);
        let after = files.as_ref().unwrap_or(&empty);
        for (path, stamp) in after {
            match before.get(path) {
                None => changes.push((path.clone(), Change::Created)),
                Some(old) if old != stamp => changes.push((path.clone(), Change::Changed)),
                Some(_) => {}
            }
        }
        for path in before.keys() {
            if !after.contains_key(path) {
                changes.push((path.clone(), Change::Deleted));
            }
        }
    }
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    changes
}

/// Whether `dir`, which `old` did not look at, lies below a directory `old` looked into with
/// only directories `old` did not see in between: it appeared since.
fn created_below(old: &Snapshot, dir: &Path) -> bool {
    for above in dir.ancestors().skip(1) {
        if old.expanded.contains(above.as_os_str()) {
            return true;
        }
        if old.dirs.contains_key(above.as_os_str()) {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory's files by name and size, `None` when it cannot be read.
    type Dir<'a> = (&'a str, Option<&'a [(&'a str, u64)]>);

    fn snap(dirs: &[Dir]) -> Snapshot {
        Snapshot {
            taken: None,
            expanded: HashSet::new(),
            listings: HashMap::new(),
            dirs: dirs
                .iter()
                .map(|(dir, files)| {
                    (
                        OsString::from(dir),
                        files.map(|files| {
                            files
                                .iter()
                                .map(|(f, size)| (Path::new(dir).join(f), (None, *size)))
                                .collect()
                        }),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn relevant_files_are_cedar_schemas_json_and_the_config() {
        for yes in [
            "/w/a.cedar",
            "/w/s.cedarschema",
            "/w/s.cedarschema.json",
            "/w/schema.json",
            "/w/x.links.json",
            "/w/cedarcheck.toml",
        ] {
            assert!(relevant(Path::new(yes)), "{yes}");
        }
        for no in [
            "/w/Cargo.toml",
            "/w/a.cedar.bak",
            "/w/.cedar",
            "/w/README.md",
            "/",
        ] {
            assert!(!relevant(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn differences_in_known_directories_are_creations_changes_and_deletions() {
        let old = snap(&[
            (
                "/w",
                Some(&[("a.cedar", 1), ("b.cedar", 2), ("c.cedar", 3)]),
            ),
            ("/w/gone", Some(&[("t.json", 1)])),
        ]);
        let new = snap(&[
            (
                "/w",
                Some(&[("a.cedar", 1), ("b.cedar", 5), ("d.cedar", 1)]),
            ),
            ("/w/gone", None),
            // Watched for the first time: no events.
            ("/w/new", Some(&[("e.cedar", 1)])),
        ]);
        assert_eq!(
            diff(&old, &new),
            vec![
                (PathBuf::from("/w/b.cedar"), Change::Changed),
                (PathBuf::from("/w/c.cedar"), Change::Deleted),
                (PathBuf::from("/w/d.cedar"), Change::Created),
                (PathBuf::from("/w/gone/t.json"), Change::Deleted),
            ]
        );
        assert_eq!(diff(&new, &new), vec![]);
    }

    #[test]
    fn in_a_newly_watched_directory_files_modified_since_the_last_look_are_changed() {
        let at = |secs| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        let old = Snapshot {
            taken: at(100),
            ..Snapshot::default()
        };
        let files = [
            ("/w/old.cedar", at(99)),
            ("/w/new.cedar", at(100)),
            ("/w/t.json", at(101)),
        ]
        .into_iter()
        .map(|(path, modified)| (PathBuf::from(path), (modified, 1)))
        .collect();
        let new = Snapshot {
            taken: at(102),
            dirs: [(OsString::from("/w"), Some(files))].into_iter().collect(),
            ..Snapshot::default()
        };
        assert_eq!(
            diff(&old, &new),
            vec![
                (PathBuf::from("/w/new.cedar"), Change::Changed),
                (PathBuf::from("/w/t.json"), Change::Changed),
            ]
        );
    }

    #[test]
    fn a_glob_reaches_its_leading_directories_and_with_a_wildcard_those_below() {
        for (pattern, dir, below) in [
            ("policies/**/*.cedar", "policies", true),
            ("policies/*.cedar", "policies", true),
            ("**/*.cedar", "", true),
            ("a/b?/c.cedar", "a", true),
            ("a/{b,c}/d.json", "a", true),
            ("a\\b\\*.cedar", "a/b", true),
            ("./tests/x.json", "tests", false),
            ("schema.cedarschema", "", false),
        ] {
            assert_eq!(base_of(pattern), (PathBuf::from(dir), below), "{pattern}");
        }
    }

    #[test]
    fn the_scope_is_its_directories_its_trees_but_skipped_ones_and_configs_above_documents() {
        let mut scope = Scope::default();
        scope.add_dir(Path::new("/w/"));
        scope.add_tree(Path::new("/w/./policies"));
        scope.add_tree(Path::new("/w/target/gen"));
        scope
            .configs
            .extend(Path::new("/w/app").ancestors().map(Path::to_path_buf));
        for yes in [
            "/w/x.json",
            "/w/cedarcheck.toml",
            "/w/policies/a.cedar",
            "/w/policies/a/b/c.cedarschema",
            "/w/target/gen/a.cedar",
            "/w/app/cedarcheck.toml",
            "/cedarcheck.toml",
        ] {
            assert!(scope.covers(Path::new(yes)), "{yes}");
        }
        for no in [
            "/w/sub/x.json",
            "/w/policies/README.md",
            "/w/policies/target/a.cedar",
            "/w/policies/node_modules/p/a.json",
            "/w/policies/.git/x.json",
            "/w/target/debug/.fingerprint/x.json",
            "/w/app/x.json",
            "/w/other/cedarcheck.toml",
        ] {
            assert!(!scope.covers(Path::new(no)), "{no}");
        }
    }

    /// Sets a directory's modification time an hour back, as if long unchanged.
    fn age(dir: &Path) {
        let past = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::open(dir)
            .unwrap()
            .set_modified(past)
            .unwrap();
    }

    #[test]
    fn a_directory_created_below_a_tree_has_its_files_created_and_a_removed_one_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let policies = root.join("policies");
        std::fs::create_dir(&policies).unwrap();
        std::fs::write(policies.join("a.cedar"), "x").unwrap();
        age(&policies);
        let mut scope = Scope::default();
        scope.add_tree(&policies);
        let first = snapshot(&scope, &Snapshot::now());
        assert_eq!(diff(&Snapshot::default(), &first), vec![]);

        let deeper = policies.join("sub/deeper");
        for dir in [
            "sub/deeper",
            "sub/target",
            "sub/node_modules/p",
            "sub/.cache",
        ] {
            std::fs::create_dir_all(policies.join(dir)).unwrap();
            std::fs::write(policies.join(dir).join("c.cedar"), "x").unwrap();
        }
        std::fs::write(deeper.join("README.md"), "x").unwrap();
        let second = snapshot(&scope, &first);
        assert_eq!(
            diff(&first, &second),
            vec![(deeper.join("c.cedar"), Change::Created)]
        );

        std::fs::remove_dir_all(policies.join("sub")).unwrap();
        let third = snapshot(&scope, &second);
        assert_eq!(
            diff(&second, &third),
            vec![(deeper.join("c.cedar"), Change::Deleted)]
        );
    }

    #[test]
    fn an_unchanged_directory_is_not_listed_again_but_its_files_are_looked_at() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("policies");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a.cedar"), "x").unwrap();
        age(&dir);
        let mut scope = Scope::default();
        scope.add_dir(&dir);
        let first = snapshot(&scope, &Snapshot::now());

        // A file's content changed: the directory is as it was, the file's stamp is not.
        std::fs::write(dir.join("a.cedar"), "xy").unwrap();
        // A file slipped in with the directory's time set back is not listed…
        let listed = first.listings[dir.as_os_str()].modified;
        std::fs::write(dir.join("b.cedar"), "x").unwrap();
        std::fs::File::open(&dir)
            .unwrap()
            .set_modified(listed)
            .unwrap();
        let second = snapshot(&scope, &first);
        assert_eq!(
            diff(&first, &second),
            vec![(dir.join("a.cedar"), Change::Changed)]
        );
        // …until the directory changes.
        std::fs::write(dir.join("c.cedar"), "x").unwrap();
        let third = snapshot(&scope, &second);
        assert_eq!(
            diff(&second, &third),
            vec![
                (dir.join("b.cedar"), Change::Created),
                (dir.join("c.cedar"), Change::Created),
            ]
        );
        // A directory modified within a second before the last look is listed again: an
        // entry created in the same tick of the clock leaves its time as it was.
        let listed = third.listings[dir.as_os_str()].modified;
        std::fs::write(dir.join("d.cedar"), "x").unwrap();
        std::fs::File::open(&dir)
            .unwrap()
            .set_modified(listed)
            .unwrap();
        let fourth = snapshot(&scope, &third);
        assert_eq!(
            diff(&third, &fourth),
            vec![(dir.join("d.cedar"), Change::Created)]
        );
    }
}
