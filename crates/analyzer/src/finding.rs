//! What every check produces: a finding with a rule id, a level and a byte span in one file.

use serde::Serialize;

/// How serious a finding is. Ordered: `Info < Warn < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "info" => Some(Level::Info),
            "warn" | "warning" => Some(Level::Warn),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A half-open byte range `start..end` in one file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start,
            end: end.max(start),
        }
    }

    pub fn empty_at(offset: usize) -> Self {
        Self::new(offset, offset)
    }
}

/// A second location that explains a finding, e.g. the first policy that uses an id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Related {
    pub file: String,
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub level: Level,
    pub message: String,
    pub file: String,
    pub span: Span,
    /// The policy the finding is about, by its cedarcheck id (`@id` or `policyN`).
    pub policy_id: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// A request that demonstrates the finding, as a Cedar CLI `run-tests` entry, ready to
    /// paste into a test file (deep rules, and `entity-literal-attribute` for a forbid).
    pub counterexample: Option<serde_json::Value>,
}

impl Finding {
    /// A finding at the rule's default level; settings adjust the level afterwards.
    pub fn new(
        rule: &crate::Rule,
        file: impl Into<String>,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule: rule.id,
            level: rule.default_level,
            message: message.into(),
            file: file.into(),
            span,
            policy_id: None,
            help: None,
            related: Vec::new(),
            counterexample: None,
        }
    }

    pub fn with_policy(mut self, id: impl Into<String>) -> Self {
        self.policy_id = Some(id.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }

    /// The order every output shows findings in: by file, then span, then rule. Findings that
    /// tie there (one error per request environment at one span, say) are ordered by what
    /// they say, so that the order never depends on the order they were found in — for
    /// Cedar's validator, that of its hash maps, which changes from run to run.
    pub fn output_order(&self, other: &Self) -> std::cmp::Ordering {
        type Key<'a> = (
            (&'a String, usize, usize, &'static str),
            (
                &'a String,
                Level,
                &'a Option<String>,
                &'a Option<String>,
                &'a [Related],
            ),
        );
        fn key(f: &Finding) -> Key<'_> {
            (
                (&f.file, f.span.start, f.span.end, f.rule),
                (&f.message, f.level, &f.policy_id, &f.help, &f.related),
            )
        }
        key(self).cmp(&key(other)).then_with(|| {
            let shown = |f: &Finding| f.counterexample.as_ref().map(ToString::to_string);
            shown(self).cmp(&shown(other))
        })
    }
}
