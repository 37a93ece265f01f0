//! `cedarcheck init [DIR]`: write a commented starter `cedarcheck.toml` that describes what is
//! already there — the policy files, the schema, tests and invariants — and nothing else.
//! Sibling directories that each hold their own schema and policies (`examples/` and `run/`)
//! are separate deployments: each gets its own `[[set]]`. An existing config is never
//! overwritten.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{json_content, JsonContent};
use cedarcheck_workspace::{find_config, Config, CONFIG_FILE};

use crate::cli::{CommonArgs, InitArgs};

/// Directories never searched, as in discovery: build output and dependencies.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];

pub fn run(args: &InitArgs, common: &CommonArgs) -> u8 {
    if common.config.is_some() {
        return super::fail(format!(
            "`init` writes DIR/{CONFIG_FILE}; --config does not apply to it"
        ));
    }
    let dir = &args.dir;
    if !dir.is_dir() {
        return super::fail(format!("{}: no such directory", dir.display()));
    }
    let path = dir.join(CONFIG_FILE);
    let mut files = Vec::new();
    if let Err(e) = walk(dir, "", &mut files) {
        return super::fail(e);
    }
    // Cedar's JSON formats are recognised by their content, as discovery does.
    let json: BTreeMap<String, JsonContent> = files
        .iter()
        .filter(|f| f.ends_with(".json"))
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            (f.clone(), json_content(f, &text))
        })
        .collect();
    let layout = Layout::of(&files, &json);
    let text = layout.config_text();
    // Refuse to overwrite, even a file created since we looked: create_new fails if it exists.
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return super::fail(format!(
                "{} already exists; not overwriting it (edit it, or remove it and run `cedarcheck init` again)",
                path.display()
            ))
        }
        Err(e) => return super::fail(format!("{}: cannot write: {e}", path.display())),
    }
    // The starter must load; a failure here is a bug in this command, reported as such.
    if let Err(e) = Config::load(&path) {
        return super::fail(format!("the written config does not load: {e}"));
    }
    if !common.quiet {
        crate::output::to_stdout(|out| {
            writeln!(out, "Wrote {}:", path.display())?;
            for line in layout.describe() {
                writeln!(out, "  {line}")?;
            }
            writeln!(
                out,
                "Run `cedarcheck check` to check the policies; every key is explained in the file."
            )
        });
        let parent_config = std::path::absolute(dir)
            .ok()
            .and_then(|d| d.parent().and_then(find_config));
        if let Some(parent) = parent_config {
            eprintln!(
                "note: {} also exists; below {}, the new file takes its place",
                parent.display(),
                dir.display()
            );
        }
    }
    crate::exit::CLEAN
}

/// A directory `init` could not list.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", dir.display())]
struct UnreadableDir {
    dir: PathBuf,
    #[source]
    source: std::io::Error,
}

/// Every file below `dir`, relative, `/`-separated and sorted; hidden and build directories
/// are skipped, as discovery skips them.
fn walk(dir: &Path, prefix: &str, files: &mut Vec<String>) -> Result<(), UnreadableDir> {
    let entries = std::fs::read_dir(dir).map_err(|source| UnreadableDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), &format!("{relative}/"), files)?;
            }
        } else if kind.is_file() {
            files.push(relative);
        }
    }
    Ok(())
}

/// What the directory holds, as config values.
#[derive(Debug, Default, PartialEq, Eq)]
struct Layout {
    policies: Vec<String>,
    policy_count: usize,
    schemas: Vec<String>,
    links: Option<String>,
    tests: Option<String>,
    invariants: Option<String>,
    /// Separate deployments, by directory: each becomes a `[[set]]`. Empty for one set.
    deployments: Vec<(String, Layout)>,
}

impl Layout {
    /// `json` says what each `*.json` file holds.
    fn of(files: &[String], json: &BTreeMap<String, JsonContent>) -> Self {
        let mut layout = Self::of_one_set(files, json);
        layout.deployments = layout.deployments(files, json);
        layout
    }

