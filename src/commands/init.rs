//! `cedarcheck init [DIR]`: write a commented starter `cedarcheck.toml` that describes what is
//! already there — the policy files, the schema, tests and invariants — and nothing else.
//! An existing config is never overwritten.

use std::io::Write;
use std::path::Path;

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
    let layout = Layout::of(&files);
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

/// Every file below `dir`, relative, `/`-separated and sorted; hidden and build directories
/// are skipped, as discovery skips them.
fn walk(dir: &Path, prefix: &str, files: &mut Vec<String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
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
    policies: String,
    policy_count: usize,
    schemas: Vec<String>,
    links: Option<String>,
    tests: Option<String>,
    invariants: Option<String>,
}

impl Layout {
    fn of(files: &[String]) -> Self {
        let top = |file: &str| file.split_once('/').map(|(dir, _)| dir.to_string());
        let is_invariant = |file: &&String| {
            file.ends_with(".cedar") && file.split('/').any(|part| part.contains("invariant"))
        };
        let invariant_dirs: Vec<String> = unique(files.iter().filter(is_invariant).map(|f| {
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
        let schemas = files
            .iter()
            .filter(|f| f.ends_with(".cedarschema") || f.ends_with(".cedarschema.json"))
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
            policies: policies_glob,
            policy_count: policies.len(),
            schemas,
            links,
            tests,
            invariants,
        }
    }

    /// One line per key for the terminal.
    fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "policies   = [{:?}]  ({} {} found)",
            self.policies,
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
        format!(
            r#"# cedarcheck configuration. Paths and globs are relative to this file;
# `cedarcheck check` finds it in the directory it checks or an ancestor.

# The policy files of the policy set.
policies = [{policies}]

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

# Rule levels: error | warn | info | off (`cedarcheck rules` lists the rules).
# A single policy can waive a rule with @cedarcheck_ignore("rule-id").
[rules]
# missing-policy-id = "error"

# Rule levels for some files only; later overrides win.
# [[overrides]]
# files = ["policies/legacy/**"]
# rules = {{ unscoped-principal = "off" }}

[analysis]
# deep = "auto"        # solver-backed rules: auto (when cvc5 is found) | on | off
# timeout-ms = 10000   # per solver query; a timeout is reported, never taken as clean
# jobs = 0             # parallel jobs; 0 = all cores
"#,
            policies = toml_string(&self.policies),
            links = line("links", &self.links, "policies/**/*.links.json"),
            tests = line("tests", &self.tests, "tests/**/*.json"),
            invariants = line("invariants", &self.invariants, "invariants/**/*.cedar"),
        )
    }
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
        Layout::of(&files.iter().map(|f| f.to_string()).collect::<Vec<_>>())
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
        assert_eq!(l.policies, "policies/**/*.cedar");
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
        assert_eq!(l.policies, "**/*.cedar");
        assert_eq!(l.policy_count, 2);
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }
}
