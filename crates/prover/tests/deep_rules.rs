//! Every deep rule on its fixtures: `fixtures/<rule-id>/bad.cedar` marks each line where a
//! finding of that rule starts with `//~ rule-id@level` (for `invariant-violated` the marks are
//! in `invariants.cedar`; a directory with its own `schema.cedarschema` marks there the
//! findings that stand in the schema, as `unreachable-action`'s do), and `good.cedar` must give
//! no finding of the rule. Each fixture is the Cedar Analysis situation its rule names: impossible conjunctions, shadowed and
//! union-only overridden permits, string-pattern subsumption, arithmetic overflow in a forbid,
//! an invariant violated only through a combination of policies.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use cedarcheck_analyzer::{LineIndex, Source, RULES};
use common::*;

/// (file, line, rule@level) of every marker in `path`.
fn markers(path: &Path, name: &str) -> BTreeSet<(String, usize, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| line.split_once("//~").map(|(_, ids)| (i + 1, ids)))
        .flat_map(|(line, ids)| {
            ids.split_whitespace()
                .map(move |id| (name.to_string(), line, id.to_string()))
        })
        .collect()
}

#[test]
fn every_deep_rule_reports_exactly_its_marked_lines_and_passes_its_fix() {
    let Some(cvc5) =
        cvc5_or_skip("every_deep_rule_reports_exactly_its_marked_lines_and_passes_its_fix")
    else {
        return;
    };
    let mut failures = Vec::new();
    for rule in RULES.iter().filter(|r| matches!(r.source, Source::Deep)) {
        let dir = fixtures().join(rule.id);
        // A rule whose findings stand in the schema has its own, with the markers.
        let own_schema = dir.join("schema.cedarschema");
        let schema_path = if own_schema.exists() {
            own_schema
        } else {
            fixtures().join("schema.cedarschema")
        };
        let schema = source(&schema_path, "schema.cedarschema");
        let invariants_path = dir.join("invariants.cedar");
        let invariants = || {
            if invariants_path.exists() {
                vec![source(&invariants_path, "invariants.cedar")]
            } else {
                vec![]
            }
        };
        for (file, expect_findings) in [("bad.cedar", true), ("good.cedar", false)] {
            let path = dir.join(file);
            if !path.exists() {
                failures.push(format!("{}: needs fixtures/{0}/{file}", rule.id));
                continue;
            }
            let run = prove(
                &schema,
                vec![source(&path, file)],
                invariants(),
                solver(cvc5.clone(), 10_000),
                Default::default(),
            );
            let broken: Vec<_> = run
                .static_findings
                .iter()
                .filter(|f| f.rule == "parse-error" || f.rule == "schema-error")
                .map(|f| f.message.clone())
                .collect();
            if !broken.is_empty() {
                failures.push(format!(
                    "{}/{file}: the fixture does not validate: {broken:?}",
                    rule.id
                ));
                continue;
            }
            let texts = [
                (file.to_string(), std::fs::read_to_string(&path).unwrap()),
                (
                    "invariants.cedar".to_string(),
                    std::fs::read_to_string(&invariants_path).unwrap_or_default(),
                ),
                ("schema.cedarschema".to_string(), schema.text.to_string()),
            ];
            let actual: BTreeSet<(String, usize, String)> = run
                .report
                .findings
                .iter()
                .filter(|f| f.rule == rule.id)
                .map(|f| {
                    let text = &texts
                        .iter()
                        .find(|(name, _)| *name == f.file)
                        .expect("finding in a fixture file")
                        .1;
                    let line = LineIndex::new(text).position(text, f.span.start).line;
                    (f.file.clone(), line, format!("{}@{}", f.rule, f.level))
                })
                .collect();
            let expected = if expect_findings {
                let mut m = markers(&path, file);
                m.extend(markers(&invariants_path, "invariants.cedar"));
                if schema_path.starts_with(&dir) {
                    m.extend(markers(&schema_path, "schema.cedarschema"));
                }
                if m.is_empty() {
                    failures.push(format!("{}: bad.cedar marks no finding", rule.id));
                }
                m
            } else {
                BTreeSet::new()
            };
            if actual != expected {
                let messages: Vec<_> = run
                    .report
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule.id)
                    .map(|f| &f.message)
                    .collect();
                failures.push(format!(
                    "{}/{file}\n  expected {expected:?}\n  actual   {actual:?}\n  messages {messages:#?}",
                    rule.id
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A counterexample is a Cedar CLI `run-tests` entry: loading it with cedar-policy and
/// authorizing it against the policy set gives the decision, reasons and error count it records.
#[test]
fn counterexamples_are_run_tests_entries_that_replay_as_recorded() {
    use cedar_policy::{Authorizer, Context, Entities, EntityUid, Request, Schema};
    use std::str::FromStr;

    let Some(cvc5) = cvc5_or_skip("counterexamples_are_run_tests_entries_that_replay_as_recorded")
    else {
        return;
    };
    let schema_file = source(&fixtures().join("schema.cedarschema"), "schema.cedarschema");
    let (schema, _) = Schema::from_cedarschema_str(&schema_file.text).unwrap();
    for rule in ["forbid-may-error", "permit-may-error", "invariant-violated"] {
        let dir = fixtures().join(rule);
        let invariants = dir.join("invariants.cedar");
        let run = prove(
            &schema_file,
            vec![source(&dir.join("bad.cedar"), "bad.cedar")],
            if invariants.exists() {
                vec![source(&invariants, "invariants.cedar")]
            } else {
                vec![]
            },
            solver(cvc5.clone(), 10_000),
            Default::default(),
        );
        // The set as cedarcheck names it: policies by their @id.
        let policies = cedarcheck_analyzer::check(
            &cedarcheck_analyzer::PolicySetInput {
                policies: vec![source(&dir.join("bad.cedar"), "bad.cedar")],
                schema: None,
                links: vec![],
            },
            &Default::default(),
        )
        .loaded
        .set;
        let findings: Vec<_> = run
            .report
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .collect();
        assert!(!findings.is_empty(), "{rule}");
        for finding in findings {
            let case = finding
                .counterexample
                .as_ref()
                .unwrap_or_else(|| panic!("{rule}: no counterexample"));
            let uid = |k: &str| EntityUid::from_str(case["request"][k].as_str().unwrap()).unwrap();
            let action = uid("action");
            let context = Context::from_json_value(
                case["request"]["context"].clone(),
                Some((&schema, &action)),
            )
            .unwrap();
            let request = Request::new(
                uid("principal"),
                action,
                uid("resource"),
                context,
                Some(&schema),
            )
            .unwrap();
            let entities =
                Entities::from_json_value(case["entities"].clone(), Some(&schema)).unwrap();
            let response = Authorizer::new().is_authorized(&request, &policies, &entities);
            let decision = match response.decision() {
                cedar_policy::Decision::Allow => "allow",
                cedar_policy::Decision::Deny => "deny",
            };
            assert_eq!(case["decision"], decision, "{rule}: {case}");
            let mut reasons: Vec<String> = response
                .diagnostics()
                .reason()
                .map(ToString::to_string)
                .collect();
            reasons.sort();
            assert_eq!(case["reason"], serde_json::json!(reasons), "{rule}: {case}");
            assert_eq!(
                case["num_errors"],
                response.diagnostics().errors().count(),
                "{rule}: {case}"
            );
            if rule.ends_with("may-error") {
                assert!(
                    response.diagnostics().errors().count() > 0,
                    "{rule}: the request makes the policy error"
                );
            }
        }
    }
}
