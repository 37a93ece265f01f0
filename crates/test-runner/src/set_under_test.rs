//! The policy set (and schema) a test file runs against, parsed and validated once per run.
//!
//! A config's policy set is loaded by the analyzer, so tests see the ids `check` reports:
//! `@id`, else `policyN`, else `FILE#policyN`. An integration-test file names its own policies
//! file, whose ids are Cedar's by position (`policy0`, …), as the Cedar test harness reads them.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    ActionConstraint, Entities, EntityUid, Policy, PolicyId, PolicySet, Schema, ValidationMode,
    Validator,
};
use cedarcheck_analyzer::rules::{duplicate_policy_id, parse_error, schema_error};
use cedarcheck_analyzer::{LineIndex, PolicyKind, PolicySetInput, Settings, SourceFile, Syntax};
use miette::Diagnostic;

use crate::located::{find_mention, Located};
use crate::test_file::SourceFormat;

/// A policy that can determine a decision (a static policy or a template link): what
/// coverage counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyInfo {
    pub id: String,
    pub file: String,
    pub line: usize,
    /// For a template link: the template it links, whose text its explanation quotes.
    pub template: Option<TemplateOf>,
}

/// The template a link was made from: its id and the file that holds its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateOf {
    pub id: String,
    pub file: String,
}

#[derive(Clone, Debug)]
pub struct SetUnderTest {
    /// How reports name the set.
    pub label: String,
    pub policies: PolicySet,
    pub schema: Option<Schema>,
    /// Problems that keep the set from being tested: parse errors, strict validation errors
    /// (as `cedar run-tests` refuses a set that does not validate), duplicate ids.
    pub errors: Vec<Located>,
    /// Whether strict validation passed (no errors), for `shouldValidate`.
    pub validates: bool,
    pub validation_errors: Vec<String>,
    pub info: Vec<PolicyInfo>,
    by_internal_id: HashMap<PolicyId, usize>,
    /// Every policy with its action scope, to evaluate only those that can apply to a
    /// request's action; `None` when the set has template links (a slice cannot hold them).
    action_scopes: Option<Vec<(Policy, ActionConstraint)>>,
}

/// The analyzer rules whose findings make a set untestable.
const BLOCKING_RULES: [&str; 3] = [
    parse_error::RULE.id,
    schema_error::RULE.id,
    duplicate_policy_id::RULE.id,
];

impl SetUnderTest {
    /// A policy set of the workspace, loaded with cedarcheck's ids. `display` turns a
    /// root-relative path into the path reports show.
    pub fn from_input(
        label: String,
        input: &PolicySetInput,
        display: &dyn Fn(&str) -> String,
    ) -> Self {
        let report = cedarcheck_analyzer::check(input, &Settings::loading_only());
        let files = input.files();
        let text_of = |path: &str| {
            files
                .iter()
                .find(|f| f.path == path)
                .map_or("", |f| &*f.text)
        };
        let errors: Vec<Located> = report
            .findings
            .iter()
            .filter(|f| BLOCKING_RULES.contains(&f.rule))
            .map(|f| {
                Located::at(
                    &display(&f.file),
                    text_of(&f.file),
                    f.span.start,
                    &f.message,
                )
            })
            .collect();
        let validation_errors = report
            .findings
            .iter()
            .filter(|f| f.rule == schema_error::RULE.id)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>();
        let mut info = Vec::new();
        let mut by_internal_id = HashMap::new();
        let indexes: Vec<LineIndex> = files.iter().map(|f| LineIndex::new(&f.text)).collect();
        for entry in &report.loaded.entries {
            if entry.kind == PolicyKind::Template {
                continue;
            }
            let file = files[entry.file];
            by_internal_id.insert(entry.internal_id.clone(), info.len());
            info.push(PolicyInfo {
                id: entry.id.clone(),
                file: display(&file.path),
                line: indexes[entry.file]
                    .position(&file.text, entry.span.start)
                    .line,
                template: entry.template.map(|t| {
                    let template = &report.loaded.entries[t];
                    TemplateOf {
                        id: template.id.clone(),
                        file: display(&files[template.file].path),
                    }
                }),
            });
        }
        Self {
            label,
            validates: validation_errors.is_empty() && errors.is_empty(),
            validation_errors,
            action_scopes: action_scopes(&report.loaded.set),
            policies: report.loaded.set,
            schema: report.schema,
            errors,
            info,
            by_internal_id,
        }
    }

