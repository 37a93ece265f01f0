//! Operator coverage: every expression family SymCC encodes, decided by the solver in each kind
//! of deep question. `fixtures/operators/<family>/` holds
//!
//! - `policies.cedar` (and `links.json`): policies whose condition is unsatisfiable, or always
//!   true, because of that family, next to satisfiable twins that must not be reported;
//! - `invariants.cedar`: invariants over them, one violated and one that holds at least;
//! - `old.cedar` and `new.cedar` (and `old.links.json`, `new.links.json`): a change in that
//!   family's conditions, for `diff`;
//! - `expected.txt`: every finding (`file:line rule@level message`) and every environment's
//!   change (`diff (env) change …`), exactly.
//!
//! No question may come back unknown, and every counterexample and every diff example is
//! replayed here with cedar-policy's Authorizer. `CEDARCHECK_BLESS=1` rewrites `expected.txt`
//! from the actual results (review the difference before committing it).
//!
//! Each query takes milliseconds, except those over the 64-bit divisions of datetime and
//! duration conversions (`toTime`, `toHours` …), which take cvc5 1.0.3 up to a few seconds;
//! the time limit leaves room for a machine busy with other work.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, Policy, PolicySet, Request, Schema,
};
use cedarcheck_analyzer::{check, LineIndex, PolicySetInput, Report, Settings, SourceFile};
use cedarcheck_prover::diff::{diff, Change, DiffInput};
use cedarcheck_prover::{prove_set, CheckedSet, DeepOptions, LoadedPolicies};
use common::*;
use serde_json::Value;

macro_rules! families {
    ($($family:ident),* $(,)?) => {
        const FAMILIES: &[&str] = &[$(stringify!($family)),*];
        $(
            #[test]
            fn $family() {
                check_family(stringify!($family));
            }
        )*
    };
}

families! {
    equality,
    comparison,
    arithmetic,
    membership,
    is_type,
    has_attribute,
    records,
    if_then_else,
    boolean,
    like,
    sets,
    tags,
    decimal,
    ipaddr,
    datetime,
    templates,
}

fn operators() -> PathBuf {
    fixtures().join("operators")
}

#[test]
fn every_family_directory_has_a_test() {
    let dirs: BTreeSet<String> = std::fs::read_dir(operators())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let tested: BTreeSet<String> = FAMILIES.iter().map(|f| f.to_string()).collect();
    assert_eq!(dirs, tested);
}

/// The files of one side of a fixture: its policies, the schema, and its links if any.
fn set_input(dir: &Path, policies: &str, links: &str, schema: &SourceFile) -> PolicySetInput {
    let links_path = dir.join(links);
    PolicySetInput {
        policies: vec![source(&dir.join(policies), policies)],
        schema: Some(schema.clone()),
        links: if links_path.exists() {
            vec![source(&links_path, links)]
        } else {
            vec![]
        },
    }
}

/// Fixture files that do not load, do not validate, or that the validator alone proves
/// impossible (then the solver would not be asked about them).
fn broken(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| matches!(f.rule, "parse-error" | "schema-error" | "impossible-policy"))
        .map(|f| format!("{}: {} {}", f.file, f.rule, f.message))
        .collect()
}

fn file_names(input: &PolicySetInput) -> Vec<String> {
    input.files().iter().map(|f| f.path.clone()).collect()
}

/// What `set` decides on a `run-tests` entry's request: the decision, the deciding policies
/// and the policies that errored.
fn replay(
    case: &Value,
    schema: &Schema,
    set: &PolicySet,
) -> Result<(Decision, Vec<String>, Vec<String>), String> {
    let uid = |k: &str| -> Result<EntityUid, String> {
        EntityUid::from_str(case["request"][k].as_str().ok_or(format!("no {k}"))?)
            .map_err(|e| e.to_string())
    };
    let action = uid("action")?;
    let context =
        Context::from_json_value(case["request"]["context"].clone(), Some((schema, &action)))
            .map_err(|e| e.to_string())?;
    let request = Request::new(
        uid("principal")?,
        action,
        uid("resource")?,
        context,
        Some(schema),
    )
    .map_err(|e| e.to_string())?;
    let entities = Entities::from_json_value(case["entities"].clone(), Some(schema))
        .map_err(|e| e.to_string())?;
    let response = Authorizer::new().is_authorized(&request, set, &entities);
    let mut reasons: Vec<String> = response
        .diagnostics()
        .reason()
        .map(|r| r.to_string())
        .collect();
    reasons.sort();
    let mut errors: Vec<String> = response
        .diagnostics()
        .errors()
        .map(|cedar_policy::AuthorizationError::PolicyEvaluationError(e)| e.policy_id().to_string())
        .collect();
    errors.sort();
    Ok((response.decision(), reasons, errors))
}

fn decision_str(decision: Decision) -> &'static str {
    match decision {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
    }
}

