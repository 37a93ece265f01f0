//! `--format json`: the stable, documented schema (docs/json-output.md).

use std::io::Write;

use serde::Serialize;

use super::{CheckResult, SetDeep};
use crate::deep::Summary as DeepSummary;
use cedarcheck_analyzer::{Level, Position, Span};

/// Bumped only on incompatible changes.
const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
    /// The deep analysis of the whole run, with each policy set's below.
    deep: JsonDeep<'a>,
    /// What the run could not check, as `note:` lines say it in the other formats.
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonDeep<'a> {
    #[serde(flatten)]
    all: DeepFields<'a>,
    sets: Vec<JsonSetDeep<'a>>,
}

#[derive(Serialize)]
struct JsonSetDeep<'a> {
    name: Option<&'a str>,
    #[serde(flatten)]
    fields: DeepFields<'a>,
}

#[derive(Serialize)]
struct DeepFields<'a> {
    ran: bool,
    reason: Option<String>,
    skipped_policies: Vec<&'a str>,
    skipped_templates: Vec<&'a str>,
    environments: usize,
    solver_queries: usize,
    unknown: usize,
}

impl<'a> DeepFields<'a> {
    fn of(summary: &'a DeepSummary) -> Self {
        Self {
            ran: summary.ran,
            reason: summary.reason.clone(),
            skipped_policies: summary
                .skipped_policies
                .iter()
                .map(String::as_str)
                .collect(),
            skipped_templates: summary
                .skipped_templates
                .iter()
                .map(String::as_str)
                .collect(),
            environments: summary.environments,
            solver_queries: summary.solver_queries,
            unknown: summary.unknown,
        }
    }

    /// The whole run: it ran when it ran on every set; what any set skipped, and the sums.
    fn all(sets: &'a [SetDeep]) -> Self {
        let mut reasons: Vec<String> = Vec::new();
        for reason in sets.iter().filter_map(|s| s.summary.reason.as_ref()) {
            if !reasons.contains(reason) {
                reasons.push(reason.clone());
            }
        }
        if sets.is_empty() {
            reasons.push("no policy set was checked".into());
        }
        let mut skipped_policies = Vec::new();
        let mut skipped_templates = Vec::new();
        for set in sets {
            skipped_policies.extend(set.summary.skipped_policies.iter().map(String::as_str));
            skipped_templates.extend(set.summary.skipped_templates.iter().map(String::as_str));
        }
        let sum = |count: fn(&DeepSummary) -> usize| sets.iter().map(|s| count(&s.summary)).sum();
        Self {
            ran: !sets.is_empty() && sets.iter().all(|s| s.summary.ran),
            reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
            skipped_policies,
            skipped_templates,
            environments: sum(|s| s.environments),
            solver_queries: sum(|s| s.solver_queries),
            unknown: sum(|s| s.unknown),
        }
    }
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    level: Level,
    message: &'a str,
    file: &'a str,
    start: Position,
    end: Position,
    span: Span,
    policy_id: Option<&'a str>,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
    counterexample: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    message: &'a str,
    start: Position,
    end: Position,
    span: Span,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
    files: usize,
    policies: usize,
    /// With `--baseline`: findings the baseline records, not listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    baselined: Option<usize>,
}

pub fn write(out: &mut impl Write, result: &CheckResult) -> std::io::Result<()> {
    let findings = result
        .findings
        .iter()
        .map(|f| {
            let (start, end) = result.locate(&f.file, f.span);
            JsonFinding {
                rule: f.rule,
                level: f.level,
                message: &f.message,
                file: &f.file,
                start,
                end,
                span: f.span,
                policy_id: f.policy_id.as_deref(),
                help: f.help.as_deref(),
                related: f
                    .related
                    .iter()
                    .map(|r| {
                        let (start, end) = result.locate(&r.file, r.span);
                        JsonRelated {
                            file: &r.file,
                            message: &r.message,
                            start,
                            end,
                            span: r.span,
                        }
                    })
                    .collect(),
                counterexample: f.counterexample.as_ref(),
            }
        })
        .collect();
    let output = Output {
        version: SCHEMA_VERSION,
        findings,
        summary: Summary {
            errors: result.count(Level::Error),
            warnings: result.count(Level::Warn),
            infos: result.count(Level::Info),
            files: result.files,
            policies: result.policies,
            baselined: result.baselined,
        },
        deep: JsonDeep {
            all: DeepFields::all(&result.deep),
            sets: result
                .deep
                .iter()
                .map(|set| JsonSetDeep {
                    name: set.set.as_deref(),
                    fields: DeepFields::of(&set.summary),
                })
                .collect(),
        },
        notes: &result.notes,
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}
