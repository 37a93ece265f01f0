//! From a policy set as `cedarcheck_analyzer::check` left it to the prover's findings: what
//! `cedarcheck check`, `cedarcheck test` and the language server all do the same way.

use std::collections::BTreeSet;

use cedarcheck_analyzer::rules::deep as declared;
use cedarcheck_analyzer::{
    is_broad_permit_finding, Finding, PolicySetInput, Report, Settings, SourceFile, Suppressions,
};

use crate::{analyze_shard, DeepInput, DeepOptions, DeepReport, LoadedPolicies, Shard};

/// A checked policy set and its invariant files.
pub struct CheckedSet<'a> {
    pub input: &'a PolicySetInput,
    pub report: &'a Report,
    /// The set's invariant files, validated here against the set's schema.
    pub invariants: Vec<SourceFile>,
    pub settings: &'a Settings,
}

pub struct SetProof {
    /// Its findings have `@cedarcheck_ignore` applied, on policies and invariants alike.
    pub deep: DeepReport,
    /// The invariants, checked against the set's schema.
    pub invariant_input: PolicySetInput,
    pub invariant_report: Report,
    /// Policies left out: they do not validate, or the validator proved they never apply.
    pub skipped: BTreeSet<String>,
}

/// Checks the invariants and proves the deep rules for the set. `None` when the set has no
/// schema that loads (the prover needs one).
pub fn prove_set(set: CheckedSet<'_>, options: DeepOptions<'_>) -> Option<SetProof> {
    prove_shard(set, options, None)
}

/// [`prove_set`] for the environments of `shard` (all for `None`); a shard has no findings.
pub fn prove_shard(
    set: CheckedSet<'_>,
    options: DeepOptions<'_>,
    shard: Option<Shard>,
) -> Option<SetProof> {
    let (schema, schema_file) = (set.report.schema.as_ref()?, set.input.schema.as_ref()?);
    let files: Vec<String> = set.input.files().iter().map(|f| f.path.clone()).collect();
    let skipped: BTreeSet<String> = set
        .report
        .invalid_policies
        .union(&set.report.impossible_policies)
        .cloned()
        .collect();
    // Invariants are policies about the set, validated against the same schema.
    let invariant_input = PolicySetInput {
        policies: set.invariants,
        schema: Some(schema_file.clone()),
        links: Vec::new(),
    };
    let invariant_report = cedarcheck_analyzer::check(&invariant_input, set.settings);
    let invariant_files: Vec<String> = invariant_input
        .policies
        .iter()
        .map(|f| f.path.clone())
        .collect();
    let mut deep = analyze_shard(
        &DeepInput {
            policies: LoadedPolicies {
                loaded: &set.report.loaded,
                files: &files,
                skip: &skipped,
            },
            schema,
            schema_text: &schema_file.text,
            schema_path: &schema_file.path,
            invariants: Some(LoadedPolicies {
                loaded: &invariant_report.loaded,
                files: &invariant_files,
                skip: &invariant_report.invalid_policies,
            }),
            settings: set.settings,
        },
        options,
        shard,
    );
    // `@cedarcheck_ignore` works for deep rules as for static ones.
    Suppressions::new(&set.report.loaded, set.input).retain_unsuppressed(&mut deep.findings);
    Suppressions::new(&invariant_report.loaded, &invariant_input)
        .retain_unsuppressed(&mut deep.findings);
    // One broad permit, one finding: `allows-all` standing on a permit that the static rules
    // already report as broad, or whose conditions restrict nothing, says the same again.
    let explained = |finding: &Finding, by: &Finding| {
        by.file == finding.file
            && by.policy_id == finding.policy_id
            && (is_broad_permit_finding(by) || by.rule == declared::unconditional_permit::RULE.id)
    };
    let restated: Vec<bool> = deep
        .findings
        .iter()
        .map(|f| {
            f.rule == declared::allows_all::RULE.id
                && f.policy_id.is_some()
                && set
                    .report
                    .findings
                    .iter()
                    .chain(&deep.findings)
                    .any(|by| explained(f, by))
        })
        .collect();
    let mut index = 0;
    deep.findings.retain(|_| {
        index += 1;
        !restated[index - 1]
    });
    Some(SetProof {
        deep,
        invariant_input,
        invariant_report,
        skipped,
    })
}
