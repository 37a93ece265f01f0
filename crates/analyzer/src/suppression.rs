//! `@cedarcheck_ignore("rule-a, rule-b")`: a policy silences exactly the listed rules for
//! itself.
//!
//! A finding belongs to the policy whose text contains it, else to the policy its `policy_id`
//! names (a link's findings in a links file); a link reads its template's annotation, as Cedar
//! gives links their template's annotations. Findings about a whole file are never silenced.

use std::collections::BTreeSet;

use crate::policy_set::annotation;
use crate::{Finding, LoadedSet, PolicyKind, PolicySetInput, Span};

/// The annotation key.
pub const IGNORE_ANNOTATION: &str = "cedarcheck_ignore";

/// The rule ids an annotation value lists, each with its byte offset in the value. Ids are
/// separated by commas, whitespace or both.
pub fn listed_rules(value: &str) -> impl Iterator<Item = (usize, &str)> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|id| !id.is_empty())
        // `split` yields subslices of `value`, so the pointer difference is the offset.
        .map(move |id| (id.as_ptr() as usize - value.as_ptr() as usize, id))
}

/// Which rules each policy of a loaded set silences. Built once per set; applies to the
/// findings of any analysis of that set (static rules here, deep rules in the prover).
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    policies: Vec<PolicyIgnores>,
}

#[derive(Clone, Debug)]
struct PolicyIgnores {
    id: String,
    file: String,
    span: Span,
    rules: BTreeSet<String>,
}

impl Suppressions {
    /// Reads every policy's `@cedarcheck_ignore` in `loaded`, which was loaded from `input`.
    pub fn new(loaded: &LoadedSet, input: &PolicySetInput) -> Self {
        let files: Vec<&str> = input.files().iter().map(|f| f.path.as_str()).collect();
        let policies = loaded
            .entries
            .iter()
            .map(|entry| {
                let value = match entry.kind {
                    PolicyKind::Template => loaded
                        .set
                        .template(&entry.internal_id)
                        .and_then(|t| annotation(t.as_ref(), IGNORE_ANNOTATION)),
                    PolicyKind::Static | PolicyKind::Link => loaded
                        .set
                        .policy(&entry.internal_id)
                        .and_then(|p| annotation(p.as_ref().template(), IGNORE_ANNOTATION)),
                };
                PolicyIgnores {
                    id: entry.id.clone(),
                    file: files.get(entry.file).copied().unwrap_or_default().into(),
                    span: entry.span,
                    rules: value
                        .map(|v| listed_rules(v).map(|(_, id)| id.to_string()).collect())
                        .unwrap_or_default(),
                }
            })
            .collect();
        Self { policies }
    }

    /// Whether the policy `finding` is about silences its rule.
    pub fn is_suppressed(&self, finding: &Finding) -> bool {
        let Some(policy_id) = &finding.policy_id else {
            return false;
        };
        let contains = |p: &&PolicyIgnores| {
            p.file == finding.file
                && p.span.start <= finding.span.start
                && finding.span.end <= p.span.end
        };
        let owner = self
            .policies
            .iter()
            .find(contains)
            .or_else(|| self.policies.iter().find(|p| &p.id == policy_id));
        owner.is_some_and(|p| p.rules.contains(finding.rule))
    }

    /// Drops the findings their policies silence.
    pub fn retain_unsuppressed(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.is_suppressed(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_split_on_commas_and_whitespace_with_their_offsets() {
        let listed: Vec<_> = listed_rules(" a-b,c-d ,\n e ").collect();
        assert_eq!(listed, [(1, "a-b"), (5, "c-d"), (12, "e")]);
        assert_eq!(listed_rules(" , ").count(), 0);
    }
}
