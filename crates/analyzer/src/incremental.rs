//! Checking a policy set again after an edit, reusing the work the edit did not touch.
//!
//! [`IncrementalCheck::check`] gives the findings of [`crate::check`] for the same input, in
//! the same order, and [`IncrementalCheck::report`] its whole [`Report`] (the last check's,
//! when it was of the same input). Between calls it keeps, by content:
//! - each statement of a policy file (the text from the end of the previous policy to its
//!   `;`, see [`split_statements`]) parsed apart from the file, so that an edit re-parses
//!   only the statements it touched (new statements next to each other are parsed together).
//!   A statement's source locations index into the text it was parsed from, wherever the
//!   statement now is in the file; findings are moved to file offsets when they are made;
//! - the parsed schema and its validator, while the schema file is unchanged;
//! - each policy's strict-validation findings, while the schema, the statement's text and the
//!   policy's internal id are unchanged.
//!
//! The set itself (ids, duplicates, links, rules, suppressions, levels, order) is put together
//! on every call as `check` does it, from the reused parts. A policy file whose statements do
//! not each parse as exactly one policy (a syntax error) is parsed whole, as `check` parses
//! it, for Cedar's own errors at their own locations.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{PolicyId, PolicySet, ValidationMode, Validator};

use crate::policy_set::{add_item, parse_file, Item, Origin, Place};
use crate::policy_syntax::{split_statements, Syntax};
use crate::rules::parse_error;
use crate::validation::{findings_of, locate, UNLABELLED};
use crate::{
    links, run_rules, schema, Finding, LoadedSet, PolicyKind, PolicySetInput, Report, Settings,
    SourceFile, Span,
};

/// What one policy set's checks reuse from the previous ones. Keep one per set (a fresh one
/// checks from scratch); it holds parsed policies and the parsed schema of the last check
/// (and, while a file does not parse, of the last check in which every file parsed).
#[derive(Default)]
pub struct IncrementalCheck {
    /// Counts the calls to [`IncrementalCheck::check`].
    round: u64,
    /// The last round in which every policy file was read statement by statement.
    last_complete: u64,
    schema: Option<SchemaMemo>,
    schema_generation: u64,
    statements: HashMap<Arc<str>, Statement>,
    /// The last check's report, with the input it was of.
    last: Option<(PolicySetInput, Arc<Report>)>,
}

struct SchemaMemo {
    file: SourceFile,
    /// `None` when the schema does not load (its findings say why).
    validator: Option<Validator>,
    findings: Vec<Finding>,
    generation: u64,
}

/// One statement of a policy file, by its text: the policy or template it holds.
struct Statement {
    item: Item,
    /// The text `item` was parsed from (its source locations index into it): the statement,
    /// or a run of statements parsed together that holds it.
    text: Arc<str>,
    /// Where the statement starts in `text`.
    offset: usize,
    /// The last round that used it.
    used: u64,
    /// The last round that used it and read every file statement by statement.
    kept: u64,
    validation: Option<Validation>,
}

/// The validator's findings about a statement's policy, before [`locate`].
struct Validation {
    schema: u64,
    internal_id: PolicyId,
    findings: Vec<(PolicyId, Finding)>,
}

/// Where an entry of the loaded set was parsed from.
struct Local {
    /// The file's path, with the text the policy was parsed from.
    file: SourceFile,
    /// Where that text lies in the file.
    origin: Origin,
    /// The policy's span in that text.
    span: Span,
    /// The statement, when the policy was parsed apart from the file.
    statement: Option<Arc<str>>,
}

impl IncrementalCheck {
    pub fn new() -> Self {
        Self::default()
    }

    /// The findings of [`crate::check`]`(input, settings)`, reusing what earlier calls parsed
    /// and validated.
    ///
    /// Like `check`, call it on a thread with a large stack (see
    /// [`crate::with_large_stack`]).
    pub fn check(&mut self, input: &PolicySetInput, settings: &Settings) -> Vec<Finding> {
        self.check_report(input, settings).findings.clone()
    }

    /// The [`Report`] of [`crate::check`]`(input, settings)`: the last check's when it was of
    /// the same files with the same texts (then `settings` are taken to be that check's: keep
    /// one `IncrementalCheck` per set and its settings), else a new check's.
    ///
    /// Like `check`, call it on a thread with a large stack.
    pub fn report(&mut self, input: &PolicySetInput, settings: &Settings) -> Arc<Report> {
        match &self.last {
            Some((last, report)) if same_input(last, input) => report.clone(),
            _ => self.check_report(input, settings),
        }
    }

