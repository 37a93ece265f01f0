//! `cedarcheck replay` output: the groups of changed decisions and the per-policy counts
//! (pretty, compact), a JSON document with its `summary`, and — for SARIF, GitHub and JUnit —
//! `replay-new-access` / `replay-removed-access` findings at the deciding policies.

use std::collections::BTreeMap;
use std::io::Write;

use cedarcheck_analyzer::{Finding, Span};
use serde_json::{json, Value};

use super::{Change, Group, GroupKey, NewSide, Tally};
use crate::cli::{CommonArgs, Format};
use crate::output::{self, CheckResult};

pub(crate) struct Replay {
    /// What was compared: `logged decisions → working tree` or `REV → working tree`.
    pub against: String,
    pub tally: Tally,
    /// With `--base`: each policy's status (added, removed, edited, unchanged).
    pub statuses: Option<BTreeMap<String, &'static str>>,
    pub new: NewSide,
    pub max_invalid: usize,
    pub allow_new_access: bool,
    pub allow_removed_access: bool,
}

pub(crate) fn print(replay: &Replay, common: &CommonArgs, format: Format) {
    output::to_stdout(|out| match format {
        Format::Pretty => plan(out, replay, true),
        Format::Compact => plan(out, replay, false),
        Format::Json => document(out, replay),
        Format::Sarif | Format::Github | Format::Junit => {
            let result = as_findings(replay);
            output::write_findings(out, format, &result, common.fail_level.level(), false)
        }
    });
    if !common.quiet && matches!(format, Format::Sarif | Format::Github | Format::Junit) {
        for line in headline(replay) {
            eprintln!("{line}");
        }
        eprintln!("{}", summary(replay));
    }
    if !common.quiet {
        for line in verdicts(replay) {
            eprintln!("{line}");
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What comes first: what could not be replayed, and why, before any result.
fn headline(replay: &Replay) -> Vec<String> {
    let mut lines = Vec::new();
    for (why, (count, first)) in &replay.tally.not_replayable {
        lines.push(format!(
            "not replayable: {} ({why}), first at {first}",
            plural(*count, "decision", "decisions")
        ));
    }
    for invalid in &replay.tally.invalid {
        let column = invalid.column.map_or(String::new(), |c| format!(":{c}"));
        lines.push(format!(
            "{}{column}: {}: {}",
            invalid.at,
            invalid.problem.as_str(),
            invalid.message
        ));
    }
    lines
}

fn summary(replay: &Replay) -> String {
    let s = &replay.tally.summary;
    let mut line = format!(
        "Replayed {} of {} ({}): {} changed — {} newly allowed, {} newly denied",
        s.replayed,
        plural(s.decisions, "decision", "decisions"),
        replay.against,
        s.changed,
        s.newly_allowed,
        s.newly_denied,
    );
    if s.other_reasons > 0 {
        line.push_str(&format!(
            "; {} decided the same for other reasons",
            s.other_reasons
        ));
    }
    line.push_str(&format!(
        "; {} invalid, {} not replayable.",
        s.invalid, s.not_replayable
    ));
    line
}

/// Why the run fails, on stderr.
fn verdicts(replay: &Replay) -> Vec<String> {
    let s = &replay.tally.summary;
    let mut lines = Vec::new();
    if s.newly_allowed > 0 && !replay.allow_new_access {
        lines.push(format!(
            "cedarcheck: {} would be newly allowed: review, then pass --allow-new-access to accept",
            plural(s.newly_allowed, "logged request", "logged requests")
        ));
    }
    if s.newly_denied > 0 && !replay.allow_removed_access {
        lines.push(format!(
            "cedarcheck: {} would be newly denied: review, then pass --allow-removed-access to accept",
            plural(s.newly_denied, "logged request", "logged requests")
        ));
    }
    if s.invalid > replay.max_invalid {
        lines.push(format!(
            "cedarcheck: {} invalid, more than --max-invalid {}",
            plural(s.invalid, "line is", "lines are"),
            replay.max_invalid
        ));
    }
    lines
}

fn ids(ids: &[String]) -> String {
    if ids.is_empty() {
        "no policy (default deny)".into()
    } else {
        ids.join(", ")
    }
}

fn before(key: &GroupKey) -> String {
    match &key.before {
        Some(before) => ids(before),
        None => "not logged".into(),
    }
}

fn mark(change: Change) -> &'static str {
    match change {
        Change::NewlyAllowed => "+",
        Change::NewlyDenied => "-",
        Change::OtherReasons => "~",
    }
}

/// The groups in the order every format shows them: new access first, then removed access,
/// then other reasons; the largest first within each.
fn ordered(tally: &Tally) -> Vec<(&GroupKey, &Group)> {
    let mut groups: Vec<(&GroupKey, &Group)> = tally.groups.iter().collect();
    groups.sort_by(|(ka, ga), (kb, gb)| {
        ka.change
            .cmp(&kb.change)
            .then(gb.count.cmp(&ga.count))
            .then(ka.cmp(kb))
    });
    groups
}

fn time_range(group: &Group) -> String {
    match (&group.first_time, &group.last_time) {
        (Some(first), Some(last)) if first == last => format!(", at {first}"),
        (Some(first), Some(last)) => format!(", {first} … {last}"),
        _ => String::new(),
    }
}

fn plan(out: &mut impl Write, replay: &Replay, pretty: bool) -> std::io::Result<()> {
    for line in headline(replay) {
        writeln!(out, "{line}")?;
    }
    for (key, group) in ordered(&replay.tally) {
        writeln!(
            out,
            "{} {} {} on {}: {} → {} ({}; before: {}, after: {})",
            mark(key.change),
            key.principal_type,
            key.action,
            key.resource_type,
            key.old.as_str(),
            key.new.as_str(),
            plural(group.count, "request", "requests"),
            before(key),
            ids(&key.after),
        )?;
        if pretty {
            writeln!(
                out,
                "    {}, {}{}",
                plural(group.principals.len(), "principal", "principals"),
                plural(group.resources.len(), "resource", "resources"),
                time_range(group)
            )?;
            writeln!(out, "    at {}", group.examples.join(", "))?;
            if let Some(example) = &group.example {
                writeln!(out, "    test: {example}")?;
            }
        }
    }
    let policies = policy_rows(replay);
    if pretty && !policies.is_empty() {
        writeln!(out, "Per policy:")?;
        for row in &policies {
            let status = row.status.map_or(String::new(), |s| format!(" ({s})"));
            writeln!(
                out,
                "  {}{status}: would newly deny {}, newly allow {}",
                row.policy, row.newly_denied, row.newly_allowed
            )?;
        }
    }
    writeln!(out, "{}", summary(replay))
}

struct PolicyRow<'a> {
    policy: &'a str,
    status: Option<&'static str>,
    newly_denied: usize,
    newly_allowed: usize,
}

/// Every policy a flip is put down to; with `--base` also every policy the change added,
/// removed or edited, flips or not.
fn policy_rows(replay: &Replay) -> Vec<PolicyRow<'_>> {
    let mut rows: BTreeMap<&str, PolicyRow<'_>> = BTreeMap::new();
    let status = |id: &str| {
        replay
            .statuses
            .as_ref()
            .map(|s| s.get(id).copied().unwrap_or("unchanged"))
    };
    for (policy, &(denied, allowed)) in &replay.tally.policies {
        rows.insert(
            policy,
            PolicyRow {
                policy,
                status: status(policy),
                newly_denied: denied,
                newly_allowed: allowed,
            },
        );
    }
    if let Some(statuses) = &replay.statuses {
        for (policy, &s) in statuses {
            if s != "unchanged" {
                rows.entry(policy).or_insert(PolicyRow {
                    policy,
                    status: Some(s),
                    newly_denied: 0,
                    newly_allowed: 0,
                });
            }
        }
    }
    rows.into_values().collect()
}

