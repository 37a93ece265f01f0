//! From a path on the command line to policy sets: find `cedarcheck.toml` upwards, or fall
//! back to zero-config discovery, then expand the globs and read the files.

use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{PolicySetInput, Settings, SourceFile};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::{AnalysisConfig, Config, SetConfig, CONFIG_FILE};
use crate::WorkspaceError;

/// Directories never searched for policies: VCS metadata, build output, dependencies.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

/// The nearest `cedarcheck.toml` in `dir` or its ancestors.
pub fn find_config(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

/// A directory whose policy sets are checked together, with or without a config file.
#[derive(Debug)]
pub struct Workspace {
    /// The config's directory, or the directory searched without one. Report paths are
    /// relative to it.
    pub root: PathBuf,
    pub config: Option<Config>,
}

/// One policy set's files, relative to the workspace root with `/` separators.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicySetFiles {
    pub name: Option<String>,
    pub policies: Vec<String>,
    pub schema: Option<String>,
    pub links: Vec<String>,
    pub tests: Vec<String>,
    pub invariants: Vec<String>,
}

impl Workspace {
    /// The workspace `path` (a file or directory) belongs to: the nearest config above it,
    /// `config` when given, else zero-config rooted at `path` for a directory, and for a file
    /// at the current directory (when the file lies below it) or the file's directory.
    pub fn open(path: &Path, config: Option<&Path>) -> Result<Self, WorkspaceError> {
        let dir = if path.is_dir() {
            path.to_path_buf()
        } else {
            // `a.cedar` has the parent `""`.
            match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        let dir = std::path::absolute(&dir).map_err(|error| WorkspaceError::Io {
            path: dir.clone(),
            error,
        })?;
        let config_path = match config {
            Some(explicit) => Some(explicit.to_path_buf()),
            None => find_config(&dir),
        };
        match config_path {
            Some(config_path) => {
                let config = Config::load(&config_path)?;
                let root = std::path::absolute(&config.root).unwrap_or(config.root.clone());
                Ok(Self {
                    root,
                    config: Some(config),
                })
            }
            // Without a config, a file belongs to the set `cedarcheck check` in the current
            // directory would check, so that naming files (as pre-commit does) only narrows
            // what is shown.
            None => {
                let cwd = std::env::current_dir().ok();
                let root = match cwd {
                    Some(cwd) if !path.is_dir() && dir.starts_with(&cwd) => cwd,
                    _ => dir,
                };
                Ok(Self { root, config: None })
            }
        }
    }

    pub fn settings(&self) -> Settings {
        self.config
            .as_ref()
            .map(|c| c.settings.clone())
            .unwrap_or_default()
    }

    pub fn analysis(&self) -> AnalysisConfig {
        self.config
            .as_ref()
            .map(|c| c.analysis.clone())
            .unwrap_or_default()
    }

    /// Expands the config's globs (or the zero-config defaults) into policy sets.
    pub fn policy_sets(&self) -> Result<Vec<PolicySetFiles>, WorkspaceError> {
        let default_set = [SetConfig {
            policies: vec!["**/*.cedar".into()],
            ..SetConfig::default()
        }];
        let (sets, exclude): (&[SetConfig], &[String]) = match &self.config {
            Some(config) => (&config.sets, &config.exclude),
            None => (&default_set, &[]),
        };
        let exclude = glob_set(exclude);
        let files = walk(&self.root, &exclude)?;
        sets.iter().map(|set| self.resolve(set, &files)).collect()
    }

    fn resolve(&self, set: &SetConfig, files: &[String]) -> Result<PolicySetFiles, WorkspaceError> {
        let matching = |globs: &[String]| -> Vec<String> {
            let globs = glob_set(globs);
            files
                .iter()
                .filter(|f| globs.is_match(f))
                .cloned()
                .collect()
        };
        let invariants = matching(&set.invariants);
        let policies: Vec<String> = matching(&set.policies)
            .into_iter()
            .filter(|f| !invariants.contains(f))
            .collect();
        let tests = matching(&set.tests)
            .into_iter()
            .filter(|f| !f.ends_with(".entities.json"))
            .collect();
        if policies.is_empty() {
            let detail = match &self.config {
                Some(config) => format!(
                    "no policy files match `policies = {:?}` in {}",
                    set.policies,
                    config.path.display()
                ),
                None => "no *.cedar policy files found (and no cedarcheck.toml)".to_string(),
            };
            return Err(WorkspaceError::NoPolicies {
                root: self.root.clone(),
                detail,
            });
        }
        let schema = match &set.schema {
            Some(schema) => {
                let path = schema.get_ref();
                if !self.root.join(path).is_file() {
                    let config = self
                        .config
                        .as_ref()
                        .expect("a schema key comes from a config");
                    return Err(config.error_at(
                        schema.span(),
                        format!("schema file `{path}` does not exist"),
                    ));
                }
                Some(normalize(path))
            }
            None => {
                let candidates: Vec<String> = files
                    .iter()
                    .filter(|f| f.ends_with(".cedarschema") || f.ends_with(".cedarschema.json"))
                    .cloned()
                    .collect();
                if candidates.len() > 1 {
                    return Err(WorkspaceError::AmbiguousSchema {
                        root: self.root.clone(),
                        candidates,
                    });
                }
                candidates.into_iter().next()
            }
        };
        Ok(PolicySetFiles {
            name: set.name.clone(),
            policies,
            schema,
            links: matching(&set.links),
            tests,
            invariants,
        })
    }

    /// `path` relative to the root with `/` separators, if it lies inside the workspace.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let absolute = std::path::absolute(path).ok()?;
        let relative = absolute.strip_prefix(&self.root).ok()?;
        Some(normalize(&relative.to_string_lossy()))
    }
}

