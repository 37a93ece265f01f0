//! A surviving mutant, asked of the solver (README "Mutation testing"): `diff` compares the
//! original set (old side) with the mutated one (new side) per request environment. Equivalent
//! in every environment: the mutant is *equivalent*, no test can kill it. Otherwise a request
//! on which the two decide differently, already replayed through the Authorizer by `diff`,
//! becomes a native test entry with the **original** set's decision and reasons; it is kept
//! only when the test runner's own evaluation passes it on the original set and fails it on
//! the mutant.

use std::collections::BTreeSet;

use cedar_policy::{Authorizer, Effect, EntityUid};
use cedarcheck_analyzer::{lexer, PolicyKind, PolicySetInput, Report, Settings};
use cedarcheck_prover::diff::{self, Change, DiffInput, Example};
use cedarcheck_prover::{LoadedPolicies, SolverCommand};
use cedarcheck_test_runner::evaluate::{
    add_inline_entities, authorize, build_request, compare, parse_entities, Actual,
};
use cedarcheck_test_runner::set_under_test::SetUnderTest;
use cedarcheck_test_runner::test_file::{self, Decision, EntitiesChoice, EntitiesSource, Parsed};
use serde_json::{json, Map, Value};

/// What the solver made of a survivor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The mutated set decides every request as the original does.
    Equivalent,
    /// A verified native test entry that kills the mutant.
    Killable(Value),
    /// Neither: why there is no test (the solver could not decide, the example did not verify).
    Undecided(String),
}

/// The original set, loaded once for all its survivors.
pub struct Original<'a> {
    pub input: &'a PolicySetInput,
    pub report: &'a Report,
    pub set: &'a SetUnderTest,
}

/// Compares the original set with its mutant `mutated_input` (which loads and validates:
/// `mutated` is its set under test) and turns the difference into a test for `policy`.
///
/// `exact_reasons`: the set's tests list the exact reasons of a decision (integration test
/// files), so a mutant that only adds itself to them can be told apart; `run-tests` and native
/// tests list a subset, and cannot.
pub fn decide(
    original: &Original<'_>,
    exact_reasons: bool,
    mutated_input: &PolicySetInput,
    mutated: &SetUnderTest,
    policy: &str,
    solver: &SolverCommand,
    jobs: usize,
) -> Verdict {
    let Some(schema) = original.report.schema.as_ref() else {
        return Verdict::Undecided(
            "the set has no schema, which the solver needs to compare it with the mutant".into(),
        );
    };
    let mutated_report = cedarcheck_analyzer::check(mutated_input, &Settings::loading_only());
    let files = |input: &PolicySetInput| -> Vec<String> {
        input.files().iter().map(|f| f.path.clone()).collect()
    };
    let (old_files, new_files) = (files(original.input), files(mutated_input));
    let report = diff::diff(
        &DiffInput {
            old: LoadedPolicies {
                loaded: &original.report.loaded,
                files: &old_files,
                skip: &original.report.invalid_policies,
            },
            new: LoadedPolicies {
                loaded: &mutated_report.loaded,
                files: &new_files,
                skip: &mutated_report.invalid_policies,
            },
            schema,
            old_schema: schema,
        },
        solver,
        jobs,
    );
    let mut unknown = None;
    let mut added: Vec<&Example> = Vec::new();
    let mut removed: Vec<&Example> = Vec::new();
    for env in &report.environments {
        match &env.change {
            Change::Equivalent => {}
            Change::Unknown(reason) => {
                unknown.get_or_insert_with(|| {
                    format!(
                        "the solver could not compare the mutant with the set for {} {} on {}: {reason}",
                        env.principal, env.action, env.resource
                    )
                });
            }
            _ => {
                added.extend(&env.added);
                removed.extend(&env.removed);
            }
        }
    }
    // Access the mutant adds first: the dangerous direction.
    let examples: Vec<&Example> = added.into_iter().chain(removed).collect();
    if examples.is_empty() {
        // "Unknown" is never "equivalent".
        if let Some(why) = unknown {
            return Verdict::Undecided(why);
        }
        let mutant = Mutant {
            input: mutated_input,
            report: &mutated_report,
            set: mutated,
        };
        return observably(
            original,
            exact_reasons,
            &mutant,
            schema,
            policy,
            solver,
            jobs,
        );
    }
    let taken = policy_strings(original.input, mutated_input);
    let mut why = String::new();
    for example in examples {
        match kill_test(example, original.set, mutated, policy, &taken) {
            Ok(entry) => return Verdict::Killable(entry),
            Err(reason) if why.is_empty() => why = reason,
            Err(_) => {}
        }
    }
    Verdict::Undecided(format!(
        "the solver found a request the two decide differently, but no test was written: {why}"
    ))
}

