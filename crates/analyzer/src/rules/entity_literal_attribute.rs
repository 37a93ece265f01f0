use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
use cedar_policy_core::ast::{
    ActionConstraint, BinaryOp, Effect, EntityReference, EntityUID, Expr, ExprKind, Literal,
    PrincipalOrResourceConstraint,
};
use serde_json::json;

use crate::guarded_reads::{unguarded, Reads};
use crate::{Category, Finding, Level, PolicyUnit, Rule, Source};

pub const RULE: Rule = Rule {
    id: "entity-literal-attribute",
    category: Category::Security,
    default_level: Level::Error,
    summary: "an attribute (or tag) of an entity literal, `Group::\"Marketing\".manager`, read with no `has` guard: a request whose entities lack that entity makes the policy error",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports a read of an attribute of an entity literal — `Group::"Marketing".manager`,
`Group::"Marketing"["manager"]` — or of one of its tags (`Group::"Marketing".getTag("t")`)
that no `has` (`hasTag`) test on the same literal guards: a guard is `Group::"Marketing" has
manager` on the left of an enclosing `&&`, in the condition of an enclosing `if`, or negated on
the left of an `||`. One finding per policy, literal and attribute, at its first unguarded
read. `has` and `in` on an entity literal never error (an entity that is not in the request's
entities has no attribute and no ancestor), so they are never reported.

The rule reports with and without a schema: a schema says which attributes an entity of that
type has, not that the request carries the entity. The level is `error` for a forbid and one
level lower, `warn` by default, for a permit. Configuring the rule's level sets the forbid's;
the permit's stays one below it.

A forbid is reported whether or not a permit of the set allows such a request today: it fails
open for every permit that does, including those added later. For a forbid, the finding
carries a counterexample (`"counterexample"` in `--format json`, a
Cedar CLI `run-tests` entry) when one can be built from the forbid's scope: the request with no
entities, replayed through cedar-policy's Authorizer against the forbid and a permit that
allows every request. The entry records that decision: `allow`, the forbid not among the
reasons, one error. When the policy's scope names no entity to build it from (with a schema),
or the replay errors elsewhere first (an unguarded `context` key, say), the finding has no
counterexample.

## Why is this bad?
Authorization services are usually given the principal, the resource and their ancestors, not
every entity a policy names. Reading an attribute of an entity the request does not carry is a
runtime error ("entity does not exist"), and Cedar skips a policy whose condition errors. A
forbid that reads one fails open: a request without that entity is not forbidden, and a broad
permit then allows it. The Cedar CLI shows DENY with the entity in the entities file and ALLOW
without it. A permit that reads one never grants such a request. The deep rule
`forbid-may-error` does not see this: its encoding assumes every entity a policy names exists.

## Example
```cedar
forbid (principal, action, resource)
when { Group::"Marketing".manager == principal && resource.confidential };
```

Use instead (a request without `Group::"Marketing"` is forbidden too), or test membership,
which needs no attribute (`principal in Group::"MarketingManagers"`):
```cedar
forbid (principal, action, resource)
when {
  (!(Group::"Marketing" has manager) || Group::"Marketing".manager == principal) &&
  resource.confidential
};
```
"#,
};

/// What is read from an entity literal: an attribute, or a tag given as a string literal.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Read {
    Attribute(EntityUID, String),
    Tag(EntityUID, String),
}

impl Read {
    fn entity(&self) -> &EntityUID {
        match self {
            Read::Attribute(uid, _) | Read::Tag(uid, _) => uid,
        }
    }

    fn text(&self) -> String {
        match self {
            Read::Attribute(uid, attr) if identifier(attr) => format!("{uid}.{attr}"),
            Read::Attribute(uid, attr) => format!("{uid}[{attr:?}]"),
            Read::Tag(uid, tag) => format!("{uid}.getTag({tag:?})"),
        }
    }

