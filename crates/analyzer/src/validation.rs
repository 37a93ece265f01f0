//! Strict validation against the schema, mapped to `schema-error`, `impossible-policy` and
//! `suspicious-identifier` findings on the policy (or link) the validator names.

use std::collections::HashSet;

use cedar_policy::{PolicyId, Schema, ValidationMode, ValidationWarning, Validator};

use crate::diagnostic::finding_from_diagnostic;
use crate::policy_set::LoadedSet;
use crate::rules::{impossible_policy, schema_error, suspicious_identifier};
use crate::{Finding, SourceFile, Span};

pub fn validate(
    schema: &Schema,
    loaded: &LoadedSet,
    files: &[&SourceFile],
    findings: &mut Vec<Finding>,
) {
    let result = Validator::new(schema.clone()).validate(&loaded.set, ValidationMode::Strict);
    // A policy that does not type-check is "impossible" only as a consequence; its errors say why.
    let erroneous: HashSet<&PolicyId> = result
        .validation_errors()
        .map(|error| error.policy_id())
        .collect();
    for error in result.validation_errors() {
        findings.push(locate(
            loaded,
            files,
            error.policy_id(),
            finding_from_diagnostic(&schema_error::RULE, "", error, Span::empty_at(0)),
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
        findings.push(locate(
            loaded,
            files,
            warning.policy_id(),
            finding_from_diagnostic(rule, "", warning, Span::empty_at(0)),
        ));
    }
}

/// Puts a validator finding in the file of the policy it names. A link's own file holds no
/// Cedar text, so its findings point at the template, with the link named.
fn locate(
    loaded: &LoadedSet,
    files: &[&SourceFile],
    policy: &PolicyId,
    mut finding: Finding,
) -> Finding {
    let Some(entry) = loaded.entry_by_internal_id(policy) else {
        return finding;
    };
    let source = entry.template.map_or(entry, |t| &loaded.entries[t]);
    finding.file = files[source.file].path.clone();
    for related in &mut finding.related {
        related.file = finding.file.clone();
    }
    if finding.span == Span::empty_at(0) {
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
