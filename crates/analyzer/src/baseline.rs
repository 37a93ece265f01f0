//! Baselines: today's findings, recorded so that a legacy policy set can adopt cedarcheck and
//! fail only on new findings.
//!
//! A finding's fingerprint is its rule, its file and its policy id — never a line number — so
//! a recorded finding stays recorded when lines above it move. The file format is JSON:
//!
//! ```json
//! {
//!   "version": 1,
//!   "findings": [
//!     { "rule": "unscoped-principal", "file": "policies/hosts.cedar", "policy": "anyone-reboots", "count": 1 }
//!   ]
//! }
//! ```
//!
//! sorted by file, policy and rule; `policy` is `null` for findings about a whole file, and
//! `count` says how many findings share the fingerprint.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::Finding;

/// The version this cedarcheck writes and reads.
pub const BASELINE_VERSION: u32 = 1;

/// What identifies a finding across edits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint {
    /// Relative to the repository (or workspace) root, `/` separators.
    pub file: String,
    pub policy: Option<String>,
    pub rule: String,
}

impl Fingerprint {
    /// The fingerprint of `finding`, whose file is recorded as `file`.
    pub fn of(finding: &Finding, file: &str) -> Self {
        Self {
            file: file.to_string(),
            policy: finding.policy_id.clone(),
            rule: finding.rule.to_string(),
        }
    }

    /// A stable 64-bit FNV-1a hash, in hex, of the fingerprint and the finding's rank among
    /// the findings that share it: the same on every machine and with every Rust version.
    pub fn stable_hash(&self, occurrence: usize) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let occurrence = occurrence.to_string();
        let parts = [
            self.rule.as_str(),
            self.file.as_str(),
            self.policy.as_deref().unwrap_or(""),
            occurrence.as_str(),
        ];
        for part in parts {
            // A separator byte that cannot occur in the parts keeps ("ab","c") ≠ ("a","bc").
            for byte in part.bytes().chain([0xff]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }
}

/// Recorded findings: how many of each fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    counts: BTreeMap<Fingerprint, usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    file: String,
    policy: Option<String>,
    #[serde(default = "one")]
    count: usize,
}

fn one() -> usize {
    1
}