    /// Checks `input` and keeps its report as the last one.
    fn check_report(&mut self, input: &PolicySetInput, settings: &Settings) -> Arc<Report> {
        let report = Arc::new(self.run(input, settings));
        self.last = Some((input.clone(), report.clone()));
        report
    }

    fn run(&mut self, input: &PolicySetInput, settings: &Settings) -> Report {
        self.round += 1;
        let files = input.files();
        let mut findings = Vec::new();

        let schema = input
            .schema
            .as_ref()
            .and_then(|file| self.load_schema(file, &mut findings));
        let mut loaded = LoadedSet::default();
        let mut locals: Vec<Option<Local>> = Vec::new();
        let several = input.policies.len() > 1;
        let mut complete = true;
        for (file_index, file) in input.policies.iter().enumerate() {
            if let Some(finding) = parse_error::unreadable_cedar(file, Syntax::Policies) {
                findings.push(finding);
                complete = false;
                continue;
            }
            let items = match self.statements(file) {
                Some(items) => items,
                None => {
                    complete = false;
                    let Some(items) = parse_file(file, &mut findings) else {
                        continue;
                    };
                    items
                        .into_iter()
                        .map(|(cedar_id, item)| Parsed {
                            cedar_id,
                            origin: Origin::FILE,
                            text: file.text.clone(),
                            statement: None,
                            item,
                        })
                        .collect()
                }
            };
            for parsed in items {
                let place = Place {
                    file: file_index,
                    several,
                    origin: parsed.origin,
                };
                add_item(
                    &mut loaded,
                    &files,
                    &mut findings,
                    place,
                    &parsed.cedar_id,
                    &parsed.item,
                );
                locals.push(Some(Local {
                    file: SourceFile {
                        path: file.path.clone(),
                        text: parsed.text,
                        invalid_utf8_at: None,
                    },
                    origin: parsed.origin,
                    span: parsed.item.span(),
                    statement: parsed.statement,
                }));
            }
        }
        let first_links = input.policies.len() + usize::from(input.schema.is_some());
        for index in first_links..files.len() {
            links::load_links(&files, index, &mut loaded, &mut findings);
        }
        locals.resize_with(loaded.entries.len(), || None);
        if let (Some(generation), Some(memo)) = (schema, &self.schema) {
            if let Some(validator) = &memo.validator {
                let found = validate(
                    validator,
                    generation,
                    &mut self.statements,
                    &loaded,
                    &files,
                    &locals,
                );
                findings.extend(found);
            }
        }
        run_rules(
            &loaded,
            input.schema.is_some(),
            settings,
            &mut findings,
            |index, entry| {
                match locals.get(index).and_then(Option::as_ref) {
                    Some(local) => (&local.file, local.span, local.origin),
                    // Every policy and template has its local; links are not checked.
                    None => (files[entry.file], entry.span, Origin::FILE),
                }
            },
        );
        self.forget_unused(complete);
        let schema = schema
            .and(self.schema.as_ref())
            .and_then(|memo| memo.validator.as_ref())
            .map(|validator| validator.schema().clone());
        Report::settled(findings, loaded, schema, input, settings)
    }

    /// The schema's findings into `findings`, and the generation of its validator when it
    /// loads. The schema is parsed again only when its file changed.
    fn load_schema(&mut self, file: &SourceFile, findings: &mut Vec<Finding>) -> Option<u64> {
        let same = self.schema.as_ref().is_some_and(|memo| {
            memo.file.path == file.path
                && memo.file.invalid_utf8_at == file.invalid_utf8_at
                && memo.file.text == file.text
        });
        if !same {
            let mut found = Vec::new();
            let schema = schema::load_schema(file, &mut found);
            self.schema_generation += 1;
            self.schema = Some(SchemaMemo {
                file: file.clone(),
                validator: schema.map(Validator::new),
                findings: found,
                generation: self.schema_generation,
            });
        }
        let memo = self.schema.as_ref()?;
        findings.extend(memo.findings.iter().cloned());
        memo.validator.is_some().then_some(memo.generation)
    }