/// The mutated set, as [`Original`] holds the set.
struct Mutant<'a> {
    input: &'a PolicySetInput,
    report: &'a Report,
    set: &'a SetUnderTest,
}

/// A mutant that decides every request as the set does can still change what a test sees:
/// which policies determine the decision (a test's `reason`), and the errors (its
/// `num_errors`). It is equivalent only when neither changes on any request. The reasons
/// change exactly where the policy and its mutant disagree (one is satisfied, the other not)
/// and the decision is the policy's own effect: for a permit, where no forbid is satisfied
/// (the set's forbids with the permit against them with its mutant); for a forbid, anywhere
/// (the forbid against its mutant, both made permits). The errors are compared per request
/// environment: neither may error, or one errors where the other does not.
fn observably(
    original: &Original<'_>,
    exact_reasons: bool,
    mutant: &Mutant<'_>,
    schema: &cedar_policy::Schema,
    policy: &str,
    solver: &SolverCommand,
    jobs: usize,
) -> Verdict {
    let entries = &original.report.loaded.entries;
    // The policies the mutation changes: the policy, or a template's links.
    let changed: Vec<&cedarcheck_analyzer::PolicyEntry> =
        match entries.iter().position(|e| e.id == policy) {
            Some(at) if entries[at].kind == PolicyKind::Template => entries
                .iter()
                .filter(|e| e.kind == PolicyKind::Link && e.template == Some(at))
                .collect(),
            Some(at) => vec![&entries[at]],
            None => Vec::new(),
        };
    let Some(first) = changed.first() else {
        // A template without links changes no decision, reason or error.
        return Verdict::Equivalent;
    };
    let Some(effect) = original
        .report
        .loaded
        .set
        .policy(&first.internal_id)
        .map(|p| p.effect())
    else {
        return Verdict::Undecided(format!("no policy `{policy}` in the set"));
    };
    let changed_ids: BTreeSet<String> = changed.iter().map(|e| e.id.clone()).collect();
    let kills = |entry: &Value, _: &Actual| kills(entry, mutant.set);
    let taken = policy_strings(original.input, mutant.input);

    // The reasons.
    let examples = match effect {
        Effect::Permit => {
            let permits = |report: &Report| -> BTreeSet<String> {
                let mut skip = report.invalid_policies.clone();
                skip.extend(
                    report
                        .loaded
                        .entries
                        .iter()
                        .filter(|e| e.kind != PolicyKind::Template)
                        .filter(|e| !changed_ids.contains(&e.id))
                        .filter(|e| {
                            report.loaded.set.policy(&e.internal_id).map(|p| p.effect())
                                == Some(Effect::Permit)
                        })
                        .map(|e| e.id.clone()),
                );
                skip
            };
            sub_diff(
                (original.input, original.report, &permits(original.report)),
                (mutant.input, mutant.report, &permits(mutant.report)),
                schema,
                solver,
                jobs,
            )
        }
        Effect::Forbid => {
            let flipped = |input: &PolicySetInput, report: &Report| {
                let input = as_permit(input, report, policy)?;
                let report = cedarcheck_analyzer::check(&input, &Settings::loading_only());
                Some((input, report))
            };
            let (Some(old), Some(new)) = (
                flipped(original.input, original.report),
                flipped(mutant.input, mutant.report),
            ) else {
                return Verdict::Undecided("its `forbid` keyword was not found".into());
            };
            let others = |report: &Report| -> BTreeSet<String> {
                report
                    .loaded
                    .entries
                    .iter()
                    .map(|e| e.id.clone())
                    .filter(|id| !changed_ids.contains(id))
                    .chain(report.invalid_policies.iter().cloned())
                    .collect()
            };
            sub_diff(
                (&old.0, &old.1, &others(&old.1)),
                (&new.0, &new.1, &others(&new.1)),
                schema,
                solver,
                jobs,
            )
        }
    };
    let (removed, added) = match examples {
        Ok(found) => found,
        Err(why) => return Verdict::Undecided(why),
    };
    let mut why = String::new();
    // Where the set names the policy and the mutant does not: a test's `reason` notices.
    for example in &removed {
        match verified_test(example, original.set, policy, &taken, &kills) {
            Ok(entry) => return Verdict::Killable(entry),
            Err(reason) if why.is_empty() => why = reason,
            Err(_) => {}
        }
    }
    if !removed.is_empty() {
        return Verdict::Undecided(format!(
            "the solver found a request whose reasons the mutant changes, but no test was written: {why}"
        ));
    }
    if !added.is_empty() && exact_reasons {
        return Verdict::Undecided(format!(
            "it decides every request as the set does, but on some requests `{policy}` determines the mutant's decision and not the set's: only a test that lists the exact reasons (an integration test file's `reason`) notices"
        ));
    }

    // The errors: a request on which one of the two errs and the other does not kills the
    // mutant by its error count.
    let error_test = |request: &Value, what: &str| {
        let example = Example {
            case: request.clone(),
            new_policies: Vec::new(),
            new_reasons: Vec::new(),
            old_reasons: Vec::new(),
        };
        match verified_test(&example, original.set, policy, &taken, &kills) {
            Ok(entry) => Verdict::Killable(entry),
            Err(why) => Verdict::Undecided(format!("{what}, but no test was written: {why}")),
        }
    };
    let mutated_policies = &mutant.report.loaded.set;
    for entry in changed {
        let (Some(before), Some(after)) = (
            original.report.loaded.set.policy(&entry.internal_id),
            mutated_policies.policy(&entry.internal_id),
        ) else {
            return Verdict::Undecided(format!("`{}` is missing from the mutant", entry.id));
        };
        let (before, after) = (
            diff::error_requests(before, schema, solver, jobs),
            diff::error_requests(after, schema, solver, jobs),
        );
        for (env, erring) in &after {
            let was = before
                .iter()
                .find(|(e, _)| e == env)
                .map_or(Ok(None), |(_, r)| r.clone());
            let request = match (was, erring.clone()) {
                (Err(why), _) | (_, Err(why)) => {
                    return Verdict::Undecided(format!(
                        "the solver could not tell where `{}` raises errors in {env}: {why}",
                        entry.id
                    ))
                }
                (Ok(None), Ok(None)) => continue,
                (Ok(Some(_)), Ok(Some(_))) => {
                    return Verdict::Undecided(format!(
                        "`{}` and its mutant may both raise errors in {env}; whether on the same requests is not compared",
                        entry.id
                    ))
                }
                (Ok(Some(request)), Ok(None)) | (Ok(None), Ok(Some(request))) => request,
            };
            return error_test(
                &request,
                &format!("the mutant raises errors on other requests than the set in {env}"),
            );
        }
        // An environment only the original applies in: there the mutant cannot err.
        if let Some((env, Ok(Some(request)))) = before
            .iter()
            .find(|(e, r)| matches!(r, Ok(Some(_))) && !after.iter().any(|(a, _)| a == e))
        {
            return error_test(
                request,
                &format!("the set raises errors the mutant does not in {env}"),
            );
        }
    }
    Verdict::Equivalent
}

