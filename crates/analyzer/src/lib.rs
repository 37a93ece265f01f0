//! cedarcheck's analysis core. It does no IO: it takes sources (path + text) and returns
//! findings with byte spans. The CLI and the language server read files and print.

mod baseline;
mod broad_permit;
mod constant;
mod diagnostic;
mod finding;
mod guarded_reads;
pub mod ide;
mod incremental;
pub mod lexer;
mod links;
pub mod mutation;
mod parallel;
mod policy;
mod policy_set;
mod policy_syntax;
mod registry;
mod rule;
pub mod rules;
mod schema;
mod settings;
mod source;
mod spelling;
mod suppression;
mod validation;

pub use baseline::{Baseline, BaselineError, Fingerprint, BASELINE_VERSION};
use broad_permit::fold_broad_permit_findings;
pub use broad_permit::is_broad_permit_finding;
pub use finding::{Finding, Level, Related, Span};
pub use incremental::IncrementalCheck;
pub use policy::{action_reads_only, Clause, ClauseKind, PolicyUnit};
pub use policy_set::{LoadedSet, PolicyEntry, PolicyKind};
pub use policy_syntax::{scan_head, PolicyHead, Syntax};
pub use registry::{rule, INVARIANT_FILE_RULES, RULES};
pub use rule::{Category, PolicyCheck, Rule, Source};
pub use schema::is_json_schema;
pub use settings::{Override, RuleLevel, Settings};
pub use source::{display_path, json_content, JsonContent, LineIndex, Position, SourceFile};
pub use suppression::{Suppressions, IGNORE_ANNOTATION};

/// One policy set: its policy files, its schema and its template-links files.
#[derive(Clone, Debug, Default)]
pub struct PolicySetInput {
    pub policies: Vec<SourceFile>,
    pub schema: Option<SourceFile>,
    pub links: Vec<SourceFile>,
}

impl PolicySetInput {
    /// Every file of the set: its policy files, then the schema, then the links files (the
    /// order `PolicyEntry::file` indexes).
    pub fn files(&self) -> Vec<&SourceFile> {
        self.policies
            .iter()
            .chain(self.schema.iter())
            .chain(self.links.iter())
            .collect()
    }
}

/// What checking a policy set found.
#[derive(Debug)]
pub struct Report {
    /// Sorted by file, then position.
    pub findings: Vec<Finding>,
    /// Policies, templates and links that loaded.
    pub policy_count: usize,
    /// Whether strict validation ran (it needs a schema that loads).
    pub validated: bool,
    /// The loaded set, for the analyses that build on it (the prover, the test runner).
    pub loaded: LoadedSet,
    pub schema: Option<cedar_policy::Schema>,
    /// Policies (by cedarcheck id) that failed strict validation; analyses that need
    /// well-typed policies skip them.
    pub invalid_policies: std::collections::BTreeSet<String>,
    /// Policies the validator proved can never apply (`impossible-policy`).
    pub impossible_policies: std::collections::BTreeSet<String>,
}

/// Parses, links and validates the set, runs every static rule that `settings` leaves on, and
/// gives each finding its configured level.
///
/// Deeply nested input recurses deeply in Cedar's parser; call this on a thread with a large
/// stack (see [`with_large_stack`]).
pub fn check(input: &PolicySetInput, settings: &Settings) -> Report {
    let files = input.files();
    let policy_files: Vec<usize> = (0..input.policies.len()).collect();
    let mut findings = Vec::new();

    let schema = input
        .schema
        .as_ref()
        .and_then(|file| schema::load_schema(file, &mut findings));
    let threads = settings.threads();
    let mut loaded: LoadedSet =
        policy_set::load_policies(&files, &policy_files, threads, &mut findings);
    let first_links = input.policies.len() + usize::from(input.schema.is_some());
    for index in first_links..files.len() {
        links::load_links(&files, index, &mut loaded, &mut findings);
    }
    // The rules and validation are independent; the rules' findings come after validation's.
    let (validated, ruled) = parallel::join(
        threads > 1,
        || {
            let mut validated = Vec::new();
            if let Some(schema) = &schema {
                validation::validate(schema, &loaded, &files, threads, &mut validated);
            }
            validated
        },
        || {
            let mut ruled = Vec::new();
            run_policy_rules(
                &loaded,
                &files,
                input.schema.is_some(),
                settings,
                &mut ruled,
            );
            ruled
        },
    );
    findings.extend(validated);
    findings.extend(ruled);
    Report::settled(findings, loaded, schema, input, settings)
}

