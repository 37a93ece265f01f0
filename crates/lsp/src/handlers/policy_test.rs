//! "Create a test from this request" on a policy: the request its scope names — the principal
//! and resource it is `==` to (or `in`: the entity itself), or an `example` entity of the type
//! it `is` (of the action's first type in the schema when unconstrained), its action, an empty
//! context — appended to a test file of its set with what the policies decide on it today.
//!
//! The decision, reasons and error count are not guessed: the new test is run first, with the
//! test runner of `cedarcheck test`, on the test file as it would be, and its actual outcome
//! becomes its expectation. A request the run cannot evaluate (a context the schema requires,
//! an action group) is not offered.

use std::path::Path;
use std::str::FromStr;

use cedar_policy::{ActionConstraint, EntityUid, PrincipalConstraint, ResourceConstraint};
use serde_json::{json, Value};

use crate::analysis::{self, Overlay, PolicyItem};
use crate::documents::Document;

/// The test case of `policy` (text of the whole policy) and the file it goes to, when the
/// set has a test file to append to: `(test file, its text, the case)`.
pub struct PolicyCase {
    pub test: String,
    pub text: std::sync::Arc<str>,
    pub case: Value,
}

fn uid_json(uid: &EntityUid) -> Value {
    json!({"type": uid.type_name().to_string(), "id": uid.id().unescaped()})
}

fn example(type_name: &cedar_policy::EntityTypeName) -> Option<EntityUid> {
    EntityUid::from_str(&format!("{type_name}::\"example\"")).ok()
}

/// The request of the policy's scope and the entities it needs (an `is T in E` entity's
/// parent), without its outcome.
fn request_of(policy: &str, schema: Option<&cedar_policy::Schema>) -> Option<(Value, Vec<Value>)> {
    let policy = cedar_policy::Policy::from_str(policy).ok()?;
    let action = match policy.action_constraint() {
        ActionConstraint::Eq(action) => action,
        ActionConstraint::In(actions) => actions.into_iter().next()?,
        ActionConstraint::Any => return None,
    };
    let mut entities = Vec::new();
    let mut pick =
        |eq: Option<EntityUid>,
         is: Option<(cedar_policy::EntityTypeName, Option<EntityUid>)>,
         any: &mut dyn Iterator<Item = cedar_policy::EntityTypeName>| {
            if let Some(uid) = eq {
                return Some(uid);
            }
            if let Some((type_name, parent)) = is {
                let uid = example(&type_name)?;
                if let Some(parent) = parent {
                    entities.push(
                        json!({"uid": uid_json(&uid), "attrs": {}, "parents": [uid_json(&parent)]}),
                    );
                }
                return Some(uid);
            }
            any.next().as_ref().and_then(example)
        };
    let principals: Vec<cedar_policy::EntityTypeName> = schema
        .and_then(|s| s.principals_for_action(&action))
        .map(|types| types.cloned().collect())
        .unwrap_or_default();
    let principal = match policy.principal_constraint() {
        PrincipalConstraint::Eq(uid) | PrincipalConstraint::In(uid) => {
            pick(Some(uid), None, &mut std::iter::empty())
        }
        PrincipalConstraint::Is(t) => pick(None, Some((t, None)), &mut std::iter::empty()),
        PrincipalConstraint::IsIn(t, parent) => {
            pick(None, Some((t, Some(parent))), &mut std::iter::empty())
        }
        PrincipalConstraint::Any => pick(None, None, &mut principals.into_iter()),
    }?;
    let resources: Vec<cedar_policy::EntityTypeName> = schema
        .and_then(|s| s.resources_for_action(&action))
        .map(|types| types.cloned().collect())
        .unwrap_or_default();
    let resource = match policy.resource_constraint() {
        ResourceConstraint::Eq(uid) | ResourceConstraint::In(uid) => {
            pick(Some(uid), None, &mut std::iter::empty())
        }
        ResourceConstraint::Is(t) => pick(None, Some((t, None)), &mut std::iter::empty()),
        ResourceConstraint::IsIn(t, parent) => {
            pick(None, Some((t, Some(parent))), &mut std::iter::empty())
        }
        ResourceConstraint::Any => pick(None, None, &mut resources.into_iter()),
    }?;
    // A request the schema rejects (a context with required attributes) is not worth a run.
    if let Some(schema) = schema {
        cedar_policy::Request::new(
            principal.clone(),
            action.clone(),
            resource.clone(),
            cedar_policy::Context::empty(),
            Some(schema),
        )
        .ok()?;
    }
    let request = json!({
        "principal": uid_json(&principal),
        "action": uid_json(&action),
        "resource": uid_json(&resource),
        "context": {},
    });
    Some((request, entities))
}

