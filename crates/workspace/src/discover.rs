//! From a path on the command line to policy sets: find `cedarcheck.toml` upwards, or fall
//! back to zero-config discovery, then expand the globs and read the files.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use cedarcheck_analyzer::{json_content, JsonContent, PolicySetInput, Settings, SourceFile};
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
    /// How `schema` was chosen (what `-v` says about it).
    pub schema_origin: SchemaOrigin,
    /// Whether `schema` was discovered by its content (a Cedar JSON schema named, say,
    /// `schema.json`) rather than named in the config or by a `*.cedarschema` name.
    pub schema_by_content: bool,
    pub links: Vec<String>,
    pub tests: Vec<String>,
    pub invariants: Vec<String>,
}

/// How a policy set's schema was chosen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SchemaOrigin {
    /// The config's `schema` key names it.
    #[default]
    Configured,
    /// No `schema` key, and no `[[set]]` table (zero-config, or the config's top-level keys):
    /// the single schema below the workspace root, if any.
    BelowRoot,
    /// A `[[set]]` without `schema`: the single schema in the directories its `policies`
    /// cover, if any. Root-relative directories, `""` for the root itself.
    NextToPolicies { dirs: Vec<String> },
}

impl Workspace {
    /// The workspace `path` (a file or directory) belongs to: the nearest config above it,
    /// `config` when given, else zero-config rooted at `path` for a directory, and for a file
    /// at the current directory (when the file lies below it) or the file's directory.
    pub fn open(path: &Path, config: Option<&Path>) -> Result<Self, WorkspaceError> {
        Self::open_as(path, config, path.is_dir())
    }

    /// The workspace of test files at `path` (`cedarcheck test`, `mutants`): as [`open`],
    /// except that without a config a directory below the current directory that holds tests
    /// and no policy belongs to the current directory's set, as a test file there does.
    ///
    /// [`open`]: Workspace::open
    pub fn open_tests(path: &Path, config: Option<&Path>) -> Result<Self, WorkspaceError> {
        let has_policies = path.is_dir()
            && walk(path, &GlobSet::empty())
                .map(|files| files.iter().any(|f| f.ends_with(".cedar")))
                .unwrap_or(true);
        Self::open_as(path, config, has_policies)
    }

    fn open_as(
        path: &Path,
        config: Option<&Path>,
        dir_is_root: bool,
    ) -> Result<Self, WorkspaceError> {
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
                    Some(cwd) if !dir_is_root && dir.starts_with(&cwd) => cwd,
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
        let json = json_contents(&self.root, &files);
        sets.iter()
            .map(|set| self.resolve(set, &files, &json))
            .collect()
    }