/// The one policy `id` of `set`, alone: a set in which "matches" is "has a reason".
fn alone(set: &PolicySet, id: &str) -> PolicySet {
    let policy: &Policy = set
        .policies()
        .find(|p| p.id().to_string() == id)
        .unwrap_or_else(|| panic!("no policy {id}"));
    match policy.template_id() {
        None => PolicySet::from_policies([policy.clone()]).unwrap(),
        // A link: its template, linked again.
        Some(template) => {
            let mut alone = PolicySet::new();
            alone
                .add_template(set.template(template).unwrap().clone())
                .unwrap();
            let args = policy.template_links().unwrap_or_default();
            alone
                .link(template.clone(), policy.id().clone(), args)
                .unwrap();
            alone
        }
    }
}

/// A may-error message without the solver's values: "`x + 1` can overflow (… the values `…`
/// and `1`); Cedar then …" becomes "`x + 1` can overflow (…); Cedar then …".
fn without_values(message: &str) -> String {
    let Some(end) = message.find("; Cedar then") else {
        return message.to_string();
    };
    let head = &message[..end];
    if !head.ends_with(')') {
        return message.to_string();
    }
    let mut depth = 0;
    for (i, c) in head.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    return format!("{}(…){}", &head[..i], &message[end..]);
                }
            }
            _ => {}
        }
    }
    message.to_string()
}

/// Per query: far above what any fixture needs on an idle machine (see above).
const TIMEOUT_MS: u64 = 30_000;

