//! `cedarcheck.toml`: parsing and checking every key, with errors located at line and column.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{Level, Override, RuleLevel, Settings};
use globset::{Glob, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::WorkspaceError;

pub const CONFIG_FILE: &str = "cedarcheck.toml";

/// A loaded `cedarcheck.toml`. Paths and globs in it are relative to `root`, its directory.
#[derive(Clone, Debug)]
pub struct Config {
    pub path: PathBuf,
    pub root: PathBuf,
    pub sets: Vec<SetConfig>,
    pub exclude: Vec<String>,
    pub settings: Settings,
    pub analysis: AnalysisConfig,
    /// The text these were parsed from, to place an error about one of its values (see
    /// [`Config::error_at`]) without reading the file again.
    pub text: String,
}

/// One policy set's files, as globs relative to the config's directory.
#[derive(Clone, Debug, Default)]
pub struct SetConfig {
    pub name: Option<String>,
    pub policies: Vec<String>,
    /// `None`: discover the single schema — below the root for the top-level keys, next to
    /// the set's policies for a `[[set]]`.
    pub schema: Option<Spanned<String>>,
    pub links: Vec<String>,
    pub tests: Vec<String>,
    pub invariants: Vec<String>,
    /// Where its `[[set]]` table starts in the config file; `None` for the top-level keys.
    pub table: Option<Range<usize>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeepMode {
    /// Run the solver-backed rules when a solver is found.
    Auto,
    /// Run them, and fail when no solver is found.
    On,
    Off,
}

#[derive(Clone, Debug)]
pub struct AnalysisConfig {
    pub deep: DeepMode,
    /// Per solver query.
    pub timeout_ms: u64,
    /// 0 = all cores.
    pub jobs: usize,
    /// `intentionally-denied`: actions denied by design, which `unreachable-action` leaves
    /// alone. Checked against the schema when the set is analysed.
    pub intentionally_denied: Vec<DeniedAction>,
}

/// An entry of `[analysis] intentionally-denied`, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeniedAction {
    /// As written: `Ops::Action::"LegacyExport"`.
    pub action: String,
    /// `cedarcheck.toml:12:5`, for an error about the entry.
    pub at: String,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            deep: DeepMode::Auto,
            timeout_ms: 10_000,
            jobs: 0,
            intentionally_denied: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    policies: Option<OneOrMany>,
    schema: Option<Spanned<String>>,
    links: Option<OneOrMany>,
    tests: Option<OneOrMany>,
    invariants: Option<OneOrMany>,
    exclude: Option<OneOrMany>,
    rules: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    overrides: Option<Vec<RawOverride>>,
    analysis: Option<RawAnalysis>,
    set: Option<Vec<Spanned<RawSet>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    name: Option<String>,
    policies: Option<OneOrMany>,
    schema: Option<Spanned<String>>,
    links: Option<OneOrMany>,
    tests: Option<OneOrMany>,
    invariants: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    files: Spanned<Vec<String>>,
    rules: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAnalysis {
    deep: Option<Spanned<String>>,
    timeout_ms: Option<u64>,
    jobs: Option<usize>,
    intentionally_denied: Option<Vec<Spanned<String>>>,
}

const DEFAULT_POLICIES: &str = "**/*.cedar";

impl Config {
    /// Reads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Self, WorkspaceError> {
        let bytes = std::fs::read(path).map_err(|error| WorkspaceError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            located(path, &text, at..at, "the file is not valid UTF-8".into())
        })?;
        let root = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self::parse(path, &root, &text)
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(path: &Path, root: &Path, text: &str) -> Result<Self, WorkspaceError> {
        let err = |span: Range<usize>, message: String| located(path, text, span, message);
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            err(e.span().unwrap_or(0..0), message)
        })?;

        let mut settings = Settings::default();
        for (rule, level) in raw.rules.iter().flatten() {
            let (rule, level) = rule_level(rule, level, &err)?;
            settings.set_level(rule, level);
        }
        for over in raw.overrides.into_iter().flatten() {
            let mut builder = GlobSetBuilder::new();
            for pattern in over.files.get_ref() {
                let glob = Glob::new(pattern).map_err(|e| {
                    err(
                        over.files.span(),
                        format!("invalid glob `{pattern}` in [[overrides]] files: {e}"),
                    )
                })?;
                builder.add(glob);
            }
            let files = builder
                .build()
                .map_err(|e| err(over.files.span(), e.to_string()))?;
            let mut levels = HashMap::new();
            for (rule, level) in &over.rules {
                let (rule, level) = rule_level(rule, level, &err)?;
                levels.insert(rule, level);
            }
            settings.add_override(Override { files, levels });
        }

        let mut analysis = AnalysisConfig::default();
        if let Some(raw) = raw.analysis {
            if let Some(deep) = raw.deep {
                analysis.deep = match deep.get_ref().as_str() {
                    "auto" => DeepMode::Auto,
                    "on" => DeepMode::On,
                    "off" => DeepMode::Off,
                    other => {
                        return Err(err(
                            deep.span(),
                            format!(
                            "[analysis] deep = \"{other}\": expected \"auto\", \"on\" or \"off\""
                        ),
                        ))
                    }
                };
            }
            analysis.timeout_ms = raw.timeout_ms.unwrap_or(analysis.timeout_ms);
            analysis.jobs = raw.jobs.unwrap_or(analysis.jobs);
            settings.jobs = analysis.jobs;
            for entry in raw.intentionally_denied.into_iter().flatten() {
                let position =
                    cedarcheck_analyzer::LineIndex::new(text).position(text, entry.span().start);
                analysis.intentionally_denied.push(DeniedAction {
                    at: format!("{}:{}:{}", path.display(), position.line, position.column),
                    action: entry.into_inner(),
                });
            }
            // As written; the deep analysis (`check`, `test` and the language server alike)
            // replaces them with the schema's own spelling once it has checked them.
            settings.intentionally_denied = analysis
                .intentionally_denied
                .iter()
                .map(|d| d.action.trim().to_string())
                .collect();
        }

        let top_level = SetConfig {
            name: None,
            policies: raw
                .policies
                .map_or_else(|| vec![DEFAULT_POLICIES.to_string()], OneOrMany::into_vec),
            schema: raw.schema,
            links: raw.links.map(OneOrMany::into_vec).unwrap_or_default(),
            tests: raw.tests.map(OneOrMany::into_vec).unwrap_or_default(),
            invariants: raw.invariants.map(OneOrMany::into_vec).unwrap_or_default(),
            table: None,
        };
        let sets = match raw.set {
            None => vec![top_level],
            Some(sets) => {
                if top_level.schema.is_some() || top_level.policies != [DEFAULT_POLICIES] {
                    return Err(err(
                        sets.first().map_or(0..0, Spanned::span),
                        "top-level `policies`/`schema` and [[set]] tables cannot be mixed: move them into a [[set]]".into(),
                    ));
                }
                sets.into_iter()
                    .map(|set| {
                        let span = set.span();
                        let set = set.into_inner();
                        let policies = set.policies.map(OneOrMany::into_vec).ok_or_else(|| {
                            err(span.clone(), "a [[set]] needs `policies`".into())
                        })?;
                        Ok(SetConfig {
                            name: set.name,
                            policies,
                            schema: set.schema,
                            links: set.links.map(OneOrMany::into_vec).unwrap_or_default(),
                            tests: set.tests.map(OneOrMany::into_vec).unwrap_or_default(),
                            invariants: set.invariants.map(OneOrMany::into_vec).unwrap_or_default(),
                            table: Some(span),
                        })
                    })
                    .collect::<Result<_, WorkspaceError>>()?
            }
        };

        let exclude = raw.exclude.map(OneOrMany::into_vec).unwrap_or_default();
        for pattern in sets
            .iter()
            .flat_map(|s| {
                s.policies
                    .iter()
                    .chain(&s.links)
                    .chain(&s.tests)
                    .chain(&s.invariants)
            })
            .chain(&exclude)
        {
            if let Err(e) = Glob::new(pattern) {
                let at = text
                    .find(&format!("\"{pattern}\""))
                    .map_or(0..0, |i| i..i + pattern.len() + 2);
                return Err(err(at, format!("invalid glob `{pattern}`: {e}")));
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
            sets,
            exclude,
            settings,
            analysis,
            text: text.to_string(),
        })
    }

    /// An error about the value at `span` of this config file (e.g. a `schema` that is
    /// missing), placed in the text the config was parsed from.
    pub fn error_at(&self, span: Range<usize>, message: String) -> WorkspaceError {
        located(&self.path, &self.text, span, message)
    }
}