fn document(out: &mut impl Write, replay: &Replay) -> std::io::Result<()> {
    let tally = &replay.tally;
    let groups: Vec<Value> = ordered(tally)
        .into_iter()
        .map(|(key, group)| {
            json!({
                "change": key.change.as_str(),
                "principal_type": key.principal_type,
                "action": key.action,
                "resource_type": key.resource_type,
                "old": key.old.as_str(),
                "new": key.new.as_str(),
                "before": key.before,
                "after": key.after,
                "count": group.count,
                "principals": group.principals.len(),
                "resources": group.resources.len(),
                "first_time": group.first_time,
                "last_time": group.last_time,
                "examples": group.examples,
                "example": group.example,
            })
        })
        .collect();
    let value = json!({
        "version": 1,
        "set": replay.new.label,
        "against": replay.against,
        "summary": tally.summary,
        "not_replayable": tally.not_replayable.iter().map(|(why, (count, first))| json!({
            "reason": why, "count": count, "first": first,
        })).collect::<Vec<_>>(),
        "invalid": tally.invalid.iter().map(|i| json!({
            "at": i.at, "column": i.column, "kind": i.problem.as_str(), "message": i.message,
        })).collect::<Vec<_>>(),
        "groups": groups,
        "policies": policy_rows(replay).iter().map(|row| json!({
            "policy": row.policy,
            "status": row.status,
            "newly_denied": row.newly_denied,
            "newly_allowed": row.newly_allowed,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// One finding per group of new or removed access, at its first deciding policy, with the
/// level the config gives the rule for that file.
fn as_findings(replay: &Replay) -> CheckResult {
    let new = &replay.new;
    let mut result = CheckResult::default();
    for (path, text) in &new.sources {
        result.files += 1;
        result.repo_paths.insert(path.clone(), path.clone());
        result.reported_files.insert(path.clone());
        result.add_source(path.clone(), text.clone());
    }
    for (key, group) in ordered(&replay.tally) {
        let (rule, verb) = match key.change {
            Change::NewlyAllowed => (
                &cedarcheck_analyzer::rules::replay_new_access::RULE,
                "would now be allowed",
            ),
            Change::NewlyDenied => (
                &cedarcheck_analyzer::rules::replay_removed_access::RULE,
                "would now be denied",
            ),
            Change::OtherReasons => continue,
        };
        let deciding = key.deciding();
        let at = deciding.iter().find_map(|id| {
            new.locations
                .get(id)
                .map(|(file, span)| (Some(id), file, *span))
        });
        let (policy, file, span) = match at {
            Some(at) => at,
            None => match &new.fallback_file {
                Some(file) => (None, file, Span::empty_at(0)),
                None => continue,
            },
        };
        let Some(level) = new.settings.level(rule, file) else {
            continue;
        };
        let message = format!(
            "{} of {} to {} on {} {verb} ({} → {}; before: {}, after: {}), e.g. at {}",
            plural(group.count, "logged request", "logged requests"),
            key.principal_type,
            key.action,
            key.resource_type,
            key.old.as_str(),
            key.new.as_str(),
            before(key),
            ids(&key.after),
            group.examples.join(", "),
        );
        let mut finding = Finding::new(rule, file.clone(), span, message);
        finding.level = level;
        if let Some(policy) = policy {
            finding = finding.with_policy(policy.clone());
        }
        finding.counterexample = group.example.clone();
        result.findings.push(finding);
    }
    cedarcheck_analyzer::sort_findings(&mut result.findings);
    result
}
