//! `impossible-policy`, raised by the pipeline in `validation.rs` when the validator finds a
//! policy that can never apply; `explain` below says why.

use std::collections::BTreeSet;

use cedar_policy::{
    ActionConstraint, Effect, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet,
    PrincipalConstraint, ResourceConstraint, Schema, Template, TemplatePrincipalConstraint,
    TemplateResourceConstraint, ValidationMode, ValidationWarning, Validator,
};

use crate::{Category, Level, Rule, Source};

pub const RULE: Rule = Rule {
    id: "impossible-policy",
    category: Category::Correctness,
    default_level: Level::Warn,
    summary: "the validator proves the policy can never apply",
    source: Source::Pipeline,
    doc: r#"## What it does
Reports a policy that Cedar's validator proves can never apply: no action in its scope applies
to the principal and resource types in its scope, or its condition is always false for every
request the schema allows. The finding says which, from the schema's `appliesTo`, e.g. "forbid
`block-spawn` can never apply: `Action::"agent_spawn"` does not apply to resource type `Tool`
(it applies to `Session`)". One finding per policy.

The level is `warn` for a permit and one level higher, `error` by default, for a forbid: a
forbid that can never apply is a guardrail that fails open. Configuring the rule's level sets
the permit's; the forbid's stays one above it (`info` makes it `warn`).

## Why is this bad?
A policy that never applies is dead code that looks like protection. A forbid that can never
apply protects nothing; a permit that can never apply usually means a wrong type or action.

## Example
```cedar
// schema: action "ReadSecret" appliesTo { principal: Agent, resource: Secret };
permit (
  principal is Ops::Agent,
  action == Ops::Action::"ReadSecret",
  resource is Ops::Host   // ReadSecret never applies to hosts
);
```

Use instead:
```cedar
permit (
  principal is Ops::Agent,
  action == Ops::Action::"ReadSecret",
  resource is Ops::Secret
) when { context has jit && context.jit.expires_at > context.now };
```
"#,
};

/// Why the validator found the policy `id` of `policies` impossible, from its scope against
/// the actions' `appliesTo` in `schema`: "forbid `id` can never apply: …". `scope` says
/// whether the validator found no action in the scope that applies to the scope's principal
/// and resource types (else only that the policy is false for every request). `None` when
/// the set does not hold the policy.
pub(crate) fn explain(
    schema: &Schema,
    policies: &PolicySet,
    id: &PolicyId,
    scope: bool,
) -> Option<(Effect, String)> {
    let (effect, name, head, conditions) = if let Some(policy) = policies.policy(id) {
        // A link's finding already names it ("in link `ID`: ").
        let name = match policy.annotation("id") {
            _ if !policy.is_static() => String::new(),
            Some(name) if !name.is_empty() => name.to_string(),
            _ => id.to_string(),
        };
        let within = [
            match policy.principal_constraint() {
                PrincipalConstraint::IsIn(name, uid) => Some(("principal", name, uid)),
                _ => None,
            },
            match policy.resource_constraint() {
                ResourceConstraint::IsIn(name, uid) => Some(("resource", name, uid)),
                _ => None,
            },
        ];
        let head = Head {
            principal: principal_types(policy.principal_constraint()),
            action: policy.action_constraint(),
            resource: resource_types(policy.resource_constraint()),
            within: within.into_iter().flatten().collect(),
        };
        let conditions = if policy.is_static() {
            Conditions::of(policy.to_json().ok())
        } else {
            Conditions::Unknown
        };
        (policy.effect(), name, head, conditions)
    } else {
        let template = policies.template(id)?;
        let name = match template.annotation("id") {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => id.to_string(),
        };
        let within = [
            match template.principal_constraint() {
                TemplatePrincipalConstraint::IsIn(name, Some(uid)) => {
                    Some(("principal", name, uid))
                }
                _ => None,
            },
            match template.resource_constraint() {
                TemplateResourceConstraint::IsIn(name, Some(uid)) => Some(("resource", name, uid)),
                _ => None,
            },
        ];
        let head = Head {
            principal: template_principal_types(template.principal_constraint()),
            action: template.action_constraint(),
            resource: template_resource_types(template.resource_constraint()),
            within: within.into_iter().flatten().collect(),
        };
        (
            template.effect(),
            name,
            head,
            Conditions::of(template.to_json().ok()),
        )
    };
    let kind = match effect {
        Effect::Permit => "permit",
        Effect::Forbid => "forbid",
    };
    let why = if scope {
        head.mismatch(schema).unwrap_or_else(|| {
            "no action in its scope applies to both its principal and its resource".to_string()
        })
    } else {
        match conditions {
            Conditions::None => "its scope matches no request the schema allows".to_string(),
            Conditions::Some(json) => {
                match scope_alone_is_possible(schema, json, policies.template(id).is_some()) {
                    Some(true) => "its condition is always false for every request the schema \
                                   allows"
                        .to_string(),
                    Some(false) => "its scope matches no request the schema allows".to_string(),
                    None => "it is false for every request the schema allows".to_string(),
                }
            }
            Conditions::Unknown => "it is false for every request the schema allows".to_string(),
        }
    };
    let subject = if name.is_empty() {
        format!("the linked {kind}")
    } else {
        format!("{kind} `{name}`")
    };
    Some((effect, format!("{subject} can never apply: {why}")))
}

