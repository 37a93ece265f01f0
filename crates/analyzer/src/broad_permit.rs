//! One broad permit, one finding. `permit-all`, `unscoped-action`, `unscoped-principal` and
//! `unscoped-resource` each describe a permit whose scope grants too much, from its own side;
//! on one policy they are one cause. The report keeps the loudest of them (these rules in that
//! order at equal level) and lists the others as its related information, so that every
//! location stays visible (SARIF, the editor) but a line does not carry three warnings. The
//! prover leaves out an `allows-all` finding that stands on a permit reported here: the same
//! cause again (see `is_broad_permit_finding`).

use std::collections::BTreeMap;

use crate::rules::{permit_all, unscoped_action, unscoped_principal, unscoped_resource};
use crate::{Finding, Related};

/// The rules that describe a broad permit, in the order that decides between equally loud
/// findings.
const BROAD: [&str; 4] = [
    permit_all::RULE.id,
    unscoped_action::RULE.id,
    unscoped_principal::RULE.id,
    unscoped_resource::RULE.id,
];

/// Whether `finding` says that its policy's scope grants too much.
pub fn is_broad_permit_finding(finding: &Finding) -> bool {
    BROAD.contains(&finding.rule)
}

/// Folds the broad-permit findings of each policy into one. Idempotent; the other findings
/// keep their order.
pub(crate) fn fold_broad_permit_findings(findings: &mut Vec<Finding>) {
    let rank = |f: &Finding| BROAD.iter().position(|id| *id == f.rule);
    // Two policies may share an id (a `duplicate-policy-id`): the k-th finding of a rule on
    // an id belongs to the k-th policy with it, as findings come in the order of the file.
    let mut seen: BTreeMap<(String, String, &'static str), usize> = BTreeMap::new();
    // (file, policy, k) → index of the finding kept.
    let mut kept: BTreeMap<(String, String, usize), usize> = BTreeMap::new();
    let mut folded = vec![false; findings.len()];
    for i in 0..findings.len() {
        let (Some(r), Some(policy)) = (rank(&findings[i]), findings[i].policy_id.clone()) else {
            continue;
        };
        let file = findings[i].file.clone();
        let occurrence = seen
            .entry((file.clone(), policy.clone(), findings[i].rule))
            .or_default();
        let key = (file, policy, *occurrence);
        *occurrence += 1;
        match kept.get(&key).copied() {
            None => {
                kept.insert(key, i);
            }
            Some(k) => {
                let current = &findings[k];
                let louder = (findings[i].level, std::cmp::Reverse(r))
                    > (current.level, std::cmp::Reverse(rank(current).unwrap_or(0)));
                let (keep, fold) = if louder { (i, k) } else { (k, i) };
                folded[fold] = true;
                kept.insert(key, keep);
                let also = also(&findings[fold]);
                let mut moved = std::mem::take(&mut findings[fold].related);
                let target = &mut findings[keep];
                target.related.push(also);
                target.related.append(&mut moved);
            }
        }
    }
    let mut index = 0;
    findings.retain(|_| {
        index += 1;
        !folded[index - 1]
    });
}

fn also(finding: &Finding) -> Related {
    Related {
        file: finding.file.clone(),
        span: finding.span,
        message: format!("also {}: {}", finding.rule, finding.message),
    }
}