/// The requests on which two sub-sets decide differently: those the old side allows (the
/// `removed` access) and those the new side allows (`added`).
fn sub_diff(
    old: (&PolicySetInput, &Report, &BTreeSet<String>),
    new: (&PolicySetInput, &Report, &BTreeSet<String>),
    schema: &cedar_policy::Schema,
    solver: &SolverCommand,
    jobs: usize,
) -> Result<(Vec<Example>, Vec<Example>), String> {
    let files = |input: &PolicySetInput| -> Vec<String> {
        input.files().iter().map(|f| f.path.clone()).collect()
    };
    let (old_files, new_files) = (files(old.0), files(new.0));
    let report = diff::diff(
        &DiffInput {
            old: LoadedPolicies {
                loaded: &old.1.loaded,
                files: &old_files,
                skip: old.2,
            },
            new: LoadedPolicies {
                loaded: &new.1.loaded,
                files: &new_files,
                skip: new.2,
            },
            schema,
            old_schema: schema,
        },
        solver,
        jobs,
    );
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for env in report.environments {
        match env.change {
            Change::Equivalent => {}
            Change::Unknown(reason) => {
                return Err(format!(
                    "the solver could not compare the mutant's reasons with the set's for {} {} on {}: {reason}",
                    env.principal, env.action, env.resource
                ))
            }
            _ => {
                removed.extend(env.removed);
                added.extend(env.added);
            }
        }
    }
    Ok((removed, added))
}