    /// Sibling directories that each hold exactly one schema and policies, with every policy
    /// file in one of them: each is a deployment of its own, described as if `init` ran there.
    /// Empty when the schemas do not lie that way.
    fn deployments(
        &self,
        files: &[String],
        json: &BTreeMap<String, JsonContent>,
    ) -> Vec<(String, Layout)> {
        if self.schemas.len() < 2 {
            return Vec::new();
        }
        let parent = |f: &str| f.rsplit_once('/').map_or(String::new(), |(d, _)| d.into());
        let schema_dirs: Vec<Vec<String>> = self
            .schemas
            .iter()
            .map(|s| {
                parent(s)
                    .split('/')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect();
        let common = (0..)
            .take_while(|&i| {
                let first = schema_dirs[0].get(i);
                first.is_some() && schema_dirs.iter().all(|d| d.get(i) == first)
            })
            .count();
        // A schema in the common directory itself belongs to no sibling.
        let mut dirs = Vec::new();
        for dir in &schema_dirs {
            if dir.len() <= common {
                return Vec::new();
            }
            dirs.push(dir[..=common].join("/"));
        }
        let mut unique_dirs = dirs.clone();
        unique_dirs.sort();
        unique_dirs.dedup();
        if unique_dirs.len() != dirs.len() {
            return Vec::new();
        }
        let under = |dir: &str, f: &str| f.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
        let mut deployments = Vec::new();
        for dir in &unique_dirs {
            let inner: Vec<String> = files
                .iter()
                .filter_map(|f| Some(f.strip_prefix(dir)?.strip_prefix('/')?.to_string()))
                .collect();
            let inner_json: BTreeMap<String, JsonContent> = json
                .iter()
                .filter_map(|(f, c)| Some((f.strip_prefix(dir)?.strip_prefix('/')?.into(), *c)))
                .collect();
            let layout = Self::of_one_set(&inner, &inner_json);
            if layout.policy_count == 0 {
                return Vec::new();
            }
            deployments.push((dir.clone(), layout.below(dir)));
        }
        let placed: usize = deployments.iter().map(|(_, l)| l.policy_count).sum();
        let outside = self
            .policy_files(files, json)
            .iter()
            .any(|f| !unique_dirs.iter().any(|d| under(d, f)));
        if outside || placed != self.policy_count {
            return Vec::new();
        }
        deployments
    }

    /// The same layout, its paths and globs made relative to the parent of `dir`.
    fn below(self, dir: &str) -> Self {
        let prefix = |p: String| format!("{dir}/{p}");
        Self {
            policies: self.policies.into_iter().map(prefix).collect(),
            policy_count: self.policy_count,
            schemas: self.schemas.into_iter().map(prefix).collect(),
            links: self.links.map(prefix),
            tests: self.tests.map(prefix),
            invariants: self.invariants.map(prefix),
            deployments: Vec::new(),
        }
    }

    /// The policy files: `*.cedar` files that are not invariants, and JSON policies.
    fn policy_files<'a>(
        &self,
        files: &'a [String],
        json: &BTreeMap<String, JsonContent>,
    ) -> Vec<&'a String> {
        files
            .iter()
            .filter(|f| {
                (f.ends_with(".cedar") && !is_invariant(f))
                    || json.get(*f) == Some(&JsonContent::Policies)
            })
            .collect()
    }

    fn of_one_set(files: &[String], json: &BTreeMap<String, JsonContent>) -> Self {
        let top = |file: &str| file.split_once('/').map(|(dir, _)| dir.to_string());
        let invariant_dirs: Vec<String> =
            unique(files.iter().filter(|f| is_invariant(f)).map(|f| {
                // The directory that holds the invariants, e.g. `testcases/invariants`.
                f.rsplit_once('/')
                    .map_or(String::new(), |(dir, _)| dir.to_string())
            }));
        let policies: Vec<&String> = files
            .iter()
            .filter(|f| f.ends_with(".cedar") && !is_invariant(f))
            .collect();
        let policy_dirs = unique(policies.iter().map(|f| top(f).unwrap_or_default()));
        let policies_glob = match policy_dirs.as_slice() {
            [dir] if !dir.is_empty() => format!("{dir}/**/*.cedar"),
            _ => "**/*.cedar".to_string(),
        };
        // JSON policies are named one by one: a glob over `*.json` would take tests too.
        let json_policies: Vec<String> = json
            .iter()
            .filter(|(_, content)| **content == JsonContent::Policies)
            .map(|(f, _)| f.clone())
            .collect();
        let is_json_schema = |f: &String| matches!(json.get(f), Some(JsonContent::Schema { .. }));
        let schemas = files
            .iter()
            .filter(|f| {
                f.ends_with(".cedarschema") || f.ends_with(".cedarschema.json") || is_json_schema(f)
            })
            .cloned()
            .collect();
        let links = files
            .iter()
            .any(|f| f.ends_with(".links.json"))
            .then(|| "**/*.links.json".to_string());
        let is_test = |f: &&String| {
            f.ends_with(".json")
                && !f.ends_with(".entities.json")
                && !f.ends_with(".links.json")
                && !f.ends_with(".cedarschema.json")
                && json.get(*f).is_none_or(|c| *c == JsonContent::Other)
                && top(f).is_some_and(|dir| dir.starts_with("test"))
        };
        let test_dirs = unique(files.iter().filter(is_test).filter_map(|f| top(f)));
        let tests = match test_dirs.as_slice() {
            [] => None,
            [dir] => Some(format!("{dir}/**/*.json")),
            _ => Some("test*/**/*.json".to_string()),
        };
        let invariants = match invariant_dirs.as_slice() {
            [] => None,
            [dir] if dir.is_empty() => Some("**/*invariant*.cedar".to_string()),
            [dir] => Some(format!("{dir}/**/*.cedar")),
            _ => Some("**/*invariant*/**/*.cedar".to_string()),
        };
        Self {
            policy_count: policies.len() + json_policies.len(),
            policies: std::iter::once(policies_glob)
                .chain(json_policies)
                .collect(),
            schemas,
            links,
            tests,
            invariants,
            deployments: Vec::new(),
        }
    }

