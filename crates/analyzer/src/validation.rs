//! Strict validation against the schema, mapped to `schema-error`, `impossible-policy` and
//! `suspicious-identifier` findings on the policy (or link) the validator names.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Effect, EntityUid, PolicyId, PolicySet, Schema, ValidationError, ValidationMode,
    ValidationResult, ValidationWarning, Validator,
};

use crate::diagnostic::finding_from_diagnostic;
use crate::policy_set::{LoadedSet, Origin};
use crate::rules::{impossible_policy, schema_error, suspicious_identifier};
use crate::spelling::closest;
use crate::{Finding, Level, SourceFile, Span};

pub fn validate(
    schema: &Schema,
    loaded: &LoadedSet,
    files: &[&SourceFile],
    findings: &mut Vec<Finding>,
) {
    let result = Validator::new(schema.clone()).validate(&loaded.set, ValidationMode::Strict);
    for (policy, finding) in findings_of(&result, Some(schema), &loaded.set, Span::empty_at(0)) {
        findings.push(locate(loaded, files, &policy, finding, &|_| Origin::FILE));
    }
}

/// The validator's errors, then its warnings, each with the policy it names and not yet
/// placed in a file ([`locate`] does that). A diagnostic without a label gets span `unlabelled`.
/// `policies` holds the policies validated (others too, perhaps): an impossible policy's
/// finding says from its scope and the `schema` why it can never apply.
/// With the `schema` validated against, a "did you mean" names the first in name order of the
/// closest names ([`settle_suggestion`]), so that the same input reads the same every run.
pub(crate) fn findings_of(
    result: &ValidationResult,
    schema: Option<&Schema>,
    policies: &PolicySet,
    unlabelled: Span,
) -> Vec<(PolicyId, Finding)> {
    // A policy that does not type-check is "impossible" only as a consequence; its errors say why.
    let erroneous: HashSet<&PolicyId> = result
        .validation_errors()
        .map(|error| error.policy_id())
        .collect();
    let mut findings = Vec::new();
    for error in result.validation_errors() {
        let mut finding = finding_from_diagnostic(&schema_error::RULE, "", error, unlabelled);
        if let Some(schema) = schema {
            settle_suggestion(schema, error, &mut finding);
        }
        findings.push((error.policy_id().clone(), finding));
    }
    // Cedar may warn twice about one impossible policy: no action applies to its scope, and
    // so it is false for every request. It gets one finding, which says why.
    let scoped: HashMap<&PolicyId, &ValidationWarning> = result
        .validation_warnings()
        .filter(|w| matches!(w, ValidationWarning::InvalidActionApplication(_)))
        .map(|w| (w.policy_id(), w))
        .collect();
    let mut reported: HashSet<&PolicyId> = HashSet::new();
    for warning in result.validation_warnings() {
        let policy = warning.policy_id();
        let rule = match warning {
            ValidationWarning::ImpossiblePolicy(_)
            | ValidationWarning::InvalidActionApplication(_) => {
                if erroneous.contains(policy) || !reported.insert(policy) {
                    continue;
                }
                let scope = scoped.get(policy).copied();
                let mut finding = finding_from_diagnostic(
                    &impossible_policy::RULE,
                    "",
                    scope.unwrap_or(warning),
                    unlabelled,
                );
                let explained = schema.and_then(|schema| {
                    impossible_policy::explain(schema, policies, policy, scope.is_some())
                });
                if let Some((effect, why)) = explained {
                    // Cedar's messages start "for policy `ID`, ", which [`locate`] takes off.
                    finding.message = format!("for policy `{policy}`, {why}");
                    if effect == Effect::Forbid {
                        // A forbid that never applies is a guardrail that fails open.
                        finding.level = Level::Error;
                    }
                }
                findings.push((policy.clone(), finding));
                continue;
            }
            _ => &suspicious_identifier::RULE,
        };
        findings.push((
            policy.clone(),
            finding_from_diagnostic(rule, "", warning, unlabelled),
        ));
    }
    findings
}

/// Cedar suggests, for an unknown entity type or action, the first of the closest names in the
/// order of its hash maps, which changes from run to run; among equally close names this picks
/// the first in name order instead, as [`closest`] does. Other suggestions are left alone.
fn settle_suggestion(schema: &Schema, error: &ValidationError, finding: &mut Finding) {
    if finding.help.is_none() {
        return;
    }
    let help = match error {
        ValidationError::UnrecognizedEntityType(_) => {
            let Some(unknown) = quoted_after(&finding.message, "unrecognized entity type `") else {
                return;
            };
            let known: Vec<String> = schema.entity_types().map(ToString::to_string).collect();
            closest(unknown, &known).map(|name| format!("did you mean `{name}`?"))
        }
        ValidationError::UnrecognizedActionId(_) => {
            let Some(unknown) = quoted_after(&finding.message, "unrecognized action `")
                .and_then(|uid| EntityUid::from_str(uid).ok())
            else {
                return;
            };
            let eid = unknown.id().unescaped();
            let with_type = format!("Action::{eid}");
            let with_type_quoted = format!("Action::\"{eid}\"");
            let mut actions: Vec<&EntityUid> = schema.actions().collect();
            actions.sort_by_cached_key(|action| action.to_string());
            // As Cedar does: first an action whose id holds this one with its type, then the
            // closest action.
            let holding_type = actions.iter().find(|action| {
                let id = action.id().unescaped();
                id.contains(&with_type) || id.contains(&with_type_quoted)
            });
            match holding_type {
                Some(action) => Some(format!(
                    "did you intend to include the type in action `{action}`?"
                )),
                None => {
                    let known: Vec<String> = actions.iter().map(ToString::to_string).collect();
                    closest(eid, &known).map(|name| format!("did you mean `{name}`?"))
                }
            }
        }
        _ => return,
    };
    finding.help = help;
}

/// The text between `prefix` and the last backtick of `message`.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let start = message.find(prefix)? + prefix.len();
    let end = message.rfind('`')?;
    message.get(start..end)
}

/// The span [`findings_of`] gives a diagnostic without a label when the labels index into
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