    fn resolve(
        &self,
        set: &SetConfig,
        files: &[String],
        json: &BTreeMap<String, JsonContent>,
    ) -> Result<PolicySetFiles, WorkspaceError> {
        let is_schema = |f: &String| {
            is_schema_file(f) || matches!(json.get(f), Some(JsonContent::Schema { .. }))
        };
        let matching = |globs: &[String]| -> Vec<String> {
            let globs = glob_set(globs);
            files
                .iter()
                .filter(|f| globs.is_match(f))
                .cloned()
                .collect()
        };
        let invariants = matching(&set.invariants);
        let tests: Vec<String> = matching(&set.tests)
            .into_iter()
            .filter(|f| !f.ends_with(".entities.json"))
            .collect();
        let mut policies: Vec<String> = matching(&set.policies);
        // Without a `policies` key, policies in Cedar's JSON format count too.
        if set.policies == [DEFAULT_POLICIES] {
            policies.extend(
                json.iter()
                    .filter(|(_, content)| **content == JsonContent::Policies)
                    .map(|(f, _)| f.clone()),
            );
            policies.sort();
        }
        policies.retain(|f| !invariants.contains(f) && !tests.contains(f));
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
        let (schema, schema_origin) = match (&set.schema, &set.table) {
            (Some(schema), _) => {
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
                (Some(normalize(path)), SchemaOrigin::Configured)
            }
            // A `[[set]]` is zero-config within its own directories: another set's schema
            // elsewhere in the repository is not its schema.
            (None, Some(table)) => {
                let dirs = covered_dirs(&set.policies);
                let candidates: Vec<String> = files
                    .iter()
                    .filter(|f| is_schema(f) && dirs.iter().any(|d| d.covers(f)))
                    .cloned()
                    .collect();
                if candidates.len() > 1 {
                    let config = self.config.as_ref().expect("a [[set]] comes from a config");
                    let which = match &set.name {
                        Some(name) => format!("the [[set]] `{name}`"),
                        None => "this [[set]]".to_string(),
                    };
                    return Err(config.error_at(
                        table.clone(),
                        format!(
                            "{which} has no `schema`, and {} schemas lie next to its policies \
                             ({}): say which one it uses with `schema = \"…\"` in this table",
                            candidates.len(),
                            candidates.join(", ")
                        ),
                    ));
                }
                let dirs = dirs.into_iter().map(|d| d.dir).collect();
                (
                    candidates.into_iter().next(),
                    SchemaOrigin::NextToPolicies { dirs },
                )
            }
            (None, None) => {
                let candidates: Vec<String> =
                    files.iter().filter(|f| is_schema(f)).cloned().collect();
                if candidates.len() > 1 {
                    return Err(WorkspaceError::AmbiguousSchema {
                        root: self.root.clone(),
                        config: self.config.as_ref().map(|c| c.path.clone()),
                        candidates,
                    });
                }
                (candidates.into_iter().next(), SchemaOrigin::BelowRoot)
            }
        };
        let schema_by_content = schema_origin != SchemaOrigin::Configured
            && schema.as_ref().and_then(|schema| json.get(schema))
                == Some(&JsonContent::Schema { by_content: true });
        Ok(PolicySetFiles {
            name: set.name.clone(),
            policies,
            schema,
            schema_origin,
            schema_by_content,
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

impl PolicySetFiles {
    /// The note a run prints when it took a schema found by its content, which the user may
    /// not expect: `schema: policies/schema.json (found by content)`, prefixed with the set's
    /// name when it has one.
    pub fn schema_note(&self) -> Option<String> {
        let schema = self.schema.as_deref().filter(|_| self.schema_by_content)?;
        let name = self
            .name
            .as_deref()
            .map_or(String::new(), |name| format!("{name}: "));
        Some(format!("{name}schema: {schema} (found by content)"))
    }

    /// What `-v` says about the set's schema: which file, and how it was chosen.
    pub fn schema_summary(&self) -> String {
        let schema = self.schema.as_deref();
        let how = if self.schema_by_content {
            ", a Cedar JSON schema by its content"
        } else {
            ""
        };
        match (&self.schema_origin, schema) {
            (SchemaOrigin::Configured, Some(schema)) => format!("schema {schema}"),
            (SchemaOrigin::BelowRoot, Some(schema)) => {
                format!("schema {schema} (the only schema found{how})")
            }
            (SchemaOrigin::BelowRoot, None) => "no schema (none found)".to_string(),
            (SchemaOrigin::NextToPolicies { dirs }, found) => {
                let dirs: Vec<String> = dirs
                    .iter()
                    .map(|d| {
                        if d.is_empty() {
                            ".".into()
                        } else {
                            format!("{d}/")
                        }
                    })
                    .collect();
                let dirs = dirs.join(", ");
                match found {
                    Some(schema) => format!(
                        "schema {schema} (no `schema` key: the only schema next to its \
                         policies, in {dirs}{how})"
                    ),
                    None => format!(
                        "no schema (no `schema` key, and none next to its policies, in {dirs})"
                    ),
                }
            }
            (SchemaOrigin::Configured, None) => "no schema".to_string(),
        }
    }
}

fn is_schema_file(path: &str) -> bool {
    path.ends_with(".cedarschema") || path.ends_with(".cedarschema.json")
}

/// The policies of a set without a `policies` key.
const DEFAULT_POLICIES: &str = "**/*.cedar";

/// JSON files larger than this are judged by their names alone: lock files and data dumps are
/// not read whole just to find a schema.
const MAX_JSON_SNIFF: u64 = 8 << 20;

/// What each `*.json` file among `files` holds, judged by name and content (see
/// [`json_content`]). A file that cannot be read as text, or is larger than
/// [`MAX_JSON_SNIFF`], is judged by its name alone; reading it for the analysis reports the
/// problem if it is used.
fn json_contents(root: &Path, files: &[String]) -> BTreeMap<String, JsonContent> {
    files
        .iter()
        .filter(|f| f.ends_with(".json"))
        .map(|f| {
            let path = root.join(f);
            let small = std::fs::metadata(&path).is_ok_and(|m| m.len() <= MAX_JSON_SNIFF);
            let text = if small {
                std::fs::read_to_string(&path).unwrap_or_default()
            } else {
                String::new()
            };
            (f.clone(), json_content(f, &text))
        })
        .collect()
}

/// A directory a set's `policies` patterns can match files in, relative to the root.
#[derive(Debug, PartialEq, Eq)]
struct CoveredDir {
    /// `""` for the root.
    dir: String,
    /// The directories below it too.
    recursive: bool,
}

impl CoveredDir {
    /// Whether the root-relative `file` lies in this directory (or below it, if recursive).
    fn covers(&self, file: &str) -> bool {
        let parent = file.rsplit_once('/').map_or("", |(dir, _)| dir);
        if self.recursive {
            self.dir.is_empty()
                || parent == self.dir
                || parent
                    .strip_prefix(&self.dir)
                    .is_some_and(|rest| rest.starts_with('/'))
        } else {
            parent == self.dir
        }
    }
}

/// The directories `patterns` can match policy files in: a pattern's leading directories
/// without wildcards and everything below them (a glob's `*` and `?` also match `/`), or for a
/// pattern without wildcards the directory of the file it names. Sorted, without repeats; a
/// directory inside a recursive one is dropped.
fn covered_dirs(patterns: &[String]) -> Vec<CoveredDir> {
    let mut dirs: Vec<CoveredDir> = patterns
        .iter()
        .map(|pattern| {
            let pattern = normalize(pattern);
            let parts: Vec<&str> = pattern.split('/').collect();
            let wild = |part: &&str| part.contains(['*', '?', '[', '{', '\\']);
            match parts.iter().position(wild) {
                Some(first) => CoveredDir {
                    dir: parts[..first].join("/"),
                    recursive: true,
                },
                None => CoveredDir {
                    dir: parts[..parts.len() - 1].join("/"),
                    recursive: false,
                },
            }
        })
        .collect();
    dirs.sort_by(|a, b| a.dir.cmp(&b.dir).then(b.recursive.cmp(&a.recursive)));
    dirs.dedup_by(|later, earlier| later.dir == earlier.dir);
    let recursive: Vec<String> = dirs
        .iter()
        .filter(|d| d.recursive)
        .map(|d| d.dir.clone())
        .collect();
    dirs.retain(|d| {
        !recursive.iter().any(|r| {
            r != &d.dir
                && CoveredDir {
                    dir: r.clone(),
                    recursive: true,
                }
                .covers(&format!("{}/x", d.dir))
        })
    });
    dirs
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
    fn zero_config_finds_cedar_json_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let schema = r#"{"App": {"entityTypes": {"User": {}}, "actions": {}}}"#;
        let policy = r#"{"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}"#;
        write(
            dir.path(),
            &[
                ("a.cedar", ""),
                ("policies/schema.json", schema),
                ("policies/p.cedar.json", "{"),
                ("policies/one.json", policy),
                ("tests/t.json", "[]"),
                ("tests/e.entities.json", "[]"),
                ("package.json", r#"{"name": "x"}"#),
            ],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let set = &ws.policy_sets().unwrap()[0];
        assert_eq!(
            set.policies,
            ["a.cedar", "policies/one.json", "policies/p.cedar.json"]
        );
        assert_eq!(set.schema.as_deref(), Some("policies/schema.json"));
        assert!(set.schema_by_content);
        assert_eq!(
            set.schema_note().as_deref(),
            Some("schema: policies/schema.json (found by content)")
        );

        // Named in a config, it is no discovery: no note.
        write(
            dir.path(),
            &[("cedarcheck.toml", "schema = \"policies/schema.json\"\n")],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let set = &ws.policy_sets().unwrap()[0];
        assert_eq!(set.schema_note(), None);
        assert_eq!(set.schema_summary(), "schema policies/schema.json");
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

    #[test]
    fn a_set_without_schema_takes_the_single_schema_next_to_its_policies() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "cedarcheck.toml",
                    "[[set]]\nname = \"app\"\npolicies = [\"app/**/*.cedar\"]\n\n[[set]]\nname = \"infra\"\npolicies = [\"infra/policies/*.cedar\"]\n\n[[set]]\nname = \"bare\"\npolicies = [\"bare/one.cedar\"]\n",
                ),
                ("app/policies/a.cedar", ""),
                ("app/schema/app.cedarschema", ""),
                ("infra/policies/b.cedar", ""),
                ("infra/policies/infra.cedarschema.json", ""),
                // Above infra's policies: not next to them.
                ("infra/old.cedarschema", ""),
                ("bare/one.cedar", ""),
                ("bare/sub/not-next-to-it.cedarschema", ""),
            ],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let sets = ws.policy_sets().unwrap();
        assert_eq!(
            sets[0].schema.as_deref(),
            Some("app/schema/app.cedarschema")
        );
        assert_eq!(
            sets[0].schema_origin,
            SchemaOrigin::NextToPolicies {
                dirs: vec!["app".into()]
            }
        );
        assert_eq!(
            sets[0].schema_summary(),
            "schema app/schema/app.cedarschema (no `schema` key: the only schema next to its \
             policies, in app/)"
        );
        assert_eq!(
            sets[1].schema.as_deref(),
            Some("infra/policies/infra.cedarschema.json")
        );
        assert_eq!(sets[2].schema, None);
        assert_eq!(
            sets[2].schema_summary(),
            "no schema (no `schema` key, and none next to its policies, in bare/)"
        );
    }

    #[test]
    fn a_set_with_two_schemas_next_to_its_policies_asks_which_at_its_table() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                (
                    "cedarcheck.toml",
                    "[[set]]\nname = \"app\"\npolicies = [\"app/*.cedar\"]\n\n[[set]]\npolicies = [\"infra/*.cedar\"]\n",
                ),
                ("app/a.cedar", ""),
                ("app/app.cedarschema", ""),
                ("infra/b.cedar", ""),
                ("infra/one.cedarschema", ""),
                ("infra/v2/two.cedarschema.json", ""),
            ],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let e = ws.policy_sets().unwrap_err().to_string();
        assert!(
            e.ends_with(
                "cedarcheck.toml:5:1: this [[set]] has no `schema`, and 2 schemas lie next to its \
                 policies (infra/one.cedarschema, infra/v2/two.cedarschema.json): say which one \
                 it uses with `schema = \"…\"` in this table"
            ),
            "{e}"
        );
    }

    #[test]
    fn top_level_keys_without_schema_still_search_the_whole_root() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                ("cedarcheck.toml", "policies = [\"policies/*.cedar\"]\n"),
                ("policies/a.cedar", ""),
                ("schemas/s.cedarschema", ""),
            ],
        );
        let ws = Workspace::open(dir.path(), None).unwrap();
        let set = &ws.policy_sets().unwrap()[0];
        assert_eq!(set.schema.as_deref(), Some("schemas/s.cedarschema"));
        assert_eq!(set.schema_origin, SchemaOrigin::BelowRoot);