    fn guard(&self) -> String {
        match self {
            Read::Attribute(uid, attr) if identifier(attr) => format!("{uid} has {attr}"),
            Read::Attribute(uid, attr) => format!("{uid} has {attr:?}"),
            Read::Tag(uid, tag) => format!("{uid}.hasTag({tag:?})"),
        }
    }
}

/// Whether `name` can follow a `.` in Cedar (else it is written `["name"]`).
fn identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    let Some(conditions) = unit.template.non_scope_constraints() else {
        return;
    };
    let reads = unguarded(&LiteralReads, conditions, unit.span);
    let (kind, consequence) = match unit.effect() {
        Effect::Forbid => ("forbid", "Cedar skips it (fails open)"),
        Effect::Permit => ("permit", "Cedar skips it (it never grants)"),
    };
    for (read, span) in reads {
        let entity = read.entity();
        let mut finding = unit
            .finding(
                &RULE,
                span,
                format!(
                    "`{}` reads an attribute of an entity literal: a request whose entities \
                     do not include `{entity}` makes this {kind} error, and {consequence}",
                    read.text()
                ),
            )
            .with_help(format!(
                "{}; or pass `{entity}` in every request's entities",
                unit.guarded_clause(span, &read.guard())
            ));
        match unit.effect() {
            Effect::Permit => {
                // One level below the rule's level (see `settle`).
                finding.level = Level::Warn;
            }
            Effect::Forbid => {
                if let Some(counterexample) = counterexample(unit, entity) {
                    finding.message.push_str(&format!(
                        "; e.g. {}: with a permit that allows every request, Cedar allows it",
                        request_words(&counterexample)
                    ));
                    finding.counterexample = Some(counterexample);
                    finding.help = finding.help.map(|help| {
                        format!(
                            "{help}; the counterexample in the JSON output is a `run-tests` \
                             entry: paste it into a test file"
                        )
                    });
                }
            }
        }
        out.push(finding);
    }
}

/// The entity literal `expr` is, if it is one.
fn literal(expr: &Expr) -> Option<&EntityUID> {
    match expr.expr_kind() {
        ExprKind::Lit(Literal::EntityUID(uid)) => Some(uid),
        _ => None,
    }
}

/// The read `expr` makes of an entity literal, if it makes one.
fn read(expr: &Expr) -> Option<Read> {
    match expr.expr_kind() {
        ExprKind::GetAttr { expr, attr } => {
            Some(Read::Attribute(literal(expr)?.clone(), attr.to_string()))
        }
        ExprKind::BinaryApp {
            op: BinaryOp::GetTag,
            arg1,
            arg2,
        } => Some(Read::Tag(literal(arg1)?.clone(), string(arg2)?)),
        _ => None,
    }
}