    /// The policies and templates of `file`, parsed statement by statement with Cedar's ids,
    /// or `None` when a statement does not hold exactly one (the file does not parse).
    ///
    /// Statements not seen before are parsed together, a run of consecutive ones at a time:
    /// Cedar's lexer warms up per parse, so a thousand small parses cost twice one large one.
    fn statements(&mut self, file: &SourceFile) -> Option<Vec<Parsed>> {
        let text = &file.text;
        let (statements, rest) = split_statements(text)?;
        if !holds_no_policy(text.get(rest.start..rest.end)?) {
            return None;
        }
        let mut run: Vec<Span> = Vec::new();
        for (i, span) in statements.iter().enumerate() {
            if !self
                .statements
                .contains_key(text.get(span.start..span.end)?)
            {
                run.push(*span);
            }
            let run_ends = statements.get(i + 1).is_none_or(|next| {
                self.statements
                    .contains_key(text.get(next.start..next.end).unwrap_or_default())
            });
            if run_ends && !run.is_empty() {
                self.parse_run(text, &run)?;
                run.clear();
            }
        }
        let mut parsed = Vec::with_capacity(statements.len());
        for (position, span) in statements.into_iter().enumerate() {
            let (key, _) = self
                .statements
                .get_key_value(text.get(span.start..span.end)?)?;
            let key = key.clone();
            let statement = self.statements.get_mut(&key)?;
            statement.used = self.round;
            parsed.push(Parsed {
                cedar_id: PolicyId::new(format!("policy{position}")),
                origin: Origin {
                    local: statement.offset,
                    file: span.start,
                },
                text: statement.text.clone(),
                statement: Some(key),
                item: statement.item.clone(),
            });
        }
        Some(parsed)
    }

    /// Parses consecutive statements of `text` together and keeps each one's policy; `None`
    /// (keeping nothing) unless each holds exactly one that ends at its `;`.
    fn parse_run(&mut self, text: &str, run: &[Span]) -> Option<()> {
        let start = run.first()?.start;
        let end = run.last()?.end;
        let source: Arc<str> = text.get(start..end)?.into();
        let parsed = PolicySet::from_str(&source).ok()?;
        let mut items: Vec<Item> = parsed
            .policies()
            .map(|p| Item::Static(p.clone()))
            .chain(parsed.templates().map(|t| Item::Template(t.clone())))
            .collect();
        items.sort_by_key(|item| item.span().start);
        if items.len() != run.len() {
            return None;
        }
        for (item, span) in items.into_iter().zip(run) {
            let (offset, statement_end) = (span.start - start, span.end - start);
            let item_span = item.template().loc().map(crate::policy::loc_span)?;
            if item_span.start < offset || item_span.end != statement_end {
                return None;
            }
            self.statements
                .entry(text.get(span.start..span.end)?.into())
                .or_insert(Statement {
                    item,
                    text: source.clone(),
                    offset,
                    used: 0,
                    kept: 0,
                    validation: None,
                });
        }
        Some(())
    }

    /// Drops the statements this round did not use, except — while some file does not
    /// parse — those of the last round in which every file did, for when it parses again.
    fn forget_unused(&mut self, complete: bool) {
        let round = self.round;
        if complete {
            self.last_complete = round;
        }
        let last_complete = self.last_complete;
        self.statements.retain(|_, statement| {
            if complete && statement.used == round {
                statement.kept = round;
            }
            statement.used == round || statement.kept == last_complete
        });
    }
}

/// Whether two inputs are the same files with the same texts.
fn same_input(a: &PolicySetInput, b: &PolicySetInput) -> bool {
    let same = |a: &SourceFile, b: &SourceFile| {
        a.path == b.path && a.invalid_utf8_at == b.invalid_utf8_at && a.text == b.text
    };
    let all_same = |a: &[SourceFile], b: &[SourceFile]| {
        a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
    };
    all_same(&a.policies, &b.policies)
        && all_same(&a.links, &b.links)
        && match (&a.schema, &b.schema) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        }
}

/// A policy or template of a file, with the text its source locations index into.
struct Parsed {
    /// Cedar's id for it: `policyN`, N its position in the file.
    cedar_id: PolicyId,
    /// Where `text` lies in the file.
    origin: Origin,
    text: Arc<str>,
    /// The statement it was parsed from, when it was parsed apart from the file.
    statement: Option<Arc<str>>,
    item: Item,
}

/// Whether the text after a file's last `;` holds no policy: only whitespace and comments.
fn holds_no_policy(rest: &str) -> bool {
    rest.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        || PolicySet::from_str(rest)
            .is_ok_and(|set| set.policies().next().is_none() && set.templates().next().is_none())
}