fn rule_level(
    rule: &Spanned<String>,
    level: &Spanned<String>,
    err: &impl Fn(Range<usize>, String) -> WorkspaceError,
) -> Result<(&'static str, RuleLevel), WorkspaceError> {
    let Some(found) = cedarcheck_analyzer::rule(rule.get_ref()) else {
        return Err(err(
            rule.span(),
            format!(
                "unknown rule `{}` (`cedarcheck rules` lists them)",
                rule.get_ref()
            ),
        ));
    };
    let parsed = match level.get_ref().as_str() {
        "off" => None,
        other => Some(Level::parse(other).ok_or_else(|| {
            err(
                level.span(),
                format!(
                    "`{}` = \"{other}\": expected \"error\", \"warn\", \"info\" or \"off\"",
                    found.id
                ),
            )
        })?),
    };
    Ok((found.id, parsed))
}

fn located(path: &Path, text: &str, span: Range<usize>, message: String) -> WorkspaceError {
    let index = cedarcheck_analyzer::LineIndex::new(text);
    let position = index.position(text, span.start);
    WorkspaceError::Config {
        file: path.to_path_buf(),
        line: position.line,
        column: position.column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, WorkspaceError> {
        Config::parse(Path::new("cedarcheck.toml"), Path::new("."), text)
    }

    /// The error `text` is, as printed.
    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_documented_key() {
        let config = parse(
            r#"
policies   = ["policies/**/*.cedar"]
schema     = "policies/openclaw.cedarschema"
tests      = ["testcases/**/*.json"]
invariants = ["testcases/**/*.cedar"]
exclude    = ["target/**"]

[rules]
missing-policy-id = "error"
unscoped-action = "off"

[[overrides]]
files = ["policies/legacy/**"]
rules = { unscoped-principal = "off" }

[analysis]
deep = "on"
timeout-ms = 500
jobs = 1
"#,
        )
        .unwrap();
        let set = &config.sets[0];
        assert_eq!(set.policies, ["policies/**/*.cedar"]);
        assert_eq!(
            set.schema.as_ref().unwrap().get_ref(),
            "policies/openclaw.cedarschema"
        );
        assert_eq!(set.invariants, ["testcases/**/*.cedar"]);
        assert_eq!(config.analysis.deep, DeepMode::On);
        assert_eq!(config.analysis.timeout_ms, 500);
        let missing_id = cedarcheck_analyzer::rule("missing-policy-id").unwrap();
        assert_eq!(
            config.settings.level(missing_id, "a.cedar"),
            Some(Level::Error)
        );
        let unscoped = cedarcheck_analyzer::rule("unscoped-principal").unwrap();
        assert_eq!(
            config.settings.level(unscoped, "policies/legacy/x.cedar"),
            None
        );
        assert_eq!(
            config.settings.level(unscoped, "policies/x.cedar"),
            Some(Level::Warn)
        );
    }

    #[test]
    fn intentionally_denied_actions_keep_where_they_are_written() {
        let config =
            parse("[analysis]\nintentionally-denied = [\n  'Ops::Action::\"Export\"',\n]\n")
                .unwrap();
        assert_eq!(
            config.analysis.intentionally_denied,
            [DeniedAction {
                action: "Ops::Action::\"Export\"".into(),
                at: "cedarcheck.toml:3:3".into(),
            }]
        );
        assert_eq!(
            config.settings.intentionally_denied,
            ["Ops::Action::\"Export\""]
        );
        let e = error("[analysis]\nintentionally-denied = \"x\"\n");
        assert!(e.starts_with("cedarcheck.toml:2:24:"), "{e}");
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = error("policies = [\"a.cedar\"]\n\n[rules]\nno-such-rule = \"warn\"\n");
        assert_eq!(
            e,
            "cedarcheck.toml:4:1: unknown rule `no-such-rule` (`cedarcheck rules` lists them)"
        );
        // The place is kept as data, apart from the message.
        assert!(matches!(
            parse("[rules]\npermit-all = \"loud\"\n"),
            Err(WorkspaceError::Config {
                line: 2,
                column: 14,
                ..
            })
        ));
        let e = error("[rules]\npermit-all = \"loud\"\n");
        assert!(
            e.starts_with("cedarcheck.toml:2:14: `permit-all` = \"loud\""),
            "{e}"
        );
        let e = error("polices = []\n");
        assert!(
            e.starts_with("cedarcheck.toml:1:1: unknown field `polices`"),
            "{e}"
        );
        let e = error("[analysis]\ndeep = \"sometimes\"\n");
        assert!(e.starts_with("cedarcheck.toml:2:8:"), "{e}");
        let e = error("policies = [\"a[\"]\n");
        assert!(e.contains("invalid glob `a[`"), "{e}");
        let e = error("policies = [\n");
        assert!(e.starts_with("cedarcheck.toml:"), "{e}");
    }

    #[test]
    fn an_error_about_a_value_is_placed_in_the_text_that_was_parsed() {
        // No such file: the place comes from the kept text, not from reading it again.
        let text = "\n\nschema = \"missing.cedarschema\"\n";
        let config = parse(text).unwrap();
        let span = config.sets[0].schema.as_ref().unwrap().span();
        let e = config.error_at(span, "schema file does not exist".into());
        assert_eq!(
            e.to_string(),
            "cedarcheck.toml:3:10: schema file does not exist"
        );
    }

    #[test]
    fn sets_are_separate_policy_sets() {
        let config = parse(
            "[[set]]\nname = \"app\"\npolicies = [\"app/*.cedar\"]\nschema = \"app/s.cedarschema\"\n\n[[set]]\nname = \"infra\"\npolicies = [\"infra/*.cedar\"]\n",
        )
        .unwrap();
        assert_eq!(config.sets.len(), 2);
        assert_eq!(config.sets[1].name.as_deref(), Some("infra"));
        let e = error("schema = \"s.cedarschema\"\n[[set]]\npolicies = [\"a\"]\n");
        assert!(e.contains("cannot be mixed"), "{e}");
    }
}