impl Report {
    /// The report of a checked set: which policies failed validation or can never apply, as
    /// the findings tell them, then the findings settled (levels, suppressions, order, one
    /// finding per broad permit). `check` and [`IncrementalCheck`] both end here.
    pub(crate) fn settled(
        findings: Vec<Finding>,
        loaded: LoadedSet,
        schema: Option<cedar_policy::Schema>,
        input: &PolicySetInput,
        settings: &Settings,
    ) -> Report {
        let policies_with = |rule: &Rule| {
            findings
                .iter()
                .filter(|f| f.rule == rule.id)
                .filter_map(|f| f.policy_id.clone())
                .collect()
        };
        let invalid_policies = policies_with(&rules::schema_error::RULE);
        let impossible_policies = policies_with(&rules::impossible_policy::RULE);
        let findings = settle(findings, &loaded, input, settings);
        Report {
            findings,
            policy_count: loaded.entries.len(),
            validated: schema.is_some(),
            loaded,
            schema,
            invalid_policies,
            impossible_policies,
        }
    }
}

/// Gives each finding its configured level (dropping those of rules that are off for its
/// file; one level higher for a finding made above its rule's default level, one lower for
/// one made below it), drops the
/// findings their policies silence, and sorts the rest.
fn settle(
    findings: Vec<Finding>,
    loaded: &LoadedSet,
    input: &PolicySetInput,
    settings: &Settings,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = findings
        .into_iter()
        .filter_map(|mut finding| {
            let rule = registry::rule(finding.rule)?;
            let level = settings.level(rule, &finding.file)?;
            // A finding made above its rule's default level (`impossible-policy` on a forbid)
            // stays one level above the configured one; one made below it (`in-non-entity`
            // on a permit) stays one level below.
            finding.level = match finding.level.cmp(&rule.default_level) {
                std::cmp::Ordering::Greater => match level {
                    Level::Info => Level::Warn,
                    Level::Warn | Level::Error => Level::Error,
                },
                std::cmp::Ordering::Less => match level {
                    Level::Info | Level::Warn => Level::Info,
                    Level::Error => Level::Warn,
                },
                std::cmp::Ordering::Equal => level,
            };
            Some(finding)
        })
        .collect();
    Suppressions::new(loaded, input).retain_unsuppressed(&mut findings);
    sort_findings(&mut findings);
    fold_broad_permit_findings(&mut findings);
    findings
}

fn run_policy_rules(
    loaded: &LoadedSet,
    files: &[&SourceFile],
    has_schema: bool,
    settings: &Settings,
    findings: &mut Vec<Finding>,
) {
    run_rules(loaded, has_schema, settings, findings, |_, entry| {
        (files[entry.file], entry.span, policy_set::Origin::FILE)
    });
}

/// Runs the per-policy rules that `settings` leaves on over every policy and template of
/// `loaded`. `source` gives, by entry index, the text the policy was parsed from (with the
/// file's path), the policy's span in it and where that text lies in the file; findings are
/// moved to file offsets. `has_schema` says whether the set has a schema file.
pub(crate) fn run_rules<'a>(
    loaded: &LoadedSet,
    has_schema: bool,
    settings: &Settings,
    findings: &mut Vec<Finding>,
    source: impl Fn(usize, &PolicyEntry) -> (&'a SourceFile, Span, policy_set::Origin),
) {
    let checks: Vec<PolicyCheck> = RULES
        .iter()
        .filter(|rule| settings.may_be_on(rule))
        .filter_map(|rule| match rule.source {
            Source::Policy(check) => Some(check),
            Source::Pipeline | Source::Deep | Source::Diff => None,
        })
        .collect();
    for (index, entry) in loaded.entries.iter().enumerate() {
        let template = match entry.kind {
            PolicyKind::Link => continue,
            PolicyKind::Static => loaded
                .set
                .policy(&entry.internal_id)
                .map(|p| p.as_ref().template()),
            PolicyKind::Template => loaded.set.template(&entry.internal_id).map(|t| t.as_ref()),
        };
        let Some(template) = template else { continue };
        let (file, span, origin) = source(index, entry);
        let unit = PolicyUnit {
            id: &entry.id,
            file,
            template,
            is_template: entry.kind == PolicyKind::Template,
            has_schema,
            span,
            head: policy_syntax::scan_head(&file.text, span),
        };
        let first = findings.len();
        for check in &checks {
            check(&unit, findings);
        }
        if origin != policy_set::Origin::FILE {
            for finding in &mut findings[first..] {
                finding.span = origin.shift(finding.span);
                for related in &mut finding.related {
                    related.span = origin.shift(related.span);
                }
            }
        }
    }
}

/// Orders findings by file, then span, then rule, then what they say: the order every output
/// shows them in ([`Finding::output_order`]).
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(Finding::output_order);
}

/// The stack of an analysis thread: 256 MiB, enough for Cedar's recursive parser and
/// evaluator on pathologically nested input (thousands of parentheses).
pub const ANALYSIS_STACK_SIZE: usize = 256 << 20;

/// Runs `f` on a thread with an [`ANALYSIS_STACK_SIZE`] stack.
pub fn with_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("cedarcheck-analysis".into())
            .stack_size(ANALYSIS_STACK_SIZE)
            .spawn_scoped(scope, f)
            .expect("spawning the analysis thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