fn string(expr: &Expr) -> Option<String> {
    match expr.expr_kind() {
        ExprKind::Lit(Literal::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// Attribute and tag reads of entity literals, guarded by `has`/`hasTag`.
struct LiteralReads;

impl Reads for LiteralReads {
    type Read = Read;
    const READS_INSIDE_READS: bool = true;

    fn read(&self, expr: &Expr) -> Option<Read> {
        read(expr)
    }

    fn guards(&self, test: &Expr, out: &mut Vec<Read>) {
        match test.expr_kind() {
            ExprKind::HasAttr { expr, attr } => {
                if let Some(uid) = literal(expr) {
                    out.push(Read::Attribute(uid.clone(), attr.to_string()));
                }
            }
            ExprKind::ExtHasAttr { expr, attrs } => {
                if let (Some(uid), Some(first)) = (literal(expr), attrs.iter().next()) {
                    out.push(Read::Attribute(uid.clone(), first.to_string()));
                }
            }
            ExprKind::BinaryApp {
                op: BinaryOp::HasTag,
                arg1,
                arg2,
            } => {
                if let (Some(uid), Some(tag)) = (literal(arg1), string(arg2)) {
                    out.push(Read::Tag(uid.clone(), tag));
                }
            }
            _ => {}
        }
    }

    fn guarded(&self, read: &Read, guards: &[Read]) -> bool {
        guards.contains(read)
    }
}

/// A `run-tests` entry for a request the forbid's scope matches, with no entities, on which
/// the forbid errors because `entity` is absent — replayed through cedar-policy's Authorizer
/// against the forbid and a permit of every request, whose decision (allow) it records. `None`
/// when the scope gives no request to build (a placeholder type with a schema, a template) or
/// the replay does not show that error.
fn counterexample(unit: &PolicyUnit<'_>, entity: &EntityUID) -> Option<serde_json::Value> {
    if unit.is_template {
        return None;
    }
    let template = unit.template;
    let mut placeholder = false;
    let mut pick = |constraint: &PrincipalOrResourceConstraint, name: &str| -> Option<EntityUid> {
        let uid = match constraint {
            PrincipalOrResourceConstraint::Eq(EntityReference::EUID(uid))
            | PrincipalOrResourceConstraint::In(EntityReference::EUID(uid)) => uid.to_string(),
            PrincipalOrResourceConstraint::Is(ty) => format!("{ty}::\"{name}\""),
            PrincipalOrResourceConstraint::IsIn(ty, EntityReference::EUID(uid))
                if uid.entity_type() == ty.as_ref() =>
            {
                uid.to_string()
            }
            PrincipalOrResourceConstraint::Any => {
                placeholder = true;
                format!("{}::\"{name}\"", capitalized(name))
            }
            _ => return None,
        };
        uid.parse().ok()
    };
    let principal = pick(template.principal_constraint().as_inner(), "principal")?;
    let resource = pick(template.resource_constraint().as_inner(), "resource")?;
    let action: EntityUid = match template.action_constraint() {
        ActionConstraint::Eq(uid) => uid.to_string().parse().ok()?,
        ActionConstraint::In(uids) => uids.first()?.to_string().parse().ok()?,
        ActionConstraint::Any => {
            placeholder = true;
            "Action::\"action\"".parse().ok()?
        }
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    if placeholder && unit.has_schema {
        return None;
    }
    // The policy as loaded, not re-read from its text: a JSON policy's text is not Cedar.
    let forbid = cedar_policy_core::ast::StaticPolicy::try_from(template.clone()).ok()?;
    let forbid = cedar_policy::Policy::from(forbid).new_id(cedar_policy::PolicyId::new(unit.id));
    let permit = cedar_policy::Policy::parse(
        Some(cedar_policy::PolicyId::new("permit-every-request")),
        "permit (principal, action, resource);",
    )
    .ok()?;
    let set = PolicySet::from_policies([forbid, permit]).ok()?;
    let request = Request::new(
        principal.clone(),
        action.clone(),
        resource.clone(),
        Context::empty(),
        None,
    )
    .ok()?;
    let response = Authorizer::new().is_authorized(&request, &set, &Entities::empty());
    let errors: Vec<String> = response
        .diagnostics()
        .errors()
        .map(|e| e.to_string())
        .collect();
    let absent = format!("`{entity}` does not exist");
    let errs_on_entity = errors.len() == 1 && errors[0].contains(&absent);
    if response.decision() != Decision::Allow || !errs_on_entity {
        return None;
    }
    let reasons: Vec<String> = response
        .diagnostics()
        .reason()
        .map(|id| id.to_string())
        .collect();
    Some(json!({
        "name": format!("entity-literal-attribute: {} without {entity}", unit.id),
        "request": {
            "principal": principal.to_string(),
            "action": action.to_string(),
            "resource": resource.to_string(),
            "context": {},
        },
        "entities": [],
        "decision": "allow",
        "reason": reasons,
        "num_errors": errors.len(),
    }))
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "the request (P, A, R) with no entities".
fn request_words(counterexample: &serde_json::Value) -> String {
    let request = &counterexample["request"];
    let part = |key: &str| request[key].as_str().unwrap_or_default().to_string();
    format!(
        "the request ({}, {}, {}) with no entities",
        part("principal"),
        part("action"),
        part("resource")
    )
}
