//! Strict validation against the schema, mapped to `schema-error`, `impossible-policy` and
//! `suspicious-identifier` findings on the policy (or link) the validator names.

use std::collections::HashSet;

use cedar_policy::{
    PolicyId, Schema, ValidationMode, ValidationResult, ValidationWarning, Validator,
};

use crate::diagnostic::finding_from_diagnostic;
use crate::policy_set::{LoadedSet, Origin};
use crate::rules::{impossible_policy, schema_error, suspicious_identifier};
use crate::{Finding, SourceFile, Span};

pub fn validate(
    schema: &Schema,
    loaded: &LoadedSet,
    files: &[&SourceFile],
    findings: &mut Vec<Finding>,
) {
    let result = Validator::new(schema.clone()).validate(&loaded.set, ValidationMode::Strict);
    for (policy, finding) in raw_findings(&result, Span::empty_at(0)) {
        findings.push(locate(loaded, files, &policy, finding, &|_| Origin::FILE));
    }
}

/// The validator's errors, then its warnings, each with the policy it names and not yet
/// placed in a file ([`locate`] does that). A diagnostic without a label gets span `unlabelled`.
pub(crate) fn raw_findings(
    result: &ValidationResult,
    unlabelled: Span,
) -> Vec<(PolicyId, Finding)> {
    // A policy that does not type-check is "impossible" only as a consequence; its errors say why.
    let erroneous: HashSet<&PolicyId> = result
        .validation_errors()
        .map(|error| error.policy_id())
        .collect();
    let mut findings = Vec::new();
    for error in result.validation_errors() {
        findings.push((
            error.policy_id().clone(),
            finding_from_diagnostic(&schema_error::RULE, "", error, unlabelled),
        ));
    }
    for warning in result.validation_warnings() {
        let rule = match warning {
            ValidationWarning::ImpossiblePolicy(_)
            | ValidationWarning::InvalidActionApplication(_) => {
                if erroneous.contains(warning.policy_id()) {
                    continue;
                }
                &impossible_policy::RULE
            }
            _ => &suspicious_identifier::RULE,
        };
        findings.push((
            warning.policy_id().clone(),
            finding_from_diagnostic(rule, "", warning, unlabelled),
        ));
    }
    findings
}

/// The span [`raw_findings`] gives a diagnostic without a label when the labels index into
/// text that does not start the file; [`locate`] puts such a finding on its policy.
pub(crate) const UNLABELLED: Span = Span {
    start: usize::MAX,
    end: usize::MAX,
};

/// Puts a validator finding in the file of the policy it names. A link's own file holds no
/// Cedar text, so its findings point at the template, with the link named.
///
/// The finding's spans index into the text the policy (or the link's template) was parsed
/// from; `origin` gives where that text lies in the file, by entry index.
pub(crate) fn locate(
    loaded: &LoadedSet,
    files: &[&SourceFile],
    policy: &PolicyId,
    mut finding: Finding,
    origin: &dyn Fn(usize) -> Origin,
) -> Finding {
    let Some(index) = loaded.entry_index_by_internal_id(policy) else {
        if finding.span == UNLABELLED {
            finding.span = Span::empty_at(0);
        }
        return finding;
    };
    let entry = &loaded.entries[index];
    let source_index = entry.template.unwrap_or(index);
    let source = &loaded.entries[source_index];
    let origin = origin(source_index);
    finding.file = files[source.file].path.clone();
    for related in &mut finding.related {
        related.file = finding.file.clone();
        related.span = origin.shift(related.span);
    }
    if finding.span != UNLABELLED {
        finding.span = origin.shift(finding.span);
    }
    if finding.span == UNLABELLED || finding.span == Span::empty_at(0) {
        finding.span = source.span;
    }
    // Cedar's messages start "for policy `ID`, " with the internal id; the finding names the
    // policy itself.
    let prefix = format!("for policy `{}`, ", entry.internal_id);
    if let Some(rest) = finding.message.strip_prefix(&prefix) {
        finding.message = rest.to_string();
    }
    if entry.template.is_some() {
        finding.message = format!("in link `{}`: {}", entry.id, finding.message);
    }
    finding.with_policy(&entry.id)
}
