//! A rule's declaration: id, category, default level, one-line summary, documentation, and — for
//! rules that look at one policy at a time — the check itself.

use crate::{Finding, Level, PolicyUnit};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Correctness,
    Security,
    Suspicious,
    Style,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Correctness => "correctness",
            Category::Security => "security",
            Category::Suspicious => "suspicious",
            Category::Style => "style",
        }
    }
}

/// Looks at one policy or template and pushes what it finds.
pub type PolicyCheck = fn(&PolicyUnit<'_>, &mut Vec<Finding>);

/// How a rule produces its findings.
#[derive(Clone, Copy)]
pub enum Source {
    /// Raised by the pipeline itself while parsing, linking or validating.
    Pipeline,
    /// A check run on every policy and template.
    Policy(PolicyCheck),
    /// Decided by the solver (the prover crate), per request environment.
    Deep,
    /// Reported by `cedarcheck diff` about a change, not by `check` about a policy set.
    Diff,
}

pub struct Rule {
    /// Stable kebab-case id: what users write in config, suppressions and baselines.
    pub id: &'static str,
    pub category: Category,
    pub default_level: Level,
    pub summary: &'static str,
    /// Markdown with the sections `## What it does`, `## Why is this bad?` and `## Example`.
    pub doc: &'static str,
    pub source: Source,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}