/// The entity types a principal or resource scope admits, as far as the scope alone says.
enum Types {
    /// Every type (`principal`).
    Any,
    /// Exactly one type (`== E::"x"`, `is E`, `is E in …`).
    One(EntityTypeName),
    /// Depends on the entity hierarchy or on a slot (`in E::"x"`, `== ?principal`).
    Unknown,
}

impl Types {
    /// Whether the scope admits none of `applies` (`None` when that depends on more than the
    /// scope).
    fn misses(&self, applies: &BTreeSet<String>) -> Option<bool> {
        match self {
            Types::Any => Some(applies.is_empty()),
            Types::One(name) => Some(!applies.contains(&name.to_string())),
            Types::Unknown => None,
        }
    }
}

fn principal_types(constraint: PrincipalConstraint) -> Types {
    match constraint {
        PrincipalConstraint::Any => Types::Any,
        PrincipalConstraint::Eq(uid) => Types::One(uid.type_name().clone()),
        PrincipalConstraint::Is(name) | PrincipalConstraint::IsIn(name, _) => Types::One(name),
        PrincipalConstraint::In(_) => Types::Unknown,
    }
}

fn resource_types(constraint: ResourceConstraint) -> Types {
    match constraint {
        ResourceConstraint::Any => Types::Any,
        ResourceConstraint::Eq(uid) => Types::One(uid.type_name().clone()),
        ResourceConstraint::Is(name) | ResourceConstraint::IsIn(name, _) => Types::One(name),
        ResourceConstraint::In(_) => Types::Unknown,
    }
}

fn template_principal_types(constraint: TemplatePrincipalConstraint) -> Types {
    match constraint {
        TemplatePrincipalConstraint::Any => Types::Any,
        TemplatePrincipalConstraint::Eq(Some(uid)) => Types::One(uid.type_name().clone()),
        TemplatePrincipalConstraint::Is(name) | TemplatePrincipalConstraint::IsIn(name, _) => {
            Types::One(name)
        }
        TemplatePrincipalConstraint::Eq(None) | TemplatePrincipalConstraint::In(_) => {
            Types::Unknown
        }
    }
}

fn template_resource_types(constraint: TemplateResourceConstraint) -> Types {
    match constraint {
        TemplateResourceConstraint::Any => Types::Any,
        TemplateResourceConstraint::Eq(Some(uid)) => Types::One(uid.type_name().clone()),
        TemplateResourceConstraint::Is(name) | TemplateResourceConstraint::IsIn(name, _) => {
            Types::One(name)
        }
        TemplateResourceConstraint::Eq(None) | TemplateResourceConstraint::In(_) => Types::Unknown,
    }
}

/// A policy's scope.
struct Head {
    principal: Types,
    action: ActionConstraint,
    resource: Types,
    /// Its `principal is T in E` and `resource is T in E` constraints, by variable.
    within: Vec<(&'static str, EntityTypeName, EntityUid)>,
}

/// What an action applies to, by type name.
struct AppliesTo {
    action: String,
    principals: BTreeSet<String>,
    resources: BTreeSet<String>,
}

impl Head {
    /// The actions of the schema the action scope admits, in name order.
    fn actions(&self, schema: &Schema) -> Vec<AppliesTo> {
        let groups = match &self.action {
            ActionConstraint::Any => None,
            ActionConstraint::Eq(uid) => Some(vec![uid.clone()]),
            ActionConstraint::In(uids) => Some(uids.clone()),
        };
        let hierarchy = schema.action_entities().ok();
        let mut actions: Vec<AppliesTo> = schema
            .actions()
            .filter(|action| match &groups {
                None => true,
                Some(groups) if matches!(self.action, ActionConstraint::Eq(_)) => {
                    groups.contains(action)
                }
                Some(groups) => {
                    groups.contains(action)
                        || hierarchy
                            .as_ref()
                            .and_then(|entities| entities.ancestors(action))
                            .is_some_and(|mut ancestors| ancestors.any(|a| groups.contains(a)))
                }
            })
            .map(|action| AppliesTo {
                action: action.to_string(),
                principals: names(schema.principals_for_action(action)),
                resources: names(schema.resources_for_action(action)),
            })
            .collect();
        actions.sort_by(|a, b| a.action.cmp(&b.action));
        actions
    }