/// Strict validation, reusing each statement's findings while the schema and the policy's
/// internal id are the same. The other policies are validated together (their findings are
/// the ones each gets alone: the validator looks at one policy at a time), then the links.
/// The findings come in the order [`crate::validation::validate`] gives for the whole set
/// wherever two of them could sort alike: a policy's errors, then its warnings; a template's
/// findings before its links'.
fn validate(
    validator: &Validator,
    generation: u64,
    statements: &mut HashMap<Arc<str>, Statement>,
    loaded: &LoadedSet,
    files: &[&SourceFile],
    locals: &[Option<Local>],
) -> Vec<Finding> {
    let origin = |index: usize| {
        locals
            .get(index)
            .and_then(Option::as_ref)
            .map_or(Origin::FILE, |local| local.origin)
    };
    let statement_of = |index: usize| {
        locals
            .get(index)
            .and_then(Option::as_ref)
            .and_then(|local| local.statement.clone())
    };
    let reusable = |statements: &HashMap<Arc<str>, Statement>, index: usize| {
        let entry = &loaded.entries[index];
        statement_of(index)
            .and_then(|key| statements.get(&key))
            .and_then(|statement| statement.validation.as_ref())
            .is_some_and(|v| v.schema == generation && v.internal_id == entry.internal_id)
    };
    let policies: Vec<usize> = (0..loaded.entries.len())
        .filter(|&index| loaded.entries[index].kind != PolicyKind::Link)
        .collect();
    let stale: Vec<usize> = policies
        .iter()
        .copied()
        .filter(|&index| !reusable(statements, index))
        .collect();
    let mut fresh: HashMap<PolicyId, Vec<(PolicyId, Finding)>> = HashMap::new();
    if !stale.is_empty() {
        let mut set = PolicySet::new();
        for &index in &stale {
            let entry = &loaded.entries[index];
            let added = match entry.kind {
                PolicyKind::Template => loaded
                    .set
                    .template(&entry.internal_id)
                    .is_some_and(|t| set.add_template(t.clone()).is_ok()),
                _ => loaded
                    .set
                    .policy(&entry.internal_id)
                    .is_some_and(|p| set.add(p.clone()).is_ok()),
            };
            if added {
                fresh.insert(entry.internal_id.clone(), Vec::new());
            }
        }
        let result = validator.validate(&set, ValidationMode::Strict);
        for (policy, finding) in findings_of(&result, Some(validator.schema()), &set, UNLABELLED) {
            if let Some(list) = fresh.get_mut(&policy) {
                list.push((policy, finding));
            }
        }
        for &index in &stale {
            let internal_id = &loaded.entries[index].internal_id;
            let memo = statement_of(index).and_then(|key| statements.get_mut(&key));
            if let (Some(statement), Some(found)) = (memo, fresh.get(internal_id)) {
                statement.validation = Some(Validation {
                    schema: generation,
                    internal_id: internal_id.clone(),
                    findings: found.clone(),
                });
            }
        }
    }
    let mut findings = Vec::new();
    for &index in &policies {
        let internal_id = &loaded.entries[index].internal_id;
        let raw = match fresh.get(internal_id) {
            Some(found) => found.as_slice(),
            None => statement_of(index)
                .and_then(|key| statements.get(&key))
                .and_then(|statement| statement.validation.as_ref())
                .map_or(&[][..], |v| v.findings.as_slice()),
        };
        for (policy, finding) in raw {
            findings.push(locate(loaded, files, policy, finding.clone(), &origin));
        }
    }
    let links: Vec<usize> = (0..loaded.entries.len())
        .filter(|&index| loaded.entries[index].kind == PolicyKind::Link)
        .collect();
    if !links.is_empty() {
        // A link is validated with its template's slots filled in; the templates' own
        // findings came above.
        let mut set = PolicySet::new();
        let mut templates = HashSet::new();
        for &index in &links {
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
        let result = validator.validate(&set, ValidationMode::Strict);
        for (policy, finding) in findings_of(&result, Some(validator.schema()), &set, UNLABELLED) {
            let is_link = loaded
                .entry_by_internal_id(&policy)
                .is_some_and(|entry| entry.kind == PolicyKind::Link);
            if is_link {
                findings.push(locate(loaded, files, &policy, finding, &origin));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text Cedar parses is read statement by statement (the fast path), and each policy
    /// comes out where Cedar's whole-file parse puts it.
    #[test]
    fn parseable_text_is_split_where_cedar_splits_it() {
        let text = concat!(
            "// a; \"comment\"\r@id(\"a;b\") permit (principal, action, resource)\n",
            "when { context.s == \"x\\\";y\" && context.t like \"*;*\" };",
            "forbid(principal,action,resource);  @x(\";\")permit (principal == ?principal, action, resource);\n",
            "// trailing; \"\n  \u{a0}",
        );
        let whole = PolicySet::from_str(text).unwrap();
        let mut expected: Vec<crate::Span> = whole
            .policies()
            .map(|p| Item::Static(p.clone()).span())
            .chain(whole.templates().map(|t| Item::Template(t.clone()).span()))
            .collect();
        expected.sort_by_key(|s| s.start);
        let file = SourceFile::new("p.cedar", text);
        let mut incremental = IncrementalCheck::new();
        let parsed = incremental
            .statements(&file)
            .expect("read statement by statement");
        let found: Vec<crate::Span> = parsed
            .iter()
            .map(|p| p.origin.shift(p.item.span()))
            .collect();
        assert_eq!(found, expected);
        assert_eq!(parsed.len(), 3);
        assert!(matches!(parsed[2].item, Item::Template(_)));
    }

    /// `report` is `check`'s report, the last check's while the texts are the same.
    #[test]
    fn the_report_is_checks_and_is_reused_for_the_same_texts() {
        let schema = "namespace Ops {\n  entity User;\n  entity Host;\n  action Reboot appliesTo { principal: [Host], resource: [Host] };\n}\n";
        let policies = [
            "@id(\"a\") permit (principal, action == Ops::Action::\"Reboot\", resource);\n",
            "@id(\"a\") permit (principal, action == Ops::Action::\"Reboot\", resource);\n\
             @id(\"bad\") permit (principal, action, resource) when { resource.nope };\n\
             @id(\"never\") permit (principal is Ops::User, action == Ops::Action::\"Reboot\", resource);\n",
        ];
        let settings = Settings::default();
        let mut incremental = IncrementalCheck::new();
        for text in policies {
            let input = PolicySetInput {
                policies: vec![SourceFile::new("p.cedar", text)],
                schema: Some(SourceFile::new("ops.cedarschema", schema)),
                links: Vec::new(),
            };
            let findings = incremental.check(&input, &settings);
            let report = incremental.report(&input, &settings);
            let expected = crate::check(&input, &settings);
            assert_eq!(findings, expected.findings);
            assert_eq!(report.findings, expected.findings);
            assert_eq!(report.policy_count, expected.policy_count);
            assert_eq!(report.validated, expected.validated);
            assert_eq!(report.schema.is_some(), expected.schema.is_some());
            assert_eq!(report.invalid_policies, expected.invalid_policies);
            assert_eq!(report.impossible_policies, expected.impossible_policies);
            if text.contains("never") {
                assert!(expected.invalid_policies.contains("bad"), "{expected:?}");
                assert!(
                    expected.impossible_policies.contains("never"),
                    "{expected:?}"
                );
            }
            let entries = |loaded: &LoadedSet| {
                loaded
                    .entries
                    .iter()
                    .map(|e| (e.id.clone(), e.file, e.span, e.id_span, e.kind, e.template))
                    .collect::<Vec<_>>()
            };
            assert_eq!(entries(&report.loaded), entries(&expected.loaded));
            // The same texts, read again: the last check's report.
            let again = PolicySetInput {
                policies: vec![SourceFile::new("p.cedar", text.to_string())],
                ..input.clone()
            };
            assert!(Arc::ptr_eq(&report, &incremental.report(&again, &settings)));
        }
        let report = incremental.report(&PolicySetInput::default(), &settings);
        assert_eq!(report.policy_count, 0);
        assert!(report.schema.is_none());
    }

    #[test]
    fn text_cedar_does_not_parse_is_not_split() {
        let mut incremental = IncrementalCheck::new();
        for text in [
            "permit (principal, action, resource)",
            "permit (principal, action, resource); permit",
            "permit (principal, action, resource) when { context.s == \"a; };",
            "permit (principal, action, resource) when { context.s == \"a\\\nb\" };",
            "permit (principal, action, resource);;",
        ] {
            let file = SourceFile::new("p.cedar", text);
            assert!(incremental.statements(&file).is_none(), "{text:?}");
            assert!(PolicySet::from_str(text).is_err(), "{text:?}");
        }
    }
}