    /// This set with its static policy of the same id replaced by `policy`, when that is all
    /// loading the changed text would change: a set without templates (`None` otherwise; then
    /// load the changed set whole). `Err` with Cedar's first strict-validation error when
    /// `policy` does not validate (Cedar validates each policy on its own).
    pub fn with_policy(&self, policy: Policy) -> Option<Result<Self, String>> {
        let scopes = self.action_scopes.as_ref()?;
        self.policies.policy(policy.id())?;
        if let Some(schema) = &self.schema {
            let alone = PolicySet::from_policies([policy.clone()]).ok()?;
            let result = Validator::new(schema.clone()).validate(&alone, ValidationMode::Strict);
            let first = result.validation_errors().next().map(ToString::to_string);
            if let Some(error) = first {
                return Some(Err(error));
            }
        }
        let policies = PolicySet::from_policies(self.policies.policies().map(|p| {
            if p.id() == policy.id() {
                policy.clone()
            } else {
                p.clone()
            }
        }))
        .ok()?;
        let action_scopes = scopes
            .iter()
            .map(|(p, scope)| {
                if p.id() == policy.id() {
                    (policy.clone(), policy.action_constraint())
                } else {
                    (p.clone(), scope.clone())
                }
            })
            .collect();
        Some(Ok(Self {
            policies,
            action_scopes: Some(action_scopes),
            ..self.clone()
        }))
    }

    /// The policies and schema an integration-test file names, with Cedar's own ids.
    pub fn from_integration(
        label: String,
        policies: (&str, &str, SourceFormat),
        schema: (&str, &str, SourceFormat),
    ) -> Self {
        let mut errors = Vec::new();
        let (policies_file, policies_text, policy_format) = policies;
        let policy_set = match policy_format {
            SourceFormat::Cedar => parse_cedar_policies(policies_file, policies_text),
            SourceFormat::Json => parse_json_policies(policies_file, policies_text),
        };
        let policy_set = policy_set.unwrap_or_else(|error| {
            errors.push(error);
            PolicySet::new()
        });
        let (schema_file, schema_text, schema_format) = schema;
        let schema = match parse_schema(schema_file, schema_text, schema_format) {
            Ok(schema) => Some(schema),
            Err(error) => {
                errors.push(error);
                None
            }
        };
        let validation_errors: Vec<String> = match &schema {
            Some(schema) if errors.is_empty() => Validator::new(schema.clone())
                .validate(&policy_set, ValidationMode::Strict)
                .validation_errors()
                .map(|e| e.to_string())
                .collect(),
            _ => Vec::new(),
        };
        let index = LineIndex::new(policies_text);
        let mut info = Vec::new();
        let mut by_internal_id = HashMap::new();
        let mut policies: Vec<_> = policy_set.policies().collect();
        // Cedar numbers policies by position; show them in that order.
        policies.sort_by_key(|p| {
            let id = p.id().to_string();
            let number = id
                .strip_prefix("policy")
                .and_then(|n| n.parse::<u64>().ok());
            (number.is_none(), number, id)
        });
        for policy in policies {
            let offset = policy
                .as_ref()
                .loc()
                .map(|loc| loc.start())
                .or_else(|| policies_text.find(&format!("\"{}\"", policy.id())))
                .unwrap_or(0);
            by_internal_id.insert(policy.id().clone(), info.len());
            info.push(PolicyInfo {
                id: policy.id().to_string(),
                file: policies_file.to_string(),
                line: index.position(policies_text, offset).line,
                template: None,
            });
        }
        Self {
            label,
            validates: errors.is_empty() && validation_errors.is_empty(),
            validation_errors,
            action_scopes: action_scopes(&policy_set),
            policies: policy_set,
            schema,
            errors,
            info,
            by_internal_id,
        }
    }

    /// The id reports and tests use for a policy the authorizer names.
    pub fn display_id(&self, internal: &PolicyId) -> String {
        match self.by_internal_id.get(internal) {
            Some(&index) => self.info[index].id.clone(),
            None => internal.to_string(),
        }
    }

    /// The policies that can apply to requests for `action` given the action hierarchy in
    /// `entities`, or `None` when the whole set must be evaluated.
    ///
    /// Cedar evaluates a policy as `principal scope && action scope && resource scope &&
    /// conditions`; a principal scope cannot raise an error, so a policy whose action scope
    /// is false for the request is neither satisfied nor erroring: leaving it out changes no
    /// decision, reason or error, and saves evaluating most of a large set.
    pub fn slice_for_action(&self, action: &EntityUid, entities: &Entities) -> Option<PolicySet> {
        let scopes = self.action_scopes.as_ref()?;
        let mut within: HashSet<&EntityUid> = HashSet::from([action]);
        if let Some(ancestors) = entities.ancestors(action) {
            within.extend(ancestors);
        }
        let mut slice = PolicySet::new();
        for (policy, scope) in scopes {
            let applies = match scope {
                ActionConstraint::Any => true,
                ActionConstraint::Eq(uid) => uid == action,
                ActionConstraint::In(uids) => uids.iter().any(|uid| within.contains(uid)),
            };
            if applies && slice.add(policy.clone()).is_err() {
                return None;
            }
        }
        Some(slice)
    }