    /// One line per key for the terminal; a line per `[[set]]` for deployments.
    fn describe(&self) -> Vec<String> {
        if !self.deployments.is_empty() {
            let mut lines = vec![format!(
                "{} deployments, each with its own schema and policies: one [[set]] each",
                self.deployments.len()
            )];
            for (dir, set) in &self.deployments {
                lines.push(format!(
                    "[[set]] {:?}: policies = {} ({} {}), schema = {:?}",
                    set_name(dir),
                    toml_list(&set.policies),
                    set.policy_count,
                    if set.policy_count == 1 {
                        "file"
                    } else {
                        "files"
                    },
                    set.schemas.first().map_or("", String::as_str)
                ));
            }
            return lines;
        }
        let mut lines = vec![format!(
            "policies   = {}  ({} {} found)",
            toml_list(&self.policies),
            self.policy_count,
            if self.policy_count == 1 {
                "file"
            } else {
                "files"
            }
        )];
        match self.schemas.as_slice() {
            [] => lines.push("schema     : none found; strict validation needs one".into()),
            [schema] => lines.push(format!("schema     = {schema:?}")),
            several => lines.push(format!(
                "schema     : {} found ({}); uncomment the one to use",
                several.len(),
                several.join(", ")
            )),
        }
        for (key, value) in [
            ("links", &self.links),
            ("tests", &self.tests),
            ("invariants", &self.invariants),
        ] {
            if let Some(glob) = value {
                lines.push(format!("{key:<10} = [{glob:?}]"));
            }
        }
        lines
    }

    /// The `[[set]]` tables of the deployments.
    fn sets_text(&self) -> String {
        let mut text = String::from(
            "# Several deployments, each with its own schema and policies: one policy set each.\n",
        );
        for (dir, set) in &self.deployments {
            let line = |key: &str, value: &Option<String>| match value {
                Some(glob) => format!("{key} = [{}]\n", toml_string(glob)),
                None => String::new(),
            };
            text.push_str(&format!(
                "\n[[set]]\nname = {}\npolicies = {}\nschema = {}\n{}{}{}",
                toml_string(&set_name(dir)),
                toml_list(&set.policies),
                toml_string(set.schemas.first().map_or("", String::as_str)),
                line("links", &set.links),
                line("tests", &set.tests),
                line("invariants", &set.invariants),
            ));
        }
        text
    }

    fn config_text(&self) -> String {
        let line = |key: &str, value: &Option<String>, example: &str| match value {
            Some(glob) => format!("{key} = [{}]\n", toml_string(glob)),
            None => format!("# {key} = [{}]\n", toml_string(example)),
        };
        let schema = match self.schemas.as_slice() {
            [] => "# schema = \"policies/app.cedarschema\"   # none found yet\n".to_string(),
            [schema] => format!("schema = {}\n", toml_string(schema)),
            several => {
                let mut text = String::from(
                    "# Several schemas were found; uncomment the one this policy set uses\n\
                     # (or describe several sets with [[set]] tables, below).\n",
                );
                for schema in several {
                    text.push_str(&format!("# schema = {}\n", toml_string(schema)));
                }
                text
            }
        };
        let header = "# cedarcheck configuration. Paths and globs are relative to this file;\n\
                      # `cedarcheck check` finds it in the directory it checks or an ancestor.\n\n";
        let tail = self.tail_text();
        if !self.deployments.is_empty() {
            return format!(
                "{header}# Files never read.\n# exclude = [\"legacy/**\"]\n\n{}\n{tail}",
                self.sets_text()
            );
        }
        format!(
            r#"{header}# The policy files of the policy set.
policies = {policies}

# The schema the policies are strictly validated against.
{schema}
# Template links, in the Cedar CLI's format.
{links}
# Allow/deny tests for `cedarcheck test` (*.entities.json files are data, not tests).
{tests}
# Invariants: Cedar policies about the policy set, proven for every request.
{invariants}
# Files never read.
# exclude = ["legacy/**"]

# Several independent policy sets: one [[set]] table each, with the keys above.
# [[set]]
# name = "billing"
# policies = ["billing/**/*.cedar"]
# schema = "billing/billing.cedarschema"

{tail}"#,
            policies = toml_list(&self.policies),
            links = line("links", &self.links, "policies/**/*.links.json"),
            tests = line("tests", &self.tests, "tests/**/*.json"),
            invariants = line("invariants", &self.invariants, "invariants/**/*.cedar"),
        )
    }

