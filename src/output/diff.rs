//! `cedarcheck diff` output: a plan-like summary (pretty, compact), a JSON document, and — so
//! that code scanning, annotations and CI reports show it like any finding — `new-access` and
//! `removed-access` findings for SARIF, GitHub and JUnit.

use std::io::Write;
use std::sync::Arc;

use cedarcheck_analyzer::Span;
use cedarcheck_prover::diff::{
    action_name, allowed_by, denied_by, request, Change, DiffReport, EnvironmentDiff, NewSide,
};
use serde_json::json;

use super::CheckResult;
use crate::cli::{CommonArgs, Format};

/// One policy set compared, with what rendering needs of the new side.
pub struct ComparedSet {
    pub label: String,
    pub notes: Vec<String>,
    pub report: DiffReport,
    /// The new side's schema file, as shown; where findings without a policy point.
    pub schema_file: Option<String>,
    /// For each entry of the new side: its file (as shown) and the span of its id.
    pub locations: Vec<(String, Span)>,
    /// The new side's files, as shown, with their text.
    pub sources: Vec<(String, Arc<str>)>,
}

pub fn print(sets: &[ComparedSet], common: &CommonArgs, allow_new_access: bool) {
    let format = common.format.unwrap_or(Format::Pretty);
    super::to_stdout(|out| match format {
        Format::Pretty | Format::Compact => plan(out, sets, allow_new_access),
        Format::Json => document(out, sets),
        Format::Sarif | Format::Github | Format::Junit => {
            let result = as_findings(sets);
            super::write_findings(out, format, &result, common.fail_level.level(), false)
        }
    });
    if !common.quiet && format != Format::Json {
        for note in sets.iter().flat_map(|s| &s.notes) {
            eprintln!("note: {note}");
        }
        if matches!(format, Format::Sarif | Format::Github | Format::Junit) {
            eprintln!("{}", summary(sets, allow_new_access));
        }
    }
}

/// `+ Ops::Agent may now ReadSecret on Ops::Secret — e.g. …`, one line per changed
/// environment, then a summary.
fn plan(out: &mut impl Write, sets: &[ComparedSet], allow_new_access: bool) -> std::io::Result<()> {
    for set in sets {
        for env in &set.report.environments {
            let (who, what, on) = (&env.principal, action_name(&env.action), &env.resource);
            match &env.change {
                Change::Equivalent | Change::AddedEnvironmentDenied => continue,
                Change::RemovedEnvironment => {
                    writeln!(out, "- {who} can no longer {what} on {on}: the schema removed this request environment")?;
                    continue;
                }
                Change::Unknown(reason) => {
                    writeln!(out, "? {who} {what} on {on}: could not decide ({reason}); treated as possibly new access")?;
                    continue;
                }
                _ => {}
            }
            if let Some(example) = &env.added {
                let new = if env.change == Change::AddedEnvironment {
                    " (a new request environment)"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "+ {who} may now {what} on {on}{new} — e.g. {}{}",
                    request(example),
                    allowed_by(example)
                )?;
            }
            if let Some(example) = &env.removed {
                writeln!(
                    out,
                    "- {who} may no longer {what} on {on} — e.g. {}{}",
                    request(example),
                    denied_by(example)
                )?;
            }
        }
    }
    writeln!(out, "{}", summary(sets, allow_new_access))
}

fn summary(sets: &[ComparedSet], allow_new_access: bool) -> String {
    let envs: Vec<&EnvironmentDiff> = sets.iter().flat_map(|s| &s.report.environments).collect();
    let count = |f: &dyn Fn(&Change) -> bool| envs.iter().filter(|e| f(&e.change)).count();
    let added = count(&|c| c.may_add_access() && !matches!(c, Change::Unknown(_)));
    let removed = count(&|c| c.removes_access() || *c == Change::RemovedEnvironment);
    let unknown = count(&|c| matches!(c, Change::Unknown(_)));
    let unchanged = count(&|c| matches!(c, Change::Equivalent | Change::AddedEnvironmentDenied));
    let mut line = format!(
        "Access added in {added}, removed in {removed}, unchanged in {unchanged} of {} request environments",
        envs.len()
    );
    if unknown > 0 {
        line.push_str(&format!("; {unknown} undecided"));
    }
    line.push('.');
    if added + unknown > 0 {
        line.push_str(if allow_new_access {
            " New access accepted (--allow-new-access)."
        } else {
            " This change grants new access: review it, then pass --allow-new-access to accept it."
        });
    }
    line
}

fn document(out: &mut impl Write, sets: &[ComparedSet]) -> std::io::Result<()> {
    let envs: Vec<&EnvironmentDiff> = sets.iter().flat_map(|s| &s.report.environments).collect();
    let value = json!({
        "version": 1,
        "sets": sets.iter().map(|s| json!({
            "name": s.label,
            "notes": s.notes,
            "environments": s.report.environments,
        })).collect::<Vec<_>>(),
        "summary": {
            "environments": envs.len(),
            "added": envs.iter().filter(|e| e.change.may_add_access() && !matches!(e.change, Change::Unknown(_))).count(),
            "removed": envs.iter().filter(|e| e.change.removes_access() || e.change == Change::RemovedEnvironment).count(),
            "unknown": envs.iter().filter(|e| matches!(e.change, Change::Unknown(_))).count(),
            "solver_queries": sets.iter().map(|s| s.report.solver_queries).sum::<usize>(),
        },
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// The changes as findings (built by the prover's diff), with the new side's files as sources.
fn as_findings(sets: &[ComparedSet]) -> CheckResult {
    let mut result = CheckResult::default();
    for set in sets {
        for (path, text) in &set.sources {
            result.files += 1;
            result.repo_paths.insert(path.clone(), path.clone());
            result.reported_files.insert(path.clone());
            result.add_source(path.clone(), text.clone());
        }
        result.findings.extend(cedarcheck_prover::diff::findings(
            &set.report,
            &NewSide {
                locations: &set.locations,
                schema_file: set.schema_file.as_deref(),
            },
        ));
    }
    cedarcheck_analyzer::sort_findings(&mut result.findings);
    result
}
