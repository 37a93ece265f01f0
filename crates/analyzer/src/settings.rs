//! Rule levels from `[rules]` and `[[overrides]]`, resolved per rule and file.

use std::collections::HashMap;

use globset::GlobSet;

use crate::{Level, Rule};

/// `None` means the rule is off.
pub type RuleLevel = Option<Level>;

#[derive(Clone, Debug, Default)]
pub struct Settings {
    levels: HashMap<&'static str, RuleLevel>,
    overrides: Vec<Override>,
    /// Actions denied by design (`[analysis] intentionally-denied`), as Cedar writes their
    /// uids (`Ops::Action::"x"`): `unreachable-action` leaves them alone.
    pub intentionally_denied: Vec<String>,
    /// Threads to parse-check a set with (`--jobs`, `[analysis] jobs`); 0 means all cores.
    /// Only the speed depends on it, never the findings.
    pub jobs: usize,
}

/// Rule levels for the files that match `files` (paths relative to the workspace root).
#[derive(Clone, Debug)]
pub struct Override {
    pub files: GlobSet,
    pub levels: HashMap<&'static str, RuleLevel>,
}

impl Settings {
    /// Every lint rule off: what loading a set finds (the pipeline rules: parse, schema,
    /// duplicate-id errors) and nothing else. For a set loaded to be tested or compared, not
    /// linted.
    pub fn loading_only() -> Self {
        let mut settings = Settings::default();
        for rule in crate::RULES {
            if matches!(rule.source, crate::Source::Policy(_)) {
                settings.set_level(rule.id, None);
            }
        }
        settings
    }

    pub fn set_level(&mut self, rule: &'static str, level: RuleLevel) {
        self.levels.insert(rule, level);
    }

    /// Later overrides win over earlier ones and over `[rules]`.
    pub fn add_override(&mut self, over: Override) {
        self.overrides.push(over);
    }

    /// The level of `rule` for findings in `file`, `None` when it is off there.
    pub fn level(&self, rule: &Rule, file: &str) -> RuleLevel {
        let mut level = self
            .levels
            .get(rule.id)
            .copied()
            .unwrap_or(Some(rule.default_level));
        for over in &self.overrides {
            if let Some(&l) = over.levels.get(rule.id) {
                if over.files.is_match(file) {
                    level = l;
                }
            }
        }
        level
    }

    /// [`Settings::jobs`] with 0 resolved to the number of cores.
    pub fn threads(&self) -> usize {
        match self.jobs {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            jobs => jobs,
        }
    }

    /// Whether `rule` is on for at least one file, so that its check is worth running.
    pub fn may_be_on(&self, rule: &Rule) -> bool {
        self.levels
            .get(rule.id)
            .copied()
            .unwrap_or(Some(rule.default_level))
            .is_some()
            || self
                .overrides
                .iter()
                .any(|o| o.levels.get(rule.id).is_some_and(Option::is_some))
    }
}