    /// The index into `info` of a policy the authorizer names.
    pub fn info_index(&self, internal: &PolicyId) -> Option<usize> {
        self.by_internal_id.get(internal).copied()
    }
}

fn action_scopes(set: &PolicySet) -> Option<Vec<(Policy, ActionConstraint)>> {
    set.policies()
        .map(|policy| {
            policy
                .is_static()
                .then(|| (policy.clone(), policy.action_constraint()))
        })
        .collect()
}

/// The first label of a Cedar diagnostic, as a located error in `text`.
fn from_diagnostic(file: &str, text: &str, diagnostic: &dyn Diagnostic, what: &str) -> Located {
    let offset = diagnostic
        .labels()
        .and_then(|mut labels| labels.next())
        .map_or(0, |label| label.offset());
    let mut message = format!("{what}: {diagnostic}");
    if let Some(help) = diagnostic.help() {
        message = format!("{message} (help: {help})");
    }
    Located::at(file, text, offset, message)
}

/// Cedar text nested too deeply to parse safely, refused as `check` refuses it.
fn unreadable(file: &str, text: &str, syntax: Syntax) -> Option<Located> {
    let source = SourceFile::new(file, text);
    parse_error::unreadable_cedar(&source, syntax)
        .map(|f| Located::at(file, text, f.span.start, f.message))
}

fn parse_cedar_policies(file: &str, text: &str) -> Result<PolicySet, Located> {
    if let Some(error) = unreadable(file, text, Syntax::Policies) {
        return Err(error);
    }
    PolicySet::from_str(text).map_err(|errors| {
        let first = errors.iter().next();
        match first {
            Some(error) => from_diagnostic(file, text, error, "invalid policy"),
            None => Located::at(file, text, 0, format!("invalid policies: {errors}")),
        }
    })
}

fn parse_json_policies(file: &str, text: &str) -> Result<PolicySet, Located> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Located::json(file, text, 0, &e, "invalid JSON policy set"))?;
    PolicySet::from_json_value(value).map_err(|error| {
        let message = format!("invalid JSON policy set: {error}");
        let offset = find_mention(text, &message).unwrap_or(0);
        Located::at(file, text, offset, message)
    })
}

