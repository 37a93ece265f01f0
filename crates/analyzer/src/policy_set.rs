//! Loading a policy set from several files with Cedar-compatible ids.
//!
//! A policy's id is its `@id("…")` annotation, as the Cedar CLI does; without one it is Cedar's
//! own `policyN` (N = position in its file, from 0), prefixed with `FILE#` only when the set has
//! several files. Two policies with the same id get a `duplicate-policy-id` finding; internally
//! the later one is renamed so that the rest of the set can still be validated.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{PolicyId, PolicySet};

use crate::diagnostic::finding_from_diagnostic;
use crate::policy::loc_span;
use crate::rules::{duplicate_policy_id, parse_error};
use crate::{Finding, Related, SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Static,
    Template,
    /// A template-linked policy; its span is in the links file.
    Link,
}

#[derive(Clone, Debug)]
pub struct PolicyEntry {
    /// The id users see and write in tests.
    pub id: String,
    /// The id inside `LoadedSet::set`; differs from `id` only for duplicates.
    pub internal_id: PolicyId,
    /// Index into the files the set was loaded from.
    pub file: usize,
    pub span: Span,
    /// The `@id` annotation, or `span` without one: where id findings point.
    pub id_span: Span,
    pub kind: PolicyKind,
    /// For links: the template's entry.
    pub template: Option<usize>,
}

#[derive(Debug, Default)]
pub struct LoadedSet {
    pub set: PolicySet,
    pub entries: Vec<PolicyEntry>,
    by_internal_id: HashMap<PolicyId, usize>,
    by_id: HashMap<String, usize>,
}

impl LoadedSet {
    pub fn entry_by_internal_id(&self, id: &PolicyId) -> Option<&PolicyEntry> {
        self.by_internal_id.get(id).map(|&i| &self.entries[i])
    }

    pub fn entry_index_by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// `id` itself, or `id#duplicate-N` when a policy already has it.
    pub(crate) fn unique_internal_id(&self, id: &str) -> PolicyId {
        let mut internal = PolicyId::new(id);
        let mut n = 1;
        while self.by_internal_id.contains_key(&internal) {
            n += 1;
            internal = PolicyId::new(format!("{id}#duplicate-{n}"));
        }
        internal
    }

    /// Registers an entry under a unique internal id; reports `duplicate-policy-id` when its
    /// display id is taken. Returns the internal id to add the policy under.
    pub(crate) fn register(
        &mut self,
        mut entry: PolicyEntry,
        files: &[&SourceFile],
        findings: &mut Vec<Finding>,
    ) -> PolicyId {
        if let Some(&first) = self.by_id.get(&entry.id) {
            let first = &self.entries[first];
            findings.push(
                Finding::new(
                    &duplicate_policy_id::RULE,
                    &files[entry.file].path,
                    entry.id_span,
                    format!("policy id `{}` is already used", entry.id),
                )
                .with_policy(&entry.id)
                .with_related(Related {
                    file: files[first.file].path.clone(),
                    span: first.id_span,
                    message: format!("`{}` is first used here", first.id),
                })
                .with_help("give every policy its own @id(\"…\")"),
            );
        }
        entry.internal_id = self.unique_internal_id(&entry.id);
        let index = self.entries.len();
        self.by_internal_id.insert(entry.internal_id.clone(), index);
        self.by_id.entry(entry.id.clone()).or_insert(index);
        let internal_id = entry.internal_id.clone();
        self.entries.push(entry);
        internal_id
    }
}

/// Parses every policy file and gathers their policies and templates into one set.
pub fn load_policies(
    files: &[&SourceFile],
    policy_files: &[usize],
    findings: &mut Vec<Finding>,
) -> LoadedSet {
    let mut loaded = LoadedSet::default();
    let several = policy_files.len() > 1;
    for &file_index in policy_files {
        let file = files[file_index];
        if let Some(finding) =
            parse_error::unreadable_cedar(file, crate::policy_syntax::Syntax::Policies)
        {
            findings.push(finding);
            continue;
        }
        let parsed = match PolicySet::from_str(&file.text) {
            Ok(parsed) => parsed,
            Err(errors) => {
                for error in errors.iter() {
                    findings.push(finding_from_diagnostic(
                        &parse_error::RULE,
                        &file.path,
                        error,
                        Span::empty_at(0),
                    ));
                }
                continue;
            }
        };
        // Cedar numbers policies and templates together by position; keep file order.
        let mut items: Vec<(Span, PolicyKind, PolicyId)> = parsed
            .policies()
            .map(|p| {
                let span = p.as_ref().loc().map_or(Span::empty_at(0), loc_span);
                (span, PolicyKind::Static, p.id().clone())
            })
            .chain(parsed.templates().map(|t| {
                let span = t.as_ref().loc().map_or(Span::empty_at(0), loc_span);
                (span, PolicyKind::Template, t.id().clone())
            }))
            .collect();
        items.sort_by_key(|(span, _, _)| span.start);
        for (span, kind, cedar_id) in items {
            let annotated = match kind {
                PolicyKind::Template => parsed.template(&cedar_id).and_then(|t| t.annotation("id")),
                _ => parsed.policy(&cedar_id).and_then(|p| p.annotation("id")),
            };
            let id = match annotated {
                Some(id) if !id.is_empty() => id.to_string(),
                _ if several => format!("{}#{cedar_id}", file.path),
                _ => cedar_id.to_string(),
            };
            let id_span = id_annotation_span(&parsed, kind, &cedar_id).unwrap_or(span);
            let entry = PolicyEntry {
                id,
                internal_id: cedar_id.clone(),
                file: file_index,
                span,
                id_span,
                kind,
                template: None,
            };
            let internal = loaded.register(entry, files, findings);
            // Adding cannot fail: the internal id is unique and the policy is already parsed.
            let added = match kind {
                PolicyKind::Template => parsed
                    .template(&cedar_id)
                    .map(|t| loaded.set.add_template(t.new_id(internal)).is_ok()),
                _ => parsed
                    .policy(&cedar_id)
                    .map(|p| loaded.set.add(p.new_id(internal)).is_ok()),
            };
            debug_assert_eq!(added, Some(true));
        }
    }
    loaded
}

fn id_annotation_span(parsed: &PolicySet, kind: PolicyKind, id: &PolicyId) -> Option<Span> {
    let annotations = match kind {
        PolicyKind::Template => parsed.template(id)?.as_ref().annotations_arc().clone(),
        _ => parsed.policy(id)?.as_ref().annotations_arc().clone(),
    };
    let key = cedar_policy_core::ast::AnyId::from_str("id").ok()?;
    let annotation = annotations.get(&key)?;
    annotation.loc.as_ref().map(loc_span)
}