/// The set's input with the `forbid` keyword of `policy` (or of the template it links)
/// made `permit`.
pub(crate) fn as_permit(
    input: &PolicySetInput,
    report: &Report,
    policy: &str,
) -> Option<PolicySetInput> {
    let entries = &report.loaded.entries;
    let entry = entries.iter().find(|e| e.id == policy)?;
    let entry = entry.template.map_or(entry, |t| &entries[t]);
    let mut input = input.clone();
    let file = input.policies.get_mut(entry.file)?;
    let text = &file.text;
    let bytes = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let at = lexer::code_chars(text, entry.span.start)
        .take_while(|&(at, _)| at < entry.span.end)
        .map(|(at, _)| at)
        .find(|&at| {
            text[at..].starts_with("forbid")
                && (at == 0 || !(word(bytes[at - 1]) || bytes[at - 1] == b'@'))
                && !bytes.get(at + 6).is_some_and(|&c| word(c))
        })?;
    file.text = format!("{}permit{}", &text[..at], &text[at + 6..]).into();
    Some(input)
}

/// The entry for the example's request that kills the mutant.
fn kill_test(
    example: &Example,
    original: &SetUnderTest,
    mutated: &SetUnderTest,
    policy: &str,
    taken: &BTreeSet<String>,
) -> Result<Value, String> {
    verified_test(example, original, policy, taken, &|entry, _| {
        kills(entry, mutated)
    })
}

fn kills(entry: &Value, mutated: &SetUnderTest) -> Result<(), String> {
    let (_, failures) = evaluate(entry, mutated)?;
    if failures.is_empty() {
        return Err("the mutant passes it too".into());
    }
    Ok(())
}

/// The entry for the example's request, with the original set's decision and reasons,
/// verified to pass on the original set and to meet `check`: with readable entity ids when
/// that keeps it so, else with the solver's own ids.
pub(crate) fn verified_test(
    example: &Example,
    original: &SetUnderTest,
    policy: &str,
    taken: &BTreeSet<String>,
    check: &dyn Fn(&Value, &Actual) -> Result<(), String>,
) -> Result<Value, String> {
    let request = &example.case["request"];
    let entities = &example.case["entities"];
    let (readable_request, readable_entities) = readable(request, entities, taken);
    entry_for(
        &readable_request,
        &readable_entities,
        original,
        policy,
        check,
    )
    .or_else(|_| entry_for(request, entities, original, policy, check))
}

fn entry_for(
    request: &Value,
    entities: &Value,
    original: &SetUnderTest,
    policy: &str,
    check: &dyn Fn(&Value, &Actual) -> Result<(), String>,
) -> Result<Value, String> {
    let probe = json!({"request": request, "entities": entities, "decision": "allow"});
    let (actual, _) = evaluate(&probe, original)?;
    let allowed = actual.decision == Decision::Allow;
    let mut entry = Map::new();
    entry.insert("name".into(), name(policy, request, allowed).into());
    entry.insert("request".into(), request.clone());
    entry.insert("entities".into(), entities.clone());
    entry.insert(
        "decision".into(),
        if allowed { "allow" } else { "deny" }.into(),
    );
    if !actual.reason.is_empty() {
        entry.insert("reason".into(), json!(actual.reason));
    }
    if !actual.errors.is_empty() {
        entry.insert("num_errors".into(), actual.errors.len().into());
    }
    let entry = Value::Object(entry);
    let (actual, failures) = evaluate(&entry, original)?;
    if !failures.is_empty() {
        return Err(format!(
            "it fails on the set itself ({})",
            failures.join("; ")
        ));
    }
    check(&entry, &actual)?;
    Ok(entry)
}