fn parse_schema(file: &str, text: &str, format: SourceFormat) -> Result<Schema, Located> {
    match format {
        SourceFormat::Cedar => {
            if let Some(error) = unreadable(file, text, Syntax::Schema) {
                return Err(error);
            }
            Schema::from_cedarschema_str(text)
                .map(|(schema, _warnings)| schema)
                .map_err(|error| from_diagnostic(file, text, &error, "invalid schema"))
        }
        SourceFormat::Json => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| Located::json(file, text, 0, &e, "invalid JSON schema"))?;
            Schema::from_json_value(value).map_err(|error| {
                let message = format!("invalid JSON schema: {error}");
                let offset = find_mention(text, &message).unwrap_or(0);
                Located::at(file, text, offset, message)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str =
        "entity User; entity Photo; action view appliesTo { principal: User, resource: Photo };";

    #[test]
    fn config_sets_use_cedarcheck_ids_and_report_blocking_errors() {
        let input = PolicySetInput {
            policies: vec![
                SourceFile::new(
                    "a.cedar",
                    "@id(\"named\")\npermit(principal, action, resource);\n",
                ),
                SourceFile::new("b.cedar", "forbid(principal, action, resource);\n"),
            ],
            schema: Some(SourceFile::new("s.cedarschema", SCHEMA)),
            links: vec![],
        };
        let set = SetUnderTest::from_input("set".into(), &input, &|p| format!("root/{p}"));
        let ids: Vec<_> = set.info.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["named", "b.cedar#policy0"]);
        assert_eq!(set.info[0].line, 1);
        assert_eq!(set.info[1].file, "root/b.cedar");
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        assert!(set.validates);

        let broken = PolicySetInput {
            policies: vec![SourceFile::new(
                "a.cedar",
                "permit(principal, action, resource)\nwhen { principal.nope };\n",
            )],
            schema: Some(SourceFile::new("s.cedarschema", SCHEMA)),
            links: vec![],
        };
        let set = SetUnderTest::from_input("set".into(), &broken, &|p| p.to_string());
        assert_eq!(set.errors.len(), 1, "{:?}", set.errors);
        assert_eq!(set.errors[0].file, "a.cedar");
        assert!(!set.validates);
    }

    #[test]
    fn integration_sets_use_cedar_ids_even_with_id_annotations() {
        let set = SetUnderTest::from_integration(
            "p.cedar".into(),
            (
                "p.cedar",
                "@id(\"ignored\")\npermit(principal, action, resource);\n\nforbid(principal, action, resource) when { principal.x };\n",
                SourceFormat::Cedar,
            ),
            ("s.cedarschema", SCHEMA, SourceFormat::Cedar),
        );
        let ids: Vec<_> = set.info.iter().map(|i| (i.id.as_str(), i.line)).collect();
        assert_eq!(ids, [("policy0", 1), ("policy1", 4)]);
        assert!(set.errors.is_empty());
        assert!(!set.validates, "principal.x does not exist");
        assert_eq!(set.validation_errors.len(), 1);
    }

    #[test]
    fn action_slices_decide_as_the_whole_set_does() {
        let schema = r#"entity User; entity Doc;
action "read"; action "write";
action view, list in ["read"] appliesTo { principal: User, resource: Doc };
action edit in ["write"] appliesTo { principal: User, resource: Doc };
action purge in ["write", "read"] appliesTo { principal: User, resource: Doc };"#;
        let policies = r#"permit(principal, action == Action::"view", resource);
permit(principal, action in Action::"read", resource) when { principal.x };
forbid(principal, action in [Action::"edit", Action::"list"], resource);
permit(principal, action, resource) when { resource.y };
forbid(principal == User::"a", action in Action::"write", resource);"#;
        let set = SetUnderTest::from_integration(
            "p".into(),
            ("p.cedar", policies, SourceFormat::Cedar),
            ("s.cedarschema", schema, SourceFormat::Cedar),
        );
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let entities = crate::evaluate::parse_entities(
            serde_json::json!([
                {"uid": {"type": "User", "id": "a"}, "attrs": {}, "parents": []},
                {"uid": {"type": "User", "id": "b"}, "attrs": {}, "parents": []},
                {"uid": {"type": "Doc", "id": "d"}, "attrs": {}, "parents": []}
            ]),
            set.schema.as_ref(),
        )
        .unwrap();
        let authorizer = cedar_policy::Authorizer::new();
        let mut sizes = Vec::new();
        for action in ["view", "list", "edit", "purge"] {
            let action: EntityUid = format!("Action::\"{action}\"").parse().unwrap();
            let slice = set.slice_for_action(&action, &entities).unwrap();
            sizes.push(slice.policies().count());
            for principal in ["a", "b"] {
                let request = cedar_policy::Request::new(
                    format!("User::\"{principal}\"").parse().unwrap(),
                    action.clone(),
                    "Doc::\"d\"".parse().unwrap(),
                    cedar_policy::Context::empty(),
                    None,
                )
                .unwrap();
                let whole = crate::evaluate::authorize(
                    &authorizer,
                    &set,
                    &set.policies,
                    &request,
                    &entities,
                );
                let sliced =
                    crate::evaluate::authorize(&authorizer, &set, &slice, &request, &entities);
                assert_eq!(whole, sliced, "{action} by {principal}");
            }
        }
        // view: 0, 1, 3; list: 1, 2, 3; edit: 2, 3, 4; purge: 1, 3, 4.
        assert_eq!(sizes, [3, 3, 3, 3]);
    }

    #[test]
    fn integration_sources_in_json_and_broken_ones() {
        let set = SetUnderTest::from_integration(
            "p.json".into(),
            (
                "p.json",
                r#"{"templates": {}, "staticPolicies": {"policy0": {"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}, "conditions": []}}, "templateLinks": []}"#,
                SourceFormat::Json,
            ),
            (
                "s.json",
                r#"{"": {"entityTypes": {"User": {}}, "actions": {"view": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["User"]}}}}}"#,
                SourceFormat::Json,
            ),
        );
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        assert_eq!(set.info[0].id, "policy0");

        let set = SetUnderTest::from_integration(
            "p.cedar".into(),
            (
                "p.cedar",
                "permit(principal, action, resource)\n",
                SourceFormat::Cedar,
            ),
            ("s.cedarschema", "entity User", SourceFormat::Cedar),
        );
        assert_eq!(set.errors.len(), 2, "{:?}", set.errors);
        assert!(
            set.errors[0].to_string().starts_with("p.cedar:"),
            "{}",
            set.errors[0]
        );
        assert!(
            set.errors[1].to_string().starts_with("s.cedarschema:1:"),
            "{}",
            set.errors[1]
        );
    }
}
