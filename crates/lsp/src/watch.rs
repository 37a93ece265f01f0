//! Files changed outside the editor (README "Language server"): which files matter, and, for
//! clients that do not watch files for the server, snapshots of the directories that hold the
//! known sets' files and what changed between two of them. No LSP types: the client's
//! `workspace/didChangeWatchedFiles` events and the poller's differences both become
//! [`Change`]s, which `handlers::watched_files` turns into refreshes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use cedarcheck_workspace::CONFIG_FILE;

/// How often a client that watches no files for the server has its directories polled.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The glob patterns registered with a client that watches files for the server: policies,
/// schemas (`*.cedarschema`, and `*.cedarschema.json` / `schema.json` among the JSON), links,
/// entities and test files (JSON), and the config.
pub const GLOBS: &[&str] = &[
    "**/*.cedar",
    "**/*.cedarschema",
    "**/*.json",
    "**/cedarcheck.toml",
];

/// What happened to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    Changed,
    Deleted,
}

/// Whether a change to `path` can change findings: the files [`GLOBS`] name.
pub fn relevant(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == CONFIG_FILE
        || [".cedar", ".cedarschema", ".json"]
            .iter()
            .any(|ext| name.ends_with(ext) && name.len() > ext.len())
}

/// Modification time and size.
pub type Stamp = (Option<SystemTime>, u64);

/// Per watched directory, its [`relevant`] files with their stamps; `None` when the
/// directory cannot be read (it was deleted, say).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// When it was begun.
    pub taken: Option<SystemTime>,
    pub dirs: BTreeMap<PathBuf, Option<BTreeMap<PathBuf, Stamp>>>,
}

impl Snapshot {
    /// A snapshot of no directory, taken now: the poller's first baseline.
    pub fn now() -> Self {
        Self {
            taken: Some(SystemTime::now()),
            dirs: BTreeMap::new(),
        }
    }
}

/// Reads the relevant files of each directory (not below it) and their stamps.
pub fn snapshot(dirs: impl IntoIterator<Item = PathBuf>) -> Snapshot {
    let mut snapshot = Snapshot::now();
    for dir in dirs {
        if snapshot.dirs.contains_key(&dir) {
            continue;
        }
        let files = std::fs::read_dir(&dir).ok().map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| relevant(path))
                .filter_map(|path| {
                    let meta = std::fs::metadata(&path).ok()?;
                    meta.is_file()
                        .then(|| (path, (meta.modified().ok(), meta.len())))
                })
                .collect()
        });
        snapshot.dirs.insert(dir, files);
    }
    snapshot
}

/// What changed from `old` to `new`, by path. A directory watched for the first time (a
/// document of a new set was opened) is not a creation of all its files: only those modified
/// since `old` was taken count, as changed (the document's first analysis may have read them
/// before the change).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<(PathBuf, Change)> {
    let empty = BTreeMap::new();
    let mut changes = Vec::new();
    for (dir, files) in &new.dirs {
        let Some(before) = old.dirs.get(dir) else {
            let since = old.taken;
            for (path, (modified, _)) in files.iter().flatten() {
                if since.is_some_and(|since| modified.is_some_and(|m| m >= since)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory's files by name and size, `None` when it cannot be read.
    type Dir<'a> = (&'a str, Option<&'a [(&'a str, u64)]>);

    fn snap(dirs: &[Dir]) -> Snapshot {
        Snapshot {
            taken: None,
            dirs: dirs
                .iter()
                .map(|(dir, files)| {
                    (
                        PathBuf::from(dir),
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
            dirs: BTreeMap::new(),
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
            dirs: [(PathBuf::from("/w"), Some(files))].into_iter().collect(),
        };
        assert_eq!(
            diff(&old, &new),
            vec![
                (PathBuf::from("/w/new.cedar"), Change::Changed),
                (PathBuf::from("/w/t.json"), Change::Changed),
            ]
        );
    }
}