/// Why a baseline file could not be read, at a 1-based line and column of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaselineError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for BaselineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl Baseline {
    pub fn from_fingerprints(fingerprints: impl IntoIterator<Item = Fingerprint>) -> Self {
        let mut counts = BTreeMap::new();
        for fingerprint in fingerprints {
            *counts.entry(fingerprint).or_insert(0) += 1;
        }
        Self { counts }
    }

    /// How many findings it records.
    pub fn len(&self) -> usize {
        self.counts
            .values()
            .fold(0, |sum, &n| sum.saturating_add(n))
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The file's text: pretty JSON, stable order, a trailing newline.
    pub fn to_json(&self) -> String {
        let file = BaselineFile {
            version: BASELINE_VERSION,
            findings: self
                .counts
                .iter()
                .map(|(fingerprint, &count)| Entry {
                    rule: fingerprint.rule.clone(),
                    file: fingerprint.file.clone(),
                    policy: fingerprint.policy.clone(),
                    count,
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("a baseline always serializes");
        text.push('\n');
        text
    }

    pub fn from_json(text: &str) -> Result<Self, BaselineError> {
        let located = |error: serde_json::Error, what: &str| {
            let message = error.to_string();
            // serde_json appends " at line L column C"; the error carries the position itself.
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(head, _)| head);
            BaselineError {
                line: error.line().max(1),
                column: error.column().max(1),
                message: format!("{what}: {message}"),
            }
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| located(e, "invalid JSON"))?;
        match value.get("version") {
            Some(version) if version.as_u64() == Some(u64::from(BASELINE_VERSION)) => {}
            Some(version) => {
                return Err(BaselineError {
                    line: 1,
                    column: 1,
                    message: format!(
                        "baseline version {version} is not supported (this cedarcheck reads \
                         version {BASELINE_VERSION}); write a new one with --write-baseline"
                    ),
                })
            }
            None => {
                return Err(BaselineError {
                    line: 1,
                    column: 1,
                    message: "not a cedarcheck baseline: it has no \"version\"; write one with \
                              --write-baseline"
                        .into(),
                })
            }
        }
        let file: BaselineFile =
            serde_json::from_str(text).map_err(|e| located(e, "invalid baseline"))?;
        let mut counts = BTreeMap::new();
        for entry in file.findings.into_iter().filter(|e| e.count > 0) {
            let fingerprint = Fingerprint {
                file: entry.file,
                policy: entry.policy,
                rule: entry.rule,
            };
            let count: &mut usize = counts.entry(fingerprint).or_insert(0);
            *count = count.saturating_add(entry.count);
        }
        Ok(Self { counts })
    }

    /// Removes the findings the baseline records and returns how many it removed. Of several
    /// findings with one fingerprint, the first `count` (in `findings` order) are recorded ones;
    /// any beyond that are new. `file_of` gives the path a finding's file is recorded under.
    pub fn remove_recorded(
        &self,
        findings: &mut Vec<Finding>,
        file_of: impl Fn(&Finding) -> String,
    ) -> usize {
        let mut left: HashMap<&Fingerprint, usize> =
            self.counts.iter().map(|(f, &n)| (f, n)).collect();
        let before = findings.len();
        findings.retain(|finding| {
            let fingerprint = Fingerprint::of(finding, &file_of(finding));
            match left.get_mut(&fingerprint) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        before - findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{rules::permit_all, Span};

    fn finding(policy: &str, at: usize) -> Finding {
        Finding::new(&permit_all::RULE, "a.cedar", Span::new(at, at + 1), "m").with_policy(policy)
    }

    #[test]
    fn round_trip_keeps_counts_and_sorts() {
        let baseline = Baseline::from_fingerprints([
            Fingerprint::of(&finding("p2", 0), "b.cedar"),
            Fingerprint::of(&finding("p1", 0), "b.cedar"),
            Fingerprint::of(&finding("p1", 9), "b.cedar"),
            Fingerprint::of(&finding("p9", 0), "a.cedar"),
        ]);
        let json = baseline.to_json();
        let a = json.find("\"a.cedar\"").unwrap();
        let p1 = json.find("\"p1\"").unwrap();
        let p2 = json.find("\"p2\"").unwrap();
        assert!(a < p1 && p1 < p2, "{json}");
        assert!(json.contains("\"count\": 2"), "{json}");
        assert_eq!(Baseline::from_json(&json).unwrap(), baseline);
        assert_eq!(baseline.len(), 4);
    }

    #[test]
    fn only_findings_beyond_the_recorded_count_are_new() {
        let baseline = Baseline::from_fingerprints([Fingerprint::of(&finding("p", 0), "a.cedar")]);
        // The same policy now has two findings of the rule, and they moved.
        let mut findings = vec![finding("p", 40), finding("p", 80), finding("q", 0)];
        let removed = baseline.remove_recorded(&mut findings, |f| f.file.clone());
        assert_eq!(removed, 1);
        assert_eq!(findings, [finding("p", 80), finding("q", 0)]);
    }

    #[test]
    fn bad_files_are_located_and_versions_checked() {
        let e = Baseline::from_json("{\n  \"version\": 1,\n  \"findings\": [}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 16), "{e}");
        let e = Baseline::from_json("{\"version\": 2, \"findings\": []}").unwrap_err();
        assert!(e.message.contains("version 2 is not supported"), "{e}");
        let e = Baseline::from_json("[]").unwrap_err();
        assert!(e.message.contains("no \"version\""), "{e}");
        let e = Baseline::from_json("{\"version\": 1, \"findings\": [{\"rule\": 3}]}").unwrap_err();
        assert!(e.message.starts_with("invalid baseline: "), "{e}");
    }

    #[test]
    fn hashes_are_stable_and_distinguish_occurrences() {
        let fingerprint = Fingerprint::of(&finding("p", 0), "a.cedar");
        assert_eq!(fingerprint.stable_hash(0), fingerprint.stable_hash(0));
        assert_ne!(fingerprint.stable_hash(0), fingerprint.stable_hash(1));
        assert_eq!(fingerprint.stable_hash(0).len(), 16);
    }
}
