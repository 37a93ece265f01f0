//! Strict validation against the schema, mapped to `schema-error`, `impossible-policy` and
//! `suspicious-identifier` findings on the policy (or link) the validator names.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Effect, EntityUid, PolicyId, PolicySet, Schema, ValidationError, ValidationMode,
    ValidationResult, ValidationWarning, Validator,
};

use crate::diagnostic::finding_from_diagnostic;
use crate::policy_set::{LoadedSet, Origin, PolicyKind};
use crate::rules::{impossible_policy, schema_error, suspicious_identifier};
use crate::spelling::closest;
use crate::{Finding, Level, SourceFile, Span};

/// Validates the set strictly on up to `threads` threads and puts each finding in its file.
///
/// The validator looks at one policy (or link) at a time, so the set is validated in chunks
/// of consecutive policies, the links with their templates, and the findings are put back in
/// the order one validation of the whole set gives them (see [`Diagnostic`]).
pub fn validate(
    schema: &Schema,
    loaded: &LoadedSet,
    files: &[&SourceFile],
    threads: usize,
    findings: &mut Vec<Finding>,
) {
    let validator = Validator::new(schema.clone());
    let policies: Vec<usize> = (0..loaded.entries.len())
        .filter(|&index| loaded.entries[index].kind != PolicyKind::Link)
        .collect();
    let links: Vec<usize> = (0..loaded.entries.len())
        .filter(|&index| loaded.entries[index].kind == PolicyKind::Link)
        .collect();
    // Enough chunks to keep every thread busy while chunks differ in cost, none so small
    // that building its set costs more than validating it.
    let chunks = (policies.len() / MIN_CHUNK).clamp(1, threads.max(1) * 4);
    if threads <= 1 || chunks == 1 {
        let result = validator.validate(&loaded.set, ValidationMode::Strict);
        for (_, policy, finding) in
            diagnostics_of(&result, Some(schema), &loaded.set, Span::empty_at(0))
        {
            findings.push(locate(loaded, files, &policy, finding, &|_| Origin::FILE));
        }
        return;
    }
    let mut work: Vec<Chunk<'_>> = policies
        .chunks(policies.len().div_ceil(chunks))
        .map(Chunk::Policies)
        .collect();
    if !links.is_empty() {
        work.push(Chunk::Links(&links));
    }
    let validated = crate::parallel::map(threads, &work, |chunk| {
        let set = chunk.set(loaded);
        let result = validator.validate(&set, ValidationMode::Strict);
        let mut found = Vec::new();
        for (diagnostic, policy, finding) in
            diagnostics_of(&result, Some(schema), &set, Span::empty_at(0))
        {
            let Some(index) = loaded.entry_index_by_internal_id(&policy) else {
                continue;
            };
            let is_link = loaded.entries[index].kind == PolicyKind::Link;
            // The links' chunk holds their templates too; the templates' own findings come
            // from their chunk.
            if matches!(chunk, Chunk::Links(_)) && !is_link {
                continue;
            }
            found.push(((diagnostic.rank(is_link), index), policy, finding));
        }
        found
    });
    let mut validated: Vec<_> = validated.into_iter().flatten().collect();
    validated.sort_by_key(|(order, _, _)| *order);
    for (_, policy, finding) in validated {
        findings.push(locate(loaded, files, &policy, finding, &|_| Origin::FILE));
    }
}

/// The fewest policies worth a chunk of their own.
const MIN_CHUNK: usize = 32;

/// Policies validated together: consecutive policies and templates of the set (entry
/// indices), or every link with its template.
enum Chunk<'a> {
    Policies(&'a [usize]),
    Links(&'a [usize]),
}

impl Chunk<'_> {
    fn set(&self, loaded: &LoadedSet) -> PolicySet {
        let mut set = PolicySet::new();
        match self {
            Chunk::Policies(entries) => {
                for &index in *entries {
                    let entry = &loaded.entries[index];
                    // Adding cannot fail: the ids are the loaded set's, unique.
                    let _ = match entry.kind {
                        PolicyKind::Template => match loaded.set.template(&entry.internal_id) {
                            Some(t) => set.add_template(t.clone()).is_ok(),
                            None => false,
                        },
                        _ => match loaded.set.policy(&entry.internal_id) {
                            Some(p) => set.add(p.clone()).is_ok(),
                            None => false,
                        },
                    };
                }
            }
            Chunk::Links(entries) => {
                let mut templates = HashSet::new();
                for &index in *entries {
                    let Some(template) = loaded.entries[index].template else {
                        continue;
                    };
                    let internal = &loaded.entries[template].internal_id;
                    if templates.insert(template) {
                        if let Some(t) = loaded.set.template(internal) {
                            let _ = set.add_template(t.clone());
                        }
                    }
                    let link = &loaded.entries[index].internal_id;
                    let values = loaded
                        .set
                        .policy(link)
                        .and_then(|p| p.template_links())
                        .unwrap_or_default();
                    let _ = set.link(internal.clone(), link.clone(), values);
                }
            }
        }
        set
    }
}

/// What a validator finding came from. Cedar's `Validator::validate` gives the errors of every
/// policy and template in set order, then those of the links, and the warnings of every policy
/// and template, then those of the links, then the confusable-string warnings of every policy
/// and template; each policy's in the same order whatever else the set holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Diagnostic {
    Error,
    Warning,
    /// A mixed-script or bidirectional-character string or identifier.
    StringWarning,
}

impl Diagnostic {
    /// Where a finding about a link (or not) comes in the whole set's validation: findings
    /// sorted by rank, then by the policy's place in the set, are in that order.
    fn rank(self, is_link: bool) -> u8 {
        match (self, is_link) {
            (Diagnostic::Error, false) => 0,
            (Diagnostic::Error, true) => 1,
            (Diagnostic::Warning, false) => 2,
            (Diagnostic::Warning, true) => 3,
            (Diagnostic::StringWarning, _) => 4,
        }
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
    diagnostics_of(result, schema, policies, unlabelled)
        .into_iter()
        .map(|(_, policy, finding)| (policy, finding))
        .collect()
}

/// [`findings_of`], each finding with what it came from.
fn diagnostics_of(
    result: &ValidationResult,
    schema: Option<&Schema>,
    policies: &PolicySet,
    unlabelled: Span,
) -> Vec<(Diagnostic, PolicyId, Finding)> {
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
        findings.push((Diagnostic::Error, error.policy_id().clone(), finding));
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
                findings.push((Diagnostic::Warning, policy.clone(), finding));
                continue;
            }
            _ => &suspicious_identifier::RULE,
        };
        findings.push((
            Diagnostic::StringWarning,
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
