//! The IO of the test harness: finding test files, reading them, and resolving the paths they
//! contain. Everything else in this crate works on texts.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::error::PathError;

/// Directories never searched for test files: build output and dependencies (hidden
/// directories are skipped too), as for policies.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

/// Whether a file name is a test-file candidate: JSON that is not an entities file, or YAML.
pub fn is_test_candidate(name: &str) -> bool {
    (name.ends_with(".json") && !name.ends_with(".entities.json"))
        || crate::test_file::is_yaml(name)
}

/// Every test-file candidate below `dir`, sorted.
pub fn discover(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            entry.depth() == 0
                || !(entry.file_type().is_dir()
                    && (name.starts_with('.') || SKIPPED_DIRS.contains(&&*name)))
        });
    for entry in walker {
        let entry = entry.map_err(std::io::Error::from)?;
        if entry.file_type().is_file() && is_test_candidate(&entry.file_name().to_string_lossy()) {
            found.push(entry.into_path());
        }
    }
    Ok(found)
}

/// A file's text; `Err(offset)` inside when its bytes stop being UTF-8 at `offset`.
pub fn read_text(path: &Path) -> std::io::Result<Result<String, (usize, String)>> {
    let bytes = std::fs::read(path)?;
    Ok(String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        (
            offset,
            String::from_utf8_lossy(error.as_bytes()).into_owned(),
        )
    }))
}

/// A path as reports show it (the workspace's one helper, under the name this crate uses).
pub use cedarcheck_analyzer::display_path as display;

/// `path` with `.` and `..` resolved lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// An entities path written in a `run-tests` or native test file: relative to the test
/// file's directory, and never outside it (as `cedar run-tests` insists, symlinks resolved).
/// Unlike the Cedar CLI, a test file given by a relative path works.
pub fn resolve_beside(test_file: &Path, written: &str, cwd: &Path) -> Result<PathBuf, PathError> {
    let test_file = if test_file.is_absolute() {
        test_file.to_path_buf()
    } else {
        cwd.join(test_file)
    };
    let dir = test_file.parent().unwrap_or(Path::new("/")).to_path_buf();
    let joined = dir.join(written);
    let escapes = |dir: &Path| PathError::OutsideTestDir {
        written: written.to_string(),
        dir: display(dir, cwd),
    };
    let canonical_dir = dir.canonicalize().unwrap_or_else(|_| normalize(&dir));
    match joined.canonicalize() {
        Ok(canonical) => {
            if canonical.starts_with(&canonical_dir) {
                Ok(canonical)
            } else {
                Err(escapes(&dir))
            }
        }
        Err(error) => {
            if !normalize(&joined).starts_with(normalize(&dir)) {
                Err(escapes(&dir))
            } else if error.kind() == std::io::ErrorKind::NotFound {
                Err(PathError::EntitiesNotFound {
                    written: written.to_string(),
                    looked_for: display(&normalize(&joined), cwd),
                })
            } else {
                Err(PathError::Entities {
                    written: written.to_string(),
                    source: Arc::new(error),
                })
            }
        }
    }
}

/// A path written in an integration-test file: relative to the root of the repository that
/// holds the test. Tried against the working directory, then against each directory above the
/// test file, nearest first.
pub fn resolve_repo_relative(
    test_file: &Path,
    written: &str,
    cwd: &Path,
) -> Result<PathBuf, PathError> {
    let path = Path::new(written);
    if path.is_absolute() {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(PathError::NotFound {
                written: written.to_string(),
            })
        };
    }
    let test_file = cwd.join(test_file);
    std::iter::once(cwd)
        .chain(test_file.ancestors().skip(1))
        .map(|base| normalize(&base.join(path)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| PathError::NotFoundAbove {
            written: written.to_string(),
            test_file: display(&test_file, cwd),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, files: &[&str]) {
        for file in files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "[]").unwrap();
        }
    }

    #[test]
    fn discovery_skips_entities_hidden_and_build_directories() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                "a.json",
                "sub/b.json",
                "sub/b.yaml",
                "sub/c.entities.json",
                "notes.txt",
                ".git/d.json",
                "target/e.json",
            ],
        );
        let found: Vec<String> = discover(dir.path())
            .unwrap()
            .iter()
            .map(|p| display(p, dir.path()))
            .collect();
        assert_eq!(found, ["a.json", "sub/b.json", "sub/b.yaml"]);
    }

    #[test]
    fn entities_paths_stay_beside_the_test_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(
            &root,
            &[
                "tests/t.json",
                "tests/e.json",
                "tests/data/f.json",
                "outside.json",
            ],
        );
        let test = root.join("tests/t.json");
        assert_eq!(
            resolve_beside(&test, "e.json", &root).unwrap(),
            root.join("tests/e.json")
        );
        assert_eq!(
            resolve_beside(&test, "./data/../data/f.json", &root).unwrap(),
            root.join("tests/data/f.json")
        );
        // A relative test path works (the Cedar CLI fails to canonicalize "").
        assert_eq!(
            resolve_beside(Path::new("tests/t.json"), "e.json", &root).unwrap(),
            root.join("tests/e.json")
        );
        let e = resolve_beside(&test, "../outside.json", &root)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is outside the test file's directory `tests`"),
            "{e}"
        );
        let e = resolve_beside(&test, "../missing.json", &root)
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside"), "{e}");
        let e = resolve_beside(&test, "missing.json", &root)
            .unwrap_err()
            .to_string();
        assert!(e.contains("entities file `missing.json` not found"), "{e}");
    }

    #[test]
    fn integration_paths_are_found_from_the_working_directory_or_above_the_test() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(
            &root,
            &["repo/tests/x/t.json", "repo/sample-data/s.cedarschema"],
        );
        let test = root.join("repo/tests/x/t.json");
        // From the repository root, and from anywhere else.
        for cwd in [root.join("repo"), root.clone(), root.join("repo/tests")] {
            assert_eq!(
                resolve_repo_relative(&test, "sample-data/s.cedarschema", &cwd).unwrap(),
                root.join("repo/sample-data/s.cedarschema")
            );
        }
        let e = resolve_repo_relative(&test, "nope.cedar", &root)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`nope.cedar` not found"), "{e}");
    }
}