/// The test runner's evaluation of one native entry against `set`: what Cedar decided, and why
/// the entry fails (empty when it passes).
pub fn evaluate(entry: &Value, set: &SetUnderTest) -> Result<(Actual, Vec<String>), String> {
    let text = json!({ "tests": [entry] }).to_string();
    let Parsed::Tests(file) = test_file::parse("generated.json", &text) else {
        return Err("the generated entry is not a native test".into());
    };
    let case = file
        .tests
        .into_iter()
        .next()
        .ok_or("the generated entry is not a native test")?
        .spec
        .map_err(|e| e.message)?;
    let schema = set.schema.as_ref();
    let request = build_request(&case, schema).map_err(|e| e.to_string())?;
    let EntitiesChoice::Own(EntitiesSource::Inline(value)) = &case.entities else {
        return Err("the generated entry has no entities of its own".into());
    };
    let entities = parse_entities(value.clone(), schema).map_err(|e| e.to_string())?;
    let entities =
        add_inline_entities(&entities, &case.inline_entities, schema).map_err(|e| e.to_string())?;
    let actual = authorize(&Authorizer::new(), set, &set.policies, &request, &entities);
    let failures = compare(&case.expect, &actual);
    Ok((actual, failures))
}

/// `<policy>: <principal> <action> on <resource> is allowed|denied`, entities by their ids.
fn name(policy: &str, request: &Value, allowed: bool) -> String {
    let shown = |key: &str| -> String {
        let Some(text) = request[key].as_str() else {
            return key.to_string();
        };
        match text.parse::<EntityUid>() {
            Ok(uid) if !uid.id().unescaped().is_empty() => uid.id().unescaped().to_string(),
            Ok(uid) => uid.type_name().basename().to_string(),
            Err(_) => text.to_string(),
        }
    };
    format!(
        "{policy}: {} {} on {} is {}",
        shown("principal"),
        shown("action"),
        shown("resource"),
        if allowed { "allowed" } else { "denied" }
    )
}

