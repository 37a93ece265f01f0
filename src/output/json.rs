//! `--format json`: the stable, documented schema (docs/json-output.md).

use std::io::Write;

use serde::Serialize;

use super::CheckResult;
use cedarcheck_analyzer::{Level, Position, Span};

/// Bumped only on incompatible changes.
const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
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
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}