impl PolicySetFiles {
    /// Reads the set's policy, schema and links files. Bytes that are not UTF-8 are not an
    /// error here: the analysis reports them where they are.
    pub fn read(&self, root: &Path) -> Result<PolicySetInput, WorkspaceError> {
        let read = |relative: &String| -> Result<SourceFile, WorkspaceError> {
            let path = root.join(relative);
            let bytes = std::fs::read(&path).map_err(|error| WorkspaceError::Io { path, error })?;
            Ok(SourceFile::from_bytes(relative.clone(), bytes))
        };
        Ok(PolicySetInput {
            policies: self.policies.iter().map(read).collect::<Result<_, _>>()?,
            schema: self.schema.as_ref().map(read).transpose()?,
            links: self.links.iter().map(read).collect::<Result<_, _>>()?,
        })
    }

    /// Whether a root-relative path is one of this set's files.
    pub fn contains(&self, relative: &str) -> bool {
        self.policies
            .iter()
            .chain(&self.schema)
            .chain(&self.links)
            .chain(&self.tests)
            .chain(&self.invariants)
            .any(|f| f == relative)
    }
}

/// Every file below `root` (relative, sorted), skipping hidden and build directories and what
/// `exclude` matches.
fn walk(root: &Path, exclude: &GlobSet) -> Result<Vec<String>, WorkspaceError> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0
                || !(entry.file_type().is_dir()
                    && (entry.file_name().to_string_lossy().starts_with('.')
                        || SKIPPED_DIRS.contains(&&*entry.file_name().to_string_lossy())))
        });
    for entry in walker {
        let entry = entry.map_err(|e| WorkspaceError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            error: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let relative = normalize(&relative.to_string_lossy());
        if !exclude.is_match(&relative) {
            files.push(relative);
        }
    }
    Ok(files)
}

/// Globs were checked when the config was parsed; an invalid one here matches nothing.
fn glob_set(patterns: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}

fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.strip_prefix("./").map_or(path.clone(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    #[test]
    fn zero_config_takes_every_policy_and_the_single_schema() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("a.cedar", ""),
                ("sub/b.cedar", ""),
                ("s.cedarschema", ""),
                ("target/c.cedar", ""),
                (".git/d.cedar", ""),
            ],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let sets = ws.policy_sets().unwrap();
        assert_eq!(sets[0].policies, ["a.cedar", "sub/b.cedar"]);
        assert_eq!(sets[0].schema.as_deref(), Some("s.cedarschema"));
    }

    #[test]
    fn zero_config_with_two_schemas_asks_which() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("a.cedar", ""),
                ("one.cedarschema", ""),
                ("two.cedarschema.json", ""),
            ],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let e = ws.policy_sets().unwrap_err().to_string();
        assert!(
            e.contains("found 2 schemas (one.cedarschema, two.cedarschema.json)"),
            "{e}"
        );
    }

    #[test]
    fn config_is_found_upwards_and_its_globs_are_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "cedarcheck.toml",
                    "policies = [\"policies/**/*.cedar\"]\nschema = \"policies/s.cedarschema\"\ninvariants = [\"policies/invariants/*.cedar\"]\nexclude = [\"policies/old/**\"]\n",
                ),
                ("policies/a.cedar", ""),
                ("policies/old/b.cedar", ""),
                ("policies/invariants/i.cedar", ""),
                ("policies/s.cedarschema", ""),
            ],
        );
        let ws = Workspace::open(&dir.path().join("policies/a.cedar"), None).unwrap();
        assert_eq!(ws.root, std::path::absolute(dir.path()).unwrap());
        let set = &ws.policy_sets().unwrap()[0];
        assert_eq!(set.policies, ["policies/a.cedar"]);
        assert_eq!(set.invariants, ["policies/invariants/i.cedar"]);
        assert!(set.contains("policies/s.cedarschema"));
    }

    #[test]
    fn a_missing_schema_is_located_in_the_config() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("cedarcheck.toml", "\nschema = \"nope.cedarschema\"\n"),
                ("a.cedar", ""),
            ],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let e = ws.policy_sets().unwrap_err().to_string();
        assert!(
            e.ends_with("cedarcheck.toml:2:10: schema file `nope.cedarschema` does not exist"),
            "{e}"
        );
    }
}