/// Every string literal of both sets' policies, quotes included: ids a readable name must not
/// take, since a policy may compare with them.
pub(crate) fn policy_strings(
    original: &PolicySetInput,
    mutated: &PolicySetInput,
) -> BTreeSet<String> {
    let literal = regex::Regex::new(r#""(?:[^"\\]|\\.)*""#).ok();
    let mut taken = BTreeSet::new();
    for file in original.policies.iter().chain(&mutated.policies) {
        if let Some(literal) = &literal {
            taken.extend(
                literal
                    .find_iter(&file.text)
                    .map(|m| m.as_str().to_string()),
            );
        }
    }
    taken
}

/// Whether the solver's id reads as a name (it keeps such ids: a policy may need them).
fn reads_well(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The request and entities with the solver's unreadable ids (often `""`) renamed after their
/// type: `Ops::Human::""` becomes `Ops::Human::"human"`. Renaming an entity no policy names
/// changes no decision; the entry is verified again all the same.
fn readable(request: &Value, entities: &Value, taken: &BTreeSet<String>) -> (Value, Value) {
    let uids: Vec<(String, String)> = entities
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|e| {
                    Some((
                        e["uid"]["type"].as_str()?.to_string(),
                        e["uid"]["id"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut renames: Vec<((String, String), String)> = Vec::new();
    for (kind, id) in &uids {
        if reads_well(id) || taken.contains(&format!("{id:?}")) {
            continue;
        }
        let base = kind.rsplit("::").next().unwrap_or(kind).to_lowercase();
        let fresh = (1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                }
            })
            .find(|candidate| {
                !taken.contains(&format!("{candidate:?}"))
                    && !uids.iter().any(|(k, i)| k == kind && i == candidate)
                    && !renames
                        .iter()
                        .any(|((k, _), to)| k == kind && to == candidate)
            })
            .unwrap_or(base);
        renames.push(((kind.clone(), id.clone()), fresh));
    }
    let renamed = |value: &Value| {
        let mut value = value.clone();
        rename(&mut value, &renames);
        value
    };
    (renamed(request), renamed(entities))
}

fn rename(value: &mut Value, renames: &[((String, String), String)]) {
    match value {
        Value::String(text) => {
            if let Ok(uid) = text.parse::<EntityUid>() {
                let key = (
                    uid.type_name().to_string(),
                    uid.id().unescaped().to_string(),
                );
                if let Some((_, to)) = renames.iter().find(|(from, _)| *from == key) {
                    *text = format!("{}::{to:?}", key.0);
                }
            }
        }
        Value::Object(fields) => {
            let is_uid = fields.len() == 2
                && fields.get("type").is_some_and(Value::is_string)
                && fields.get("id").is_some_and(Value::is_string);
            if is_uid {
                let key = (
                    fields["type"].as_str().unwrap_or_default().to_string(),
                    fields["id"].as_str().unwrap_or_default().to_string(),
                );
                if let Some((_, to)) = renames.iter().find(|(from, _)| *from == key) {
                    fields.insert("id".into(), to.clone().into());
                }
                return;
            }
            for field in fields.values_mut() {
                rename(field, renames);
            }
        }
        Value::Array(items) => {
            for item in items {
                rename(item, renames);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cedarcheck_analyzer::SourceFile;

    const SCHEMA: &str = "entity User; entity Doc { public: Bool }; action read appliesTo { principal: [User], resource: [Doc] };";

    fn set(policies: &str) -> SetUnderTest {
        let input = PolicySetInput {
            policies: vec![SourceFile::new("p.cedar", policies)],
            schema: Some(SourceFile::new("s.cedarschema", SCHEMA)),
            links: Vec::new(),
        };
        SetUnderTest::from_input("set".into(), &input, &|p: &str| p.to_string())
    }

    fn kill_entry(
        request: &Value,
        entities: &Value,
        original: &SetUnderTest,
        mutated: &SetUnderTest,
        policy: &str,
    ) -> Result<Value, String> {
        entry_for(request, entities, original, policy, &|entry, _| {
            kills(entry, mutated)
        })
    }

    #[test]
    fn an_entry_is_kept_only_when_it_passes_on_the_set_and_fails_on_the_mutant() {
        let original =
            set("@id(\"public\") permit (principal, action, resource) when { resource.public };");
        let widened = set("@id(\"public\") permit (principal, action, resource);");
        let request = json!({"principal": "User::\"\"", "action": "Action::\"read\"", "resource": "Doc::\"\"", "context": {}});
        let private = json!([
            {"uid": {"type": "Doc", "id": ""}, "attrs": {"public": false}, "parents": []},
            {"uid": {"type": "User", "id": ""}, "attrs": {}, "parents": []},
        ]);
        let entry = kill_entry(&request, &private, &original, &widened, "public").unwrap();
        assert_eq!(
            entry,
            json!({
                "name": "public: User read on Doc is denied",
                "request": request,
                "entities": private,
                "decision": "deny",
            })
        );
        // The same request with a public document: both allow it, so it kills nothing.
        let public = json!([
            {"uid": {"type": "Doc", "id": ""}, "attrs": {"public": true}, "parents": []},
            {"uid": {"type": "User", "id": ""}, "attrs": {}, "parents": []},
        ]);
        assert_eq!(
            kill_entry(&request, &public, &original, &widened, "public"),
            Err("the mutant passes it too".into())
        );
        // Mutating the other way: the set allows, and its reasons are written too.
        let entry = kill_entry(&request, &private, &widened, &original, "public").unwrap();
        assert_eq!(entry["decision"], "allow");
        assert_eq!(entry["reason"], json!(["public"]));
    }

    #[test]
    fn unreadable_ids_are_renamed_after_their_type_everywhere_they_appear() {
        let request = json!({
            "principal": "Ops::Human::\"\"",
            "action": "Ops::Action::\"RebootHost\"",
            "resource": "Ops::Host::\"\"",
            "context": {"owner": {"__entity": {"type": "Ops::Human", "id": ""}}},
        });
        let entities = json!([
            {"uid": {"type": "Ops::Host", "id": ""}, "attrs": {}, "parents": []},
            {"uid": {"type": "Ops::Human", "id": ""}, "attrs": {}, "parents": [{"type": "Ops::Team", "id": "sre"}]},
            {"uid": {"type": "Ops::Team", "id": "sre"}, "attrs": {}, "parents": []},
        ]);
        let taken = BTreeSet::from(["\"host\"".to_string()]);
        let (request, entities) = readable(&request, &entities, &taken);
        assert_eq!(request["principal"], "Ops::Human::\"human\"");
        assert_eq!(request["resource"], "Ops::Host::\"host-2\"");
        assert_eq!(request["context"]["owner"]["__entity"]["id"], "human");
        assert_eq!(entities[0]["uid"]["id"], "host-2");
        assert_eq!(entities[1]["uid"]["id"], "human");
        assert_eq!(entities[2]["uid"]["id"], "sre");
        assert_eq!(
            name("sre-reboot", &request, false),
            "sre-reboot: human RebootHost on host-2 is denied"
        );
    }
}