    /// Rule levels and analysis settings, commented: the same for one set or several.
    fn tail_text(&self) -> String {
        r#"# Rule levels: error | warn | info | off (`cedarcheck rules` lists the rules).
# A single policy can waive a rule with @cedarcheck_ignore("rule-id").
[rules]
# missing-policy-id = "error"

# Rule levels for some files only; later overrides win.
# [[overrides]]
# files = ["policies/legacy/**"]
# rules = { unscoped-principal = "off" }

[analysis]
# deep = "auto"        # solver-backed rules: auto (when cvc5 is found) | on | off
# timeout-ms = 10000   # per solver query; a timeout is reported, never taken as clean
# jobs = 0             # parallel jobs; 0 = all cores
# intentionally-denied = ['Ops::Action::"LegacyExport"']   # actions no one may perform, by design
"#
        .to_string()
    }
}

/// An invariants file: a `*.cedar` file with `invariant` in its path.
fn is_invariant(file: &str) -> bool {
    file.ends_with(".cedar") && file.split('/').any(|part| part.contains("invariant"))
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// A `[[set]]`'s name: its directory's last component.
fn set_name(dir: &str) -> String {
    dir.rsplit('/').next().unwrap_or(dir).to_string()
}

/// A TOML array of basic strings.
fn toml_list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| toml_string(v)).collect();
    format!("[{}]", items.join(", "))
}

/// A TOML basic string.
fn toml_string(value: &str) -> String {
    let mut quoted = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(files: &[&str]) -> Layout {
        Layout::of(
            &files.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
            &BTreeMap::new(),
        )
    }

    #[test]
    fn describes_this_repository_s_layout() {
        let l = layout(&[
            "policies/agent.cedar",
            "policies/openclaw.cedarschema",
            "testcases/agent.json",
            "testcases/agent.entities.json",
            "testcases/invariants/mfa.cedar",
        ]);
        assert_eq!(l.policies, ["policies/**/*.cedar"]);
        assert_eq!(l.schemas, ["policies/openclaw.cedarschema"]);
        assert_eq!(l.tests.as_deref(), Some("testcases/**/*.json"));
        assert_eq!(
            l.invariants.as_deref(),
            Some("testcases/invariants/**/*.cedar")
        );
        assert_eq!(l.links, None);
    }

    #[test]
    fn policies_in_several_places_take_every_cedar_file() {
        let l = layout(&["a.cedar", "sub/b.cedar"]);
        assert_eq!(l.policies, ["**/*.cedar"]);
        assert_eq!(l.policy_count, 2);
    }

    #[test]
    fn sibling_directories_with_their_own_schema_and_policies_are_deployments() {
        let dirs = |files: &[&str]| -> Vec<String> {
            layout(files)
                .deployments
                .into_iter()
                .map(|(dir, _)| dir)
                .collect()
        };
        let l = layout(&[
            "examples/a.cedar",
            "examples/s.cedarschema",
            "run/policies/b.cedar",
            "run/policies/c.cedar",
            "run/s.cedarschema",
            "run/tests/t.json",
        ]);
        let [(examples, first), (run, second)] = l.deployments.as_slice() else {
            panic!("{l:?}");
        };
        assert_eq!((examples.as_str(), run.as_str()), ("examples", "run"));
        assert_eq!(first.policies, ["examples/**/*.cedar"]);
        assert_eq!(first.schemas, ["examples/s.cedarschema"]);
        assert_eq!(second.policies, ["run/policies/**/*.cedar"]);
        assert_eq!(second.policy_count, 2);
        assert_eq!(second.tests.as_deref(), Some("run/tests/**/*.json"));
        // Deeper siblings too.
        assert_eq!(
            dirs(&[
                "deploy/a/p.cedar",
                "deploy/a/s.cedarschema",
                "deploy/b/x/q.cedar",
                "deploy/b/s.cedarschema"
            ]),
            ["deploy/a", "deploy/b"]
        );
        // Not deployments: a schema above the others, two schemas in one directory, a policy
        // outside every deployment, a deployment without policies.
        for files in [
            &["s.cedarschema", "a/t.cedarschema", "a/p.cedar"][..],
            &["a/s.cedarschema", "a/t.cedarschema", "a/p.cedar"],
            &[
                "a/s.cedarschema",
                "a/p.cedar",
                "b/s.cedarschema",
                "b/p.cedar",
                "p.cedar",
            ],
            &["a/s.cedarschema", "a/p.cedar", "b/s.cedarschema"],
        ] {
            assert_eq!(dirs(files), Vec::<String>::new(), "{files:?}");
        }
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }
}
