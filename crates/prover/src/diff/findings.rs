//! A diff's changes as findings — `new-access` where the change lets a request through that the
//! base denied, `removed-access` where it denies one the base allowed — and the words for them,
//! which `cedarcheck diff`'s summary prints too. Built here, next to the diff, so that every
//! consumer (SARIF, GitHub, JUnit, an editor) reports the same findings.

use cedarcheck_analyzer::rules::{new_access, removed_access};
use cedarcheck_analyzer::{Finding, Rule, Span};

use super::{Change, DiffReport, Example};

/// Where the new side's policies are: for each of its entries, its file (as shown) and the
/// span of its id; and its schema file, where findings without a policy stand.
pub struct NewSide<'a> {
    pub locations: &'a [(String, Span)],
    pub schema_file: Option<&'a str>,
}

/// `new-access` at the permit that now allows the example (else the schema), `removed-access`
/// at the policy that now denies it (else the schema), in the order of the environments.
pub fn findings(report: &DiffReport, side: &NewSide<'_>) -> Vec<Finding> {
    let anchor = |example: Option<&Example>| -> Option<(String, Span, Option<String>)> {
        let at = example.and_then(|e| e.new_policies.first().zip(e.new_reasons.first()));
        match at {
            Some((&entry, id)) => {
                let (file, span) = side.locations.get(entry)?.clone();
                Some((file, span, Some(id.clone())))
            }
            None => Some((side.schema_file?.to_string(), Span::empty_at(0), None)),
        }
    };
    let mut findings = Vec::new();
    for env in &report.environments {
        let (who, what, on) = (&env.principal, action_name(&env.action), &env.resource);
        let mut push = |rule: &'static Rule, example: Option<&Example>, message: String| {
            let Some((file, span, policy)) = anchor(example) else {
                return;
            };
            let mut finding = Finding::new(rule, file, span, message);
            finding.policy_id = policy;
            finding.counterexample = example.map(|e| e.case.clone());
            findings.push(finding);
        };
        match &env.change {
            Change::Unknown(reason) => push(
                &new_access::RULE,
                None,
                format!("unknown: could not decide whether {who} gains access to {what} on {on}: {reason}"),
            ),
            Change::RemovedEnvironment => push(
                &removed_access::RULE,
                None,
                format!("{who} can no longer {what} on {on}: the schema removed this request environment"),
            ),
            _ => {}
        }
        if let Some(example) = &env.added {
            push(
                &new_access::RULE,
                Some(example),
                format!(
                    "{who} may now {what} on {on} — e.g. {}{}",
                    request(example),
                    allowed_by(example)
                ),
            );
        }
        if let Some(example) = &env.removed {
            push(
                &removed_access::RULE,
                Some(example),
                format!(
                    "{who} may no longer {what} on {on} — e.g. {}{}",
                    request(example),
                    denied_by(example)
                ),
            );
        }
    }
    findings
}

/// `RebootHost` for `Ops::Action::"RebootHost"`.
pub fn action_name(action: &str) -> String {
    action
        .rsplit_once("::")
        .map_or(action, |(_, id)| id)
        .trim_matches('"')
        .to_string()
}

/// `Ops::Operator::"" on Ops::Host::"", context {"mfa":false}`.
pub fn request(example: &Example) -> String {
    let request = &example.case["request"];
    format!(
        "{} on {}, context {}",
        request["principal"].as_str().unwrap_or("?"),
        request["resource"].as_str().unwrap_or("?"),
        request["context"]
    )
}

fn ids(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` (allowed by `sre-reboot`)`: the permits that now allow the example.
pub fn allowed_by(example: &Example) -> String {
    format!(" (allowed by {})", ids(&example.new_reasons))
}

/// ` (denied by `f`; it was allowed by `p`)`: what now denies the example, and what allowed it.
pub fn denied_by(example: &Example) -> String {
    match (
        example.new_reasons.as_slice(),
        example.old_reasons.as_slice(),
    ) {
        ([], old) => format!(
            " (no permit allows it any more; it was allowed by {})",
            ids(old)
        ),
        (new, []) => format!(" (denied by {})", ids(new)),
        (new, old) => format!(" (denied by {}; it was allowed by {})", ids(new), ids(old)),
    }
}
