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

mod json;
mod pieces;

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

    pub(crate) fn entry_index_by_internal_id(&self, id: &PolicyId) -> Option<usize> {
        self.by_internal_id.get(id).copied()
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
                .with_help(if json::is_json_policy_file(&files[entry.file].path) {
                    // A key is the id in Cedar's JSON policy format (README, "Configuration").
                    "give every policy its own key (or its own \"annotations\": {\"id\": \"…\"})"
                } else {
                    "give every policy its own @id(\"…\")"
                }),
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

/// Parses every policy file (on up to `threads` threads) and gathers their policies and
/// templates into one set.
pub fn load_policies(
    files: &[&SourceFile],
    policy_files: &[usize],
    threads: usize,
    findings: &mut Vec<Finding>,
) -> LoadedSet {
    let mut loaded = LoadedSet::default();
    let several = policy_files.len() > 1;
    let mut readable = Vec::new();
    for &file_index in policy_files {
        match parse_error::unreadable_cedar(
            files[file_index],
            crate::policy_syntax::Syntax::Policies,
        ) {
            Some(finding) => findings.push(finding),
            None => readable.push(file_index),
        }
    }
    let texts: Vec<&SourceFile> = readable.iter().map(|&index| files[index]).collect();
    let parsed = pieces::parse_files(&texts, threads);
    for (&file_index, (items, parse_findings)) in readable.iter().zip(parsed) {
        findings.extend(parse_findings);
        let Some(items) = items else {
            continue;
        };
        for (cedar_id, item) in items {
            let place = Place {
                file: file_index,
                several,
                origin: Origin::FILE,
            };
            add_item(&mut loaded, files, findings, place, &cedar_id, &item);
        }
    }
    loaded
}

/// Parses a whole policy file: its policies and templates in file order with Cedar's ids
/// (`policyN`), or `None` with a `parse-error` finding per Cedar error.
///
/// A `*.json` file holds policies in Cedar's JSON format (see [`json`]). A `*.cedar` file that
/// is clearly not Cedar gets one finding that says so instead of Cedar's.
pub(crate) fn parse_file(
    file: &SourceFile,
    findings: &mut Vec<Finding>,
) -> Option<Vec<(PolicyId, Item)>> {
    if json::is_json_policy_file(&file.path) {
        return json::parse_file(file, findings);
    }
    let parsed = match PolicySet::from_str(&file.text) {
        Ok(parsed) => parsed,
        Err(_) if parse_error::not_cedar(file).is_some() => {
            findings.extend(parse_error::not_cedar(file));
            return None;
        }
        Err(errors) => {
            for error in errors.iter() {
                findings.push(finding_from_diagnostic(
                    &parse_error::RULE,
                    &file.path,
                    error,
                    Span::empty_at(0),
                ));
            }
            return None;
        }
    };
    // Cedar numbers policies and templates together by position; keep file order.
    let mut items: Vec<(PolicyId, Item)> = parsed
        .policies()
        .map(|p| (p.id().clone(), Item::Static(p.clone())))
        .chain(
            parsed
                .templates()
                .map(|t| (t.id().clone(), Item::Template(t.clone()))),
        )
        .collect();
    items.sort_by_key(|(_, item)| item.span().start);
    Some(items)
}

/// A static policy or a template as Cedar parsed it, its source locations indexing into the
/// text it was parsed from.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Static(cedar_policy::Policy),
    Template(cedar_policy::Template),
}

impl Item {
    pub fn kind(&self) -> PolicyKind {
        match self {
            Item::Static(_) => PolicyKind::Static,
            Item::Template(_) => PolicyKind::Template,
        }
    }

    /// Static policies are templates without slots.
    pub fn template(&self) -> &cedar_policy_core::ast::Template {
        match self {
            Item::Static(p) => p.as_ref().template(),
            Item::Template(t) => t.as_ref(),
        }
    }

    /// The whole policy, annotations included, in the text it was parsed from.
    pub fn span(&self) -> Span {
        self.template().loc().map_or(Span::empty_at(0), loc_span)
    }

    /// The value of annotation `key`. (Cedar's own `annotation(key)` parses `key` with the
    /// policy parser at every call, which costs more than the lookup.)
    pub fn annotation(&self, key: &str) -> Option<&str> {
        annotation(self.template(), key)
    }

    /// Where the `@id` annotation is, in the text it was parsed from.
    fn id_annotation_span(&self) -> Option<Span> {
        self.template()
            .annotations()
            .find(|(k, _)| k.as_ref() == "id")
            .and_then(|(_, annotation)| annotation.loc.as_ref().map(loc_span))
    }

    pub fn with_id(&self, id: PolicyId) -> Item {
        match self {
            Item::Static(p) => Item::Static(p.new_id(id)),
            Item::Template(t) => Item::Template(t.new_id(id)),
        }
    }
}

/// The value of annotation `key` of a policy or template.
pub(crate) fn annotation<'a>(
    template: &'a cedar_policy_core::ast::Template,
    key: &str,
) -> Option<&'a str> {
    template
        .annotations()
        .find(|(k, _)| k.as_ref() == key)
        .map(|(_, annotation)| annotation.val.as_str())
}

/// Where an item comes from: its file, whether the set has several policy files (ids then
/// name the file), and where the text it was parsed from lies in the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    pub file: usize,
    pub several: bool,
    pub origin: Origin,
}

/// Where the text a policy was parsed from lies in its file: offset `local` of that text is
/// offset `file` of the file. Spans of the policy never start before `local`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub local: usize,
    pub file: usize,
}

impl Origin {
    /// The text is the file itself.
    pub const FILE: Origin = Origin { local: 0, file: 0 };

    /// A span of the text, as a span of the file.
    pub fn shift(self, span: Span) -> Span {
        let at = |offset: usize| offset.saturating_sub(self.local).saturating_add(self.file);
        Span::new(at(span.start), at(span.end))
    }
}

/// Gives a parsed policy or template its cedarcheck id, registers it and adds it to the set.
pub(crate) fn add_item(
    loaded: &mut LoadedSet,
    files: &[&SourceFile],
    findings: &mut Vec<Finding>,
    place: Place,
    cedar_id: &PolicyId,
    item: &Item,
) -> PolicyId {
    let file = files[place.file];
    let span = match item.template().loc() {
        Some(loc) => place.origin.shift(loc_span(loc)),
        None => Span::empty_at(0),
    };
    let id = match item.annotation("id") {
        Some(id) if !id.is_empty() => id.to_string(),
        _ if place.several => format!("{}#{cedar_id}", file.path),
        _ => cedar_id.to_string(),
    };
    let id_span = item
        .id_annotation_span()
        .map_or(span, |s| place.origin.shift(s));
    let entry = PolicyEntry {
        id,
        internal_id: cedar_id.clone(),
        file: place.file,
        span,
        id_span,
        kind: item.kind(),
        template: None,
    };
    let internal = loaded.register(entry, files, findings);
    // Adding cannot fail: the internal id is unique and the policy is already parsed.
    let added = match item.with_id(internal.clone()) {
        Item::Template(t) => loaded.set.add_template(t).is_ok(),
        Item::Static(p) => loaded.set.add(p).is_ok(),
    };
    debug_assert!(added);
    internal
}