    /// Which of the scope's principal and resource types its actions do not apply to, when
    /// the scope alone shows it.
    fn mismatch(&self, schema: &Schema) -> Option<String> {
        for (variable, name, uid) in &self.within {
            let group = uid.type_name();
            let member = name == group
                || schema
                    .ancestors(name)
                    .is_some_and(|mut ancestors| ancestors.any(|a| a == group));
            if !member {
                return Some(format!(
                    "its {variable} `is {name} in {uid}` matches no entity (the schema never \
                     puts `{name}` in `{group}`)"
                ));
            }
        }
        let actions = self.actions(schema);
        let principal = |a: &AppliesTo| self.principal.misses(&a.principals);
        let resource = |a: &AppliesTo| self.resource.misses(&a.resources);
        match actions.as_slice() {
            [] => Some("its action scope holds no action of the schema".to_string()),
            [only] => {
                if only.principals.is_empty() || only.resources.is_empty() {
                    return Some(format!(
                        "`{}` applies to no principal and resource (it has no `appliesTo`)",
                        only.action
                    ));
                }
                let mut misses = Vec::new();
                if principal(only) == Some(true) {
                    misses.push(format!(
                        "principal type {} (it applies to {})",
                        self.principal.named(),
                        listed(&only.principals)
                    ));
                }
                if resource(only) == Some(true) {
                    misses.push(format!(
                        "resource type {} (it applies to {})",
                        self.resource.named(),
                        listed(&only.resources)
                    ));
                }
                match misses.as_slice() {
                    [] => None,
                    [one] => Some(format!("`{}` does not apply to {one}", only.action)),
                    [p, r, ..] => Some(format!(
                        "`{}` does not apply to {p}, nor to {r}",
                        only.action
                    )),
                }
            }
            many => {
                let what = match self.action {
                    ActionConstraint::Any => "no action of the schema".to_string(),
                    _ => format!("none of its {} actions", many.len()),
                };
                if many.iter().all(|a| resource(a) == Some(true)) {
                    Some(format!(
                        "{what} applies to resource type {}",
                        self.resource.named()
                    ))
                } else if many.iter().all(|a| principal(a) == Some(true)) {
                    Some(format!(
                        "{what} applies to principal type {}",
                        self.principal.named()
                    ))
                } else if many
                    .iter()
                    .all(|a| principal(a) == Some(true) || resource(a) == Some(true))
                {
                    Some(format!(
                        "{what} applies to principal type {} with resource type {}",
                        self.principal.named(),
                        self.resource.named()
                    ))
                } else {
                    None
                }
            }
        }
    }
}

impl Types {
    /// The type in backticks, for a message (only a scope that names one type misses).
    fn named(&self) -> String {
        match self {
            Types::One(name) => format!("`{name}`"),
            Types::Any | Types::Unknown => "any".to_string(),
        }
    }
}

fn names<'a>(types: Option<impl Iterator<Item = &'a EntityTypeName>>) -> BTreeSet<String> {
    types
        .into_iter()
        .flatten()
        .map(ToString::to_string)
        .collect()
}

fn listed(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A policy's `when`/`unless` clauses, from its JSON form.
enum Conditions {
    None,
    /// The policy's JSON, which has some.
    Some(serde_json::Value),
    Unknown,
}

impl Conditions {
    fn of(json: Option<serde_json::Value>) -> Self {
        match json {
            Some(json) => match json.get("conditions").and_then(|c| c.as_array()) {
                Some(conditions) if conditions.is_empty() => Conditions::None,
                Some(_) => Conditions::Some(json),
                None => Conditions::Unknown,
            },
            None => Conditions::Unknown,
        }
    }
}

/// Whether the policy of `json` without its conditions could apply to some request: then
/// its conditions are what make it impossible. `None` when that policy cannot be made.
fn scope_alone_is_possible(
    schema: &Schema,
    mut json: serde_json::Value,
    template: bool,
) -> Option<bool> {
    json["conditions"] = serde_json::Value::Array(Vec::new());
    let id = PolicyId::new("scope");
    let mut set = PolicySet::new();
    let added = if template {
        Template::from_json(Some(id), json)
            .ok()
            .is_some_and(|t| set.add_template(t).is_ok())
    } else {
        Policy::from_json(Some(id), json)
            .ok()
            .is_some_and(|p| set.add(p).is_ok())
    };
    if !added {
        return None;
    }
    let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
    Some(
        result.validation_errors().next().is_none()
            && !result.validation_warnings().any(|w| {
                matches!(
                    w,
                    ValidationWarning::ImpossiblePolicy(_)
                        | ValidationWarning::InvalidActionApplication(_)
                )
            }),
    )
}