fn schema_of(
    root: &Path,
    set: &cedarcheck_workspace::PolicySetFiles,
    overlay: &Overlay,
) -> Option<cedar_policy::Schema> {
    let file = analysis::read(root, set.schema.as_ref()?, overlay).ok()?;
    if file.path.ends_with(".json") {
        cedar_policy::Schema::from_json_str(&file.text).ok()
    } else {
        cedar_policy::Schema::from_cedarschema_str(&file.text)
            .ok()
            .map(|(schema, _)| schema)
    }
}

/// The test of `policy` (an item of the document at `path`, whose text is `text`) with the
/// outcome the set's policies give it now, and the test file it goes to.
pub fn policy_case(
    path: &Path,
    text: &str,
    policy: &PolicyItem,
    overlay: &Overlay,
    folders: &[std::path::PathBuf],
    append: impl Fn(&str, &Value) -> Option<String>,
) -> Option<PolicyCase> {
    if policy.template {
        return None;
    }
    let membership = overlay.cache.membership(path, folders).ok()?;
    let root = &membership.workspace.root;
    for (_, set) in &membership.sets {
        if !set.policies.contains(&membership.relative) {
            continue;
        }
        let schema = schema_of(root, set, overlay);
        let (request, entities) = request_of(
            text.get(policy.span.start..policy.span.end)?,
            schema.as_ref(),
        )?;
        let who = |key: &str| {
            EntityUid::from_json(request[key].clone())
                .map(|uid| uid.to_string())
                .unwrap_or_default()
        };
        let name = format!(
            "{}: {} {} {}",
            policy.id,
            who("principal"),
            who("action"),
            who("resource")
        );
        let draft = json!({
            "name": name,
            "request": request,
            "entities": entities,
            "decision": "deny",
            "reason": [],
            "num_errors": 0,
        });
        for test in &set.tests {
            let Ok(file) = analysis::read(root, test, overlay) else {
                continue;
            };
            let Some(appended) = append(&file.text, &draft) else {
                continue;
            };
            let draft_name = serde_json::from_str::<Value>(&appended)
                .ok()
                .and_then(|v| {
                    let tests = v.as_array().or_else(|| v["tests"].as_array())?;
                    tests.last()?["name"].as_str().map(str::to_string)
                })?;
            let outcome = run_draft(
                &membership.workspace,
                set,
                test,
                &appended,
                &draft_name,
                overlay,
            )?;
            let mut case = draft.clone();
            case["name"] = draft_name.into();
            case["decision"] = outcome.0.into();
            case["reason"] = outcome.1.into();
            case["num_errors"] = outcome.2.into();
            return Some(PolicyCase {
                test: test.clone(),
                text: file.text.clone(),
                case,
            });
        }
    }
    None
}

/// Runs the test file with the draft appended and returns the draft test's actual decision,
/// reasons and number of errors.
fn run_draft(
    workspace: &cedarcheck_workspace::Workspace,
    set: &cedarcheck_workspace::PolicySetFiles,
    test: &str,
    appended: &str,
    name: &str,
    overlay: &Overlay,
) -> Option<(&'static str, Vec<String>, usize)> {
    let path = workspace.root.join(test);
    let uri = crate::to_proto::file_uri(&path)?;
    let mut overlay = overlay.clone();
    overlay
        .files
        .insert(path.clone(), Document::new(uri, appended.to_string(), 0, 0));
    let job = analysis::test_job(workspace, set, vec![test.to_string()]);
    let run = analysis::run_tests(&job, &overlay).into_iter().next()?;
    let report = run.report?;
    let tested = report.tests.iter().rev().find(|t| t.name == name)?;
    let actual = tested.actual.as_ref()?;
    Some((
        actual.decision.as_str(),
        actual.reason.clone(),
        actual.errors.len(),
    ))
}