fn check_family(family: &str) {
    let Some(cvc5) = cvc5_or_skip(family) else {
        return;
    };
    let dir = operators().join(family);
    let schema_file = source(
        &operators().join("schema.cedarschema"),
        "schema.cedarschema",
    );
    let (schema, _) = Schema::from_cedarschema_str(&schema_file.text).unwrap();
    // The families are about expressions; most of the schema's actions have no permit here.
    let mut settings = Settings::default();
    settings.set_level("unreachable-action", None);
    let mut failures: Vec<String> = Vec::new();
    let mut actual: Vec<String> = Vec::new();
    let text_of = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();

    // `check --deep`: the policies and the invariants.
    let input = set_input(&dir, "policies.cedar", "links.json", &schema_file);
    let report = check(&input, &settings);
    failures.extend(broken(&report));
    let proof = prove_set(
        CheckedSet {
            input: &input,
            report: &report,
            invariants: vec![source(&dir.join("invariants.cedar"), "invariants.cedar")],
            settings: &settings,
        },
        DeepOptions {
            solver: solver(cvc5.clone(), TIMEOUT_MS),
            jobs: 2,
            cache: Default::default(),
            progress: None,
            cancel: None,
        },
    )
    .expect("the schema loads");
    failures.extend(broken(&proof.invariant_report));
    if proof.deep.stats.unknown > 0 {
        failures.push(format!(
            "{} questions were not decided: {:?}",
            proof.deep.stats.unknown, proof.deep.stats
        ));
    }
    let policies = &report.loaded.set;
    let invariants = &proof.invariant_report.loaded.set;
    for f in &proof.deep.findings {
        let text = text_of(&f.file);
        let line = LineIndex::new(&text).position(&text, f.span.start).line;
        actual.push(format!(
            "{}:{line} {}@{} {}",
            f.file,
            f.rule,
            f.level,
            without_values(&f.message)
        ));
        if f.message.contains("unknown") || f.message.contains("undecided") {
            failures.push(format!("not decided: {}", f.message));
        }
        let Some(case) = &f.counterexample else {
            if matches!(
                f.rule,
                "invariant-violated" | "forbid-may-error" | "permit-may-error"
            ) && !f.message.starts_with("unknown")
            {
                failures.push(format!("{}: no counterexample: {}", f.rule, f.message));
            }
            continue;
        };
        let id = f.policy_id.clone().unwrap_or_default();
        let (decision, reasons, errors) = match replay(case, &schema, policies) {
            Ok(outcome) => outcome,
            Err(e) => {
                failures.push(format!(
                    "{}: the counterexample does not load: {e}: {case}",
                    f.rule
                ));
                continue;
            }
        };
        let recorded = (
            case["decision"].as_str().unwrap_or_default(),
            case["reason"].clone(),
            case["num_errors"].as_u64().unwrap_or(u64::MAX) as usize,
        );
        if recorded
            != (
                decision_str(decision),
                serde_json::json!(reasons),
                errors.len(),
            )
        {
            failures.push(format!(
                "{}: the counterexample replays as {decision:?} {reasons:?} {errors:?}: {case}",
                f.rule
            ));
        }
        match f.rule {
            "invariant-violated" => {
                let invariant = alone(invariants, &id);
                let (_, matched, _) = replay(case, &schema, &invariant).unwrap();
                let forbid =
                    invariant.policies().next().unwrap().effect() == cedar_policy::Effect::Forbid;
                let violated = if forbid {
                    decision == Decision::Allow
                } else {
                    decision == Decision::Deny
                };
                if matched.is_empty() || !violated {
                    failures.push(format!(
                        "invariant {id}: the counterexample does not violate it ({decision:?}, matched: {}): {case}",
                        !matched.is_empty()
                    ));
                }
            }
            "forbid-may-error" | "permit-may-error" => {
                let (_, _, errored) = replay(case, &schema, &alone(policies, &id)).unwrap();
                if errored.is_empty() {
                    failures.push(format!(
                        "{id}: the counterexample does not make it error: {case}"
                    ));
                }
            }
            _ => {}
        }
    }

    // `diff`: old against new, under the same schema.
    let old_input = set_input(&dir, "old.cedar", "old.links.json", &schema_file);
    let new_input = set_input(&dir, "new.cedar", "new.links.json", &schema_file);
    let (old_report, new_report) = (check(&old_input, &settings), check(&new_input, &settings));
    failures.extend(broken(&old_report));
    failures.extend(broken(&new_report));
    let (old_files, new_files) = (file_names(&old_input), file_names(&new_input));
    let compared = diff(
        &DiffInput {
            old: LoadedPolicies {
                loaded: &old_report.loaded,
                files: &old_files,
                skip: &old_report.invalid_policies,
            },
            new: LoadedPolicies {
                loaded: &new_report.loaded,
                files: &new_files,
                skip: &new_report.invalid_policies,
            },
            schema: &schema,
            old_schema: &schema,
        },
        &solver(cvc5, TIMEOUT_MS),
        2,
    );
    // The environments some policy of either side applies in.
    let mut touched = BTreeSet::new();
    for set in [&old_report.loaded.set, &new_report.loaded.set] {
        for policy in set.policies() {
            touched.extend(
                policy
                    .get_valid_request_envs(&schema)
                    .map(|e| format!("({}, {}, {})", e.principal(), e.action(), e.resource())),
            );
        }
    }
    for env in &compared.environments {
        let name = format!("({}, {}, {})", env.principal, env.action, env.resource);
        if let Change::Unknown(reason) = &env.change {
            failures.push(format!("diff {name}: not decided: {reason}"));
        }
        if env.change == Change::Equivalent && !touched.contains(&name) {
            continue;
        }
        let change = serde_json::to_value(&env.change).unwrap();
        let mut line = format!("diff {name} {}", change.as_str().unwrap_or("unknown"));
        for (example, added) in [(&env.added, true), (&env.removed, false)] {
            let Some(example) = example else { continue };
            line.push_str(&format!(
                "; {} by {:?}",
                if added { "now allowed" } else { "now denied" },
                example.new_reasons
            ));
            let replayed = replay(&example.case, &schema, &new_report.loaded.set)
                .and_then(|new| Ok((new, replay(&example.case, &schema, &old_report.loaded.set)?)));
            let expected = if added {
                (Decision::Allow, Decision::Deny)
            } else {
                (Decision::Deny, Decision::Allow)
            };
            match replayed {
                Ok(((new, _, _), (old, _, _))) if (new, old) == expected => {}
                Ok(((new, _, _), (old, _, _))) => failures.push(format!(
                    "diff {name}: the example replays as new {new:?}, old {old:?}: {}",
                    example.case
                )),
                Err(e) => failures.push(format!("diff {name}: the example does not load: {e}")),
            }
        }
        actual.push(line);
    }

    let expected_path = dir.join("expected.txt");
    let actual_text = actual.iter().map(|l| format!("{l}\n")).collect::<String>();
    if std::env::var("CEDARCHECK_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&expected_path, &actual_text).unwrap();
    }
    let expected_text = std::fs::read_to_string(&expected_path).unwrap_or_default();
    let expected: Vec<&str> = expected_text.lines().collect();
    let actual_lines: Vec<&str> = actual_text.lines().collect();
    if expected != actual_lines {
        let missing: Vec<_> = expected
            .iter()
            .filter(|l| !actual_lines.contains(l))
            .collect();
        let extra: Vec<_> = actual_lines
            .iter()
            .filter(|l| !expected.contains(l))
            .collect();
        failures.push(format!(
            "expected.txt differs\n  missing: {missing:#?}\n  unexpected: {extra:#?}"
        ));
    }
    for (what, pattern) in [
        (
            "a vacuous or unconditional policy",
            " vacuous-policy@|unconditional-permit@",
        ),
        ("a violated invariant", "invariant-violated@"),
        ("a change in diff", "-permissive|incomparable"),
    ] {
        if !expected
            .iter()
            .any(|l| pattern.split('|').any(|p| l.contains(p)))
        {
            failures.push(format!("expected.txt shows no {what}"));
        }
    }
    let invariant_count = proof.invariant_report.loaded.entries.len();
    let violated = expected
        .iter()
        .filter(|l| l.contains(" invariant-violated@"))
        .count();
    if invariant_count <= violated {
        failures.push("invariants.cedar needs an invariant that holds".into());
    }
    assert!(failures.is_empty(), "{family}:\n{}", failures.join("\n"));
}