        write(dir.path(), &[("other/t.cedarschema", "")]);
        let e = ws.policy_sets().unwrap_err().to_string();
        assert!(
            e.contains(
                "found 2 schemas (other/t.cedarschema, schemas/s.cedarschema) and \
                 /"
            ) && e.ends_with(
                "cedarcheck.toml has no `schema` saying which one to use; set `schema = \"…\"` in it"
            ),
            "{e}"
        );
    }

    #[test]
    fn covered_dirs_follow_the_fixed_part_of_each_pattern() {
        let dirs = |patterns: &[&str]| -> Vec<(String, bool)> {
            covered_dirs(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>())
                .into_iter()
                .map(|d| (d.dir, d.recursive))
                .collect()
        };
        assert_eq!(dirs(&["**/*.cedar"]), [("".into(), true)]);
        assert_eq!(
            dirs(&[
                "app/*.cedar",
                "app/sub/**/*.cedar",
                "./lib/x.cedar",
                "a.cedar"
            ]),
            [
                ("".into(), false),
                ("app".into(), true),
                ("lib".into(), false)
            ]
        );
        assert_eq!(
            dirs(&["app/x.cedar", "app/{a,b}.cedar"]),
            [("app".into(), true)]
        );
        let app = CoveredDir {
            dir: "app".into(),
            recursive: true,
        };
        assert!(app.covers("app/s.cedarschema") && app.covers("app/a/b/s.cedarschema"));
        assert!(!app.covers("apps/s.cedarschema") && !app.covers("s.cedarschema"));
        let lib = CoveredDir {
            dir: "lib".into(),
            recursive: false,
        };
        assert!(lib.covers("lib/s.cedarschema") && !lib.covers("lib/sub/s.cedarschema"));
    }
}
