//! Hover: on an entity type or action, its declaration in the set's schema; on an attribute
//! access (`principal.department`, `resource.owner.level`, `context.mfa`), what the schema
//! declares about the attribute: its type, whether it is required, and on which entity type
//! or action context — for each type the expression left of the dot may have. And a rule's
//! documentation, as `cedarcheck rules ID` prints it (the server shows it on a finding).

use std::collections::BTreeSet;

use cedar_policy_core::ast::{EntityType, ExprKind, Template, Var};
use cedar_policy_core::validator::typecheck::{PolicyCheck, Typechecker};
use cedar_policy_core::validator::types::{AttributeType, EntityKind, EntityLUB, Type};
use cedar_policy_core::validator::{ValidationMode, ValidatorSchema};

use super::names::{self, Name};
use crate::lexer;
use crate::policy_syntax::{excessive_nesting, Syntax};
use crate::{Rule, Span};

/// The set's schema, as the editor has it.
#[derive(Clone, Copy, Debug)]
pub struct SchemaText<'a> {
    /// Cedar or JSON syntax.
    pub text: &'a str,
    /// Its file name, as a hover names it.
    pub file_name: &'a str,
}

/// What hovering a position shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// Markdown: the sections (attribute, then declaration) separated by rules (`---`).
    pub markdown: String,
    /// The hovered attribute's name in the text, when an attribute is hovered.
    pub span: Option<Span>,
}

/// The separator between the sections of a hover.
pub const SECTION_SEPARATOR: &str = "\n\n---\n\n";

/// What the schema says about the name at byte `offset` of `text`: the attribute accessed
/// there (only when `policies` says `text` is a policy file), then the declaration of the
/// entity type or action named there. `None` when the schema says nothing about it.
pub fn hover(text: &str, offset: usize, policies: bool, schema: SchemaText<'_>) -> Option<Hover> {
    // A comment names nothing, whatever words it holds.
    if crate::lexer::in_comment(text, offset) {
        return None;
    }
    let attribute = policies
        .then(|| attribute_at(text, offset, schema.text))
        .flatten();
    let mut sections: Vec<String> = Vec::new();
    let span = attribute.map(|found| {
        sections.push(found.markdown);
        found.span
    });
    sections.extend(declaration_hover(text, offset, schema));
    (!sections.is_empty()).then(|| Hover {
        markdown: sections.join(SECTION_SEPARATOR),
        span,
    })
}

/// A rule as `cedarcheck rules ID` shows it.
pub fn rule_markdown(rule: &Rule) -> String {
    format!(
        "**{}** ({}, default {})\n\n{}\n\n{}",
        rule.id,
        rule.category.as_str(),
        rule.default_level,
        rule.summary,
        rule.doc.trim_end()
    )
}

/// The declaration of the entity type or action named at `offset`, in a code block.
fn declaration_hover(text: &str, offset: usize, schema: SchemaText<'_>) -> Option<String> {
    let name = names::name_at(text, offset)?;
    let (_, whole) = names::declaration(schema.text, &name)?;
    let what = match &name {
        Name::EntityType(path) => format!("entity type `{path}`"),
        Name::Action(id) => format!("action `\"{id}\"`"),
    };
    let language = if schema.text.trim_start().starts_with('{') {
        "json"
    } else {
        "cedarschema"
    };
    let declared = &schema.text[whole.start..whole.end];
    Some(format!(
        "{what}, declared in `{}`:\n\n```{language}\n{declared}\n```",
        schema.file_name
    ))
}

/// What hovering an attribute shows, and the attribute's name in the policy text.
#[derive(Debug)]
pub struct AttributeHover {
    pub span: Span,
    pub markdown: String,
}

/// Where an attribute is declared, as the hover names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    EntityType(String),
    /// The context of an action (its uid).
    Context(String),
    /// A record that is not a context: written as in the policy.
    Record(String),
}

/// The attribute access `text` has at byte `offset`, described by `schema` (Cedar or JSON
/// syntax). `None` off an attribute, for an attribute the schema does not declare there, and
/// when the policy or the schema does not parse.
///
/// The expression left of the dot is resolved from the variable it starts with: its types are
/// those of the request environments the policy's scope allows (`principal is T`,
/// `principal == T::"x"`, `principal in …` against the actions' `appliesTo`), then each
/// attribute before the hovered one is looked up in the schema. The policy's conditions need
/// not type-check, so that a hover works in a policy being edited.
pub fn attribute_at(text: &str, offset: usize, schema: &str) -> Option<AttributeHover> {
    // Text nested deeper than `check` parses is not handed to Cedar's recursive parsers.
    if excessive_nesting(text, Syntax::Policies).is_some() {
        return None;
    }
    let schema = if schema.trim_start().starts_with('{') {
        cedar_policy::Schema::from_json_str(schema).ok()?
    } else if excessive_nesting(schema, Syntax::Schema).is_some() {
        return None;
    } else {
        cedar_policy::Schema::from_cedarschema_str(schema).ok()?.0
    };
    let schema: &ValidatorSchema = schema.as_ref();
    // The whole file, or when another policy of it does not parse (it is being edited), the
    // statement the position is in.
    let (base, parsed) = match cedar_policy_core::parser::parse_policyset(text) {
        Ok(parsed) => (0, parsed),
        Err(_) => {
            let (start, end) = statement_around(text, offset);
            (
                start,
                cedar_policy_core::parser::parse_policyset(&text[start..end]).ok()?,
            )
        }
    };
    let local = offset.checked_sub(base)?;
    let source = &text[base..];
    let template = parsed.all_templates().find(|t| {
        t.loc()
            .is_some_and(|l| l.start() <= local && local <= l.end())
    })?;
    let access = access_at(template, source, local)?;
    let mut places: BTreeSet<(String, bool, Place)> = BTreeSet::new();
    for env in scope_environments(schema, template) {
        if let Some(place) = declared_in(schema, &env, &access) {
            places.insert(place);
        }
    }
    let span = Span::new(base + access.span.start, base + access.span.end);
    let name = access.path.last()?;
    let mut markdown = format!("attribute `{name}`");
    match places.len() {
        0 => return None,
        1 => {
            let (ty, required, place) = places.first()?;
            markdown.push_str(": ");
            markdown.push_str(&describe(ty, *required, place));
        }
        n => {
            markdown.push_str(&format!(" (`{}` may be of {n} types):\n", access.object));
            for (ty, required, place) in &places {
                markdown.push_str(&format!("\n- {}", describe(ty, *required, place)));
            }
        }
    }
    Some(AttributeHover { span, markdown })
}

fn describe(ty: &str, required: bool, place: &Place) -> String {
    let required = if required { "required" } else { "optional" };
    let place = match place {
        Place::EntityType(name) => format!("on entity type `{name}`"),
        Place::Context(action) => format!("in the context of action `{action}`"),
        Place::Record(written) => format!("in the record `{written}`"),
    };
    format!("`{ty}`, {required}, declared {place}")
}

/// What an attribute access starts from.
enum Start {
    Principal,
    Resource,
    Context,
    Entity(cedar_policy_core::ast::EntityType),
}

/// An attribute access under the position: `start.a.b.c` with the position on `c`.
struct Access {
    start: Start,
    /// The attributes from the start to the hovered one (the last).
    path: Vec<String>,
    /// The hovered attribute's name in the text.
    span: Span,
    /// The expression left of the hovered attribute, as written.
    object: String,
}

/// The attribute access of `template` whose attribute name holds `offset` (in `text`, which
/// the template's locations point into).
///
/// Cedar gives every access of a chain `principal.a.b` the location of the whole chain, so an
/// access's attribute is found by its place in the chain: the `n`th accessor written after
/// the chain's start, for the `n`th attribute from it.
fn access_at(template: &Template, text: &str, offset: usize) -> Option<Access> {
    let condition = template.condition();
    for node in condition.subexpressions() {
        let Some(loc) = node.source_loc() else {
            continue;
        };
        if !(loc.start() <= offset && offset <= loc.end()) {
            continue;
        }
        // Down the chain to its start, collecting the attributes.
        let mut path: Vec<String> = Vec::new();
        let mut start = node;
        while let ExprKind::GetAttr { expr, attr } | ExprKind::HasAttr { expr, attr } =
            start.expr_kind()
        {
            path.push(attr.to_string());
            start = expr;
        }
        if path.is_empty() {
            continue;
        }
        path.reverse();
        let Some(start_loc) = start.source_loc() else {
            continue;
        };
        let kind = match start.expr_kind() {
            ExprKind::Var(Var::Principal) => Start::Principal,
            ExprKind::Var(Var::Resource) => Start::Resource,
            ExprKind::Var(Var::Context) => Start::Context,
            ExprKind::Lit(cedar_policy_core::ast::Literal::EntityUID(uid)) => {
                Start::Entity(uid.entity_type().clone())
            }
            _ => continue,
        };
        let written = accessors(text, start_loc.end(), loc.end());
        // The chain as written must be the chain parsed (a method call may follow it).
        let Some(written) = written.get(..path.len()) else {
            continue;
        };
        if written
            .iter()
            .zip(&path)
            .any(|(accessor, attr)| accessor.name.as_deref() != Some(attr.as_str()))
        {
            continue;
        }
        let hovered = &written[path.len() - 1];
        if !(hovered.name_span.start <= offset && offset <= hovered.name_span.end) {
            continue;
        }
        let object_end = match path.len() {
            1 => start_loc.end(),
            n => written[n - 2].end,
        };
        return Some(Access {
            start: kind,
            span: hovered.name_span,
            object: text
                .get(start_loc.start()..object_end)
                .unwrap_or("")
                .to_string(),
            path,
        });
    }
    None
}

/// An accessor written after an expression: `.name`, `["name"]`, `has name`, `has "name"`,
/// or a method call `.name(…)`.
struct Accessor {
    /// The attribute's name (inside the quotes when quoted).
    name_span: Span,
    /// Where the accessor ends.
    end: usize,
    /// `None` for a method call.
    name: Option<String>,
}

/// The accessors written in `text[from..to]`, in order, up to the first thing that is none.
fn accessors(text: &str, from: usize, to: usize) -> Vec<Accessor> {
    let Some(written) = text.get(..to) else {
        return Vec::new();
    };
    let bytes = written.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let skip_space = |at: usize| lexer::skip_trivia(bytes, at);
    let ident = |at: usize| {
        let end = (at..bytes.len())
            .find(|&i| !is_ident(bytes[i]))
            .unwrap_or(bytes.len());
        (end > at && !bytes[at].is_ascii_digit()).then_some(end)
    };
    // A string literal at `at`: the span inside its quotes and its value.
    let string = |at: usize| -> Option<(Span, String)> {
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let mut value = String::new();
        let mut chars = written[at + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((Span::new(at + 1, at + 1 + i), value)),
                '\\' => value.push(chars.next()?.1),
                c => value.push(c),
            }
        }
        None
    };
    let mut found = Vec::new();
    let mut at = from;
    loop {
        at = skip_space(at);
        if at >= bytes.len() {
            break;
        }
        if bytes[at] == b'.' {
            let name_start = skip_space(at + 1);
            let Some(name_end) = ident(name_start) else {
                break;
            };
            let name_span = Span::new(name_start, name_end);
            let after = skip_space(name_end);
            if bytes.get(after) == Some(&b'(') {
                // A method call: its arguments are no accessors.
                let mut depth = 0usize;
                let mut i = after;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => i = string(i).map_or(bytes.len(), |(span, _)| span.end),
                        b'(' => depth += 1,
                        b')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                at = (i + 1).min(bytes.len());
                found.push(Accessor {
                    name_span,
                    end: at,
                    name: None,
                });
            } else {
                found.push(Accessor {
                    name_span,
                    end: name_end,
                    name: Some(written[name_start..name_end].to_string()),
                });
                at = name_end;
            }
        } else if bytes[at] == b'[' {
            let Some((name_span, value)) = string(skip_space(at + 1)) else {
                break;
            };
            let close = skip_space(name_span.end + 1);
            if bytes.get(close) != Some(&b']') {
                break;
            }
            at = close + 1;
            found.push(Accessor {
                name_span,
                end: at,
                name: Some(value),
            });
        } else if written[at..].starts_with("has")
            && !bytes.get(at + 3).is_some_and(|&b| is_ident(b))
        {
            let name_start = skip_space(at + 3);
            if let Some((name_span, value)) = string(name_start) {
                at = name_span.end + 1;
                found.push(Accessor {
                    name_span,
                    end: at,
                    name: Some(value),
                });
            } else if let Some(name_end) = ident(name_start) {
                at = name_end;
                found.push(Accessor {
                    name_span: Span::new(name_start, name_end),
                    end: at,
                    name: Some(written[name_start..name_end].to_string()),
                });
            } else {
                break;
            }
        } else {
            break;
        }
    }
    found
}

/// A request environment the scope allows: the types of its principal, resource and
/// context, and its action.
struct Environment {
    principal: Option<EntityType>,
    resource: Option<EntityType>,
    action: Option<String>,
    context: Type,
}

/// The request environments the scope of `template` allows, its conditions aside.
fn scope_environments(schema: &ValidatorSchema, template: &Template) -> Vec<Environment> {
    let scope = Template::new(
        template.id().clone(),
        None,
        cedar_policy_core::ast::Annotations::new(),
        template.effect(),
        template.principal_constraint().clone(),
        template.action_constraint().clone(),
        template.resource_constraint().clone(),
        None,
    );
    let typechecker = Typechecker::new(schema, ValidationMode::Strict);
    typechecker
        .typecheck_by_request_env(&scope)
        .filter(|(_, check)| matches!(check, PolicyCheck::Success(_)))
        .map(|(env, _)| Environment {
            principal: env.principal_entity_type().cloned(),
            resource: env.resource_entity_type().cloned(),
            action: env.action_entity_uid().map(ToString::to_string),
            context: env.context_type(),
        })
        .collect()
}

/// What the schema declares for the access in one environment: the attribute's type, whether
/// it is required, and where it is declared.
fn declared_in(
    schema: &ValidatorSchema,
    env: &Environment,
    access: &Access,
) -> Option<(String, bool, Place)> {
    let mut object = match &access.start {
        Start::Principal => Type::Entity(EntityKind::Entity(EntityLUB::single_entity(
            env.principal.clone()?,
        ))),
        Start::Resource => Type::Entity(EntityKind::Entity(EntityLUB::single_entity(
            env.resource.clone()?,
        ))),
        Start::Context => env.context.clone(),
        Start::Entity(ty) => Type::Entity(EntityKind::Entity(EntityLUB::single_entity(ty.clone()))),
    };
    let (last, before) = access.path.split_last()?;
    for attr in before {
        object = attribute(schema, &object, attr)?.attr_type.as_ref().clone();
    }
    let declared = attribute(schema, &object, last)?;
    let place = match &object {
        Type::Entity(EntityKind::Entity(lub)) => {
            Place::EntityType(lub.get_single_entity()?.to_string())
        }
        _ if before.is_empty() && matches!(access.start, Start::Context) => {
            Place::Context(env.action.clone()?)
        }
        _ => Place::Record(access.object.clone()),
    };
    Some((type_name(&declared.attr_type), declared.is_required, place))
}

/// The attribute `attr` of a value of type `object` (an entity or a record).
fn attribute(schema: &ValidatorSchema, object: &Type, attr: &str) -> Option<AttributeType> {
    match object {
        Type::Entity(EntityKind::Entity(lub)) => schema
            .get_entity_type(lub.get_single_entity()?)?
            .attr(attr)
            .cloned(),
        Type::Record { attrs, .. } => attrs.get_attr(attr).cloned(),
        _ => None,
    }
}

/// A type as a schema writes it.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Never => "Never".into(),
        Type::Bool(_) => "Bool".into(),
        Type::Long => "Long".into(),
        Type::String => "String".into(),
        Type::Set { element_type } => match element_type {
            Some(element) => format!("Set<{}>", type_name(element)),
            None => "Set".into(),
        },
        Type::Entity(EntityKind::Entity(lub)) => match lub.get_single_entity() {
            Some(name) => name.to_string(),
            None => ty.to_string(),
        },
        Type::Entity(EntityKind::AnyEntity) => "entity".into(),
        Type::Record { attrs, .. } => {
            let fields: Vec<String> = attrs
                .iter()
                .map(|(name, attr)| {
                    let optional = if attr.is_required { "" } else { "?" };
                    format!("{name}{optional}: {}", type_name(&attr.attr_type))
                })
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Type::ExtensionType { name } => name.to_string(),
    }
}

/// The statement (policy or template) around `offset`: from after the previous `;` to its
/// own, outside strings and comments.
fn statement_around(text: &str, offset: usize) -> (usize, usize) {
    let mut start = 0;
    for (at, c) in lexer::code_chars(text, 0) {
        if c == ';' {
            if offset <= at {
                return (start, at + 1);
            }
            start = at + 1;
        }
    }
    (start, text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"namespace Ops {
  type Level = Long;
  entity Team;
  entity Human in [Team] { department: String, level?: Level, address: { city: String, zip?: String } };
  entity Agent { department: Long };
  entity Log { owner: Human };
  action read appliesTo { principal: [Human, Agent], resource: [Log], context: { mfa: Bool, ip?: ipaddr } };
  action write appliesTo { principal: [Human], resource: [Log], context: { mfa: Bool } };
}
"#;

    /// The hover on the `nth` occurrence of `needle` (its second character) in `policy`.
    fn hover_on(policy: &str, needle: &str, nth: usize) -> Option<(String, String)> {
        let at = policy.match_indices(needle).nth(nth).unwrap().0 + 1;
        let found = attribute_at(policy, at, SCHEMA)?;
        Some((
            policy[found.span.start..found.span.end].to_string(),
            found.markdown,
        ))
    }

    #[test]
    fn an_attribute_shows_its_declaration_for_the_type_the_scope_gives() {
        let policy = "permit(principal is Ops::Human, action == Ops::Action::\"read\", resource)\nwhen { principal.department == \"ops\" && resource.owner.level > 3 && context.mfa };";
        assert_eq!(
            hover_on(policy, "department", 0).unwrap(),
            (
                "department".into(),
                "attribute `department`: `String`, required, declared on entity type `Ops::Human`"
                    .into()
            )
        );
        // A path: `owner` on the resource's type, `level` on the owner's; common types resolved.
        assert_eq!(
            hover_on(policy, "owner", 0).unwrap().1,
            "attribute `owner`: `Ops::Human`, required, declared on entity type `Ops::Log`"
        );
        assert_eq!(
            hover_on(policy, "level", 0).unwrap().1,
            "attribute `level`: `Long`, optional, declared on entity type `Ops::Human`"
        );
        assert_eq!(
            hover_on(policy, "mfa", 0).unwrap().1,
            "attribute `mfa`: `Bool`, required, declared in the context of action `Ops::Action::\"read\"`"
        );
        // Not on an attribute: on the variable, or in the scope.
        assert!(hover_on(policy, "principal.department", 0).is_none());
        assert!(hover_on(policy, "Human", 0).is_none());
    }

    #[test]
    fn equality_and_membership_in_the_scope_narrow_the_type() {
        for scope in [
            "principal == Ops::Human::\"alice\"",
            "principal in Ops::Team::\"ops\"",
        ] {
            let policy = format!("permit({scope}, action == Ops::Action::\"read\", resource)\nwhen {{ principal has department }};");
            assert_eq!(
                hover_on(&policy, "department", 0).unwrap().1,
                "attribute `department`: `String`, required, declared on entity type `Ops::Human`",
                "{scope}"
            );
        }
    }

    #[test]
    fn an_attribute_of_several_possible_types_lists_each() {
        let policy = "permit(principal, action == Ops::Action::\"read\", resource)\nwhen { principal has department };";
        assert_eq!(
            hover_on(policy, "department", 0).unwrap().1,
            "attribute `department` (`principal` may be of 2 types):\n\n\
             - `Long`, required, declared on entity type `Ops::Agent`\n\
             - `String`, required, declared on entity type `Ops::Human`"
        );
        // The same declaration in the contexts of two actions.
        let policy = "permit(principal, action in [Ops::Action::\"read\", Ops::Action::\"write\"], resource)\nwhen { context.mfa };";
        assert_eq!(
            hover_on(policy, "mfa", 0).unwrap().1,
            "attribute `mfa` (`context` may be of 2 types):\n\n\
             - `Bool`, required, declared in the context of action `Ops::Action::\"read\"`\n\
             - `Bool`, required, declared in the context of action `Ops::Action::\"write\"`"
        );
    }

    #[test]
    fn records_and_guarded_optional_attributes() {
        let policy = "permit(principal is Ops::Human, action, resource)\nwhen { principal.address.city == \"x\" && principal.address has zip && principal has level && principal.level > 1 };";
        assert_eq!(
            hover_on(policy, "city", 0).unwrap().1,
            "attribute `city`: `String`, required, declared in the record `principal.address`"
        );
        assert_eq!(
            hover_on(policy, "address", 0).unwrap().1,
            "attribute `address`: `{ city: String, zip?: String }`, required, declared on entity type `Ops::Human`"
        );
        assert_eq!(
            hover_on(policy, "zip", 0).unwrap().1,
            "attribute `zip`: `String`, optional, declared in the record `principal.address`"
        );
        let (span, text) = hover_on(policy, "level", 1).unwrap();
        assert_eq!(span, "level");
        assert!(text.contains("`Long`, optional"), "{text}");
    }

    #[test]
    fn every_way_of_writing_an_access() {
        let policy = "permit(principal, action == Ops::Action::\"write\", resource)\nwhen { principal[\"department\"] == \"a\" && Ops::Log::\"l\".owner has \"level\" && principal . address // why\n .city == \"b\" && principal.address.zip.contains(\"9\") };";
        let on = |needle: &str, nth: usize| hover_on(policy, needle, nth).unwrap();
        assert_eq!(on("department", 0).0, "department");
        assert!(on("department", 0)
            .1
            .contains("on entity type `Ops::Human`"));
        assert_eq!(
            on("level", 0).1,
            "attribute `level`: `Long`, optional, declared on entity type `Ops::Human`"
        );
        assert_eq!(
            on("city", 0).1,
            "attribute `city`: `String`, required, declared in the record `principal . address`"
        );
        assert!(on("zip", 0).1.contains("`String`, optional"));
        assert!(hover_on(policy, "contains", 0).is_none());
        // A JSON schema says the same.
        let json = r#"{"Ops": {"entityTypes": {"Human": {"shape": {"type": "Record", "attributes": {"department": {"type": "String", "required": false}}}}}, "actions": {"read": {"appliesTo": {"principalTypes": ["Human"], "resourceTypes": ["Human"]}}}}}"#;
        let policy = "permit(principal, action, resource) when { principal has department && principal.department == \"a\" };";
        let at = policy.rfind("department").unwrap() + 2;
        assert_eq!(
            attribute_at(policy, at, json).unwrap().markdown,
            "attribute `department`: `String`, optional, declared on entity type `Ops::Human`"
        );
    }

    #[test]
    fn unknown_attributes_broken_text_and_no_schema_say_nothing() {
        let policy = "permit(principal is Ops::Human, action, resource) when { principal.nope };";
        assert!(hover_on(policy, "nope", 0).is_none());
        // Another policy of the file does not parse (it is being typed): this one still hovers.
        let policy = "permit(principal is Ops::Human, action, resource) when { principal.department == \"a;b\" };\n// a comment; with a semicolon\nforbid(principal, action,";
        assert_eq!(hover_on(policy, "department", 0).unwrap().0, "department");
        assert!(hover_on(
            "forbid(principal, action, resource) when { principal.",
            "principal.",
            0
        )
        .is_none());
        assert!(attribute_at(
            "permit(principal, action, resource) when { principal.department };",
            60,
            "entity"
        )
        .is_none());
        // Positions anywhere, even past the end, are no error.
        for at in 0..=policy.len() + 2 {
            let _ = attribute_at(policy, at, SCHEMA);
        }
    }

    #[test]
    fn hover_gives_the_attribute_then_the_declaration_with_the_attribute_s_span() {
        let schema = SchemaText {
            text: SCHEMA,
            file_name: "ops.cedarschema",
        };
        let policy = "permit(principal == Ops::Human::\"a\", action, resource) when { principal.department == \"x\" };";
        let at = policy.find("department").unwrap() + 1;
        assert_eq!(
            hover(policy, at, true, schema),
            Some(Hover {
                markdown: "attribute `department`: `String`, required, declared on entity type `Ops::Human`".into(),
                span: Some(Span::new(72, 82)),
            })
        );
        assert_eq!(&policy[72..82], "department");
        // Attributes are read in policy files only.
        assert_eq!(hover(policy, at, false, schema), None);
        // On a name: its declaration, with no span.
        let at = policy.find("Human").unwrap();
        let declared = "entity type `Ops::Human`, declared in `ops.cedarschema`:\n\n```cedarschema\nentity Human in [Team] { department: String, level?: Level, address: { city: String, zip?: String } };\n```";
        let expected = Some(Hover {
            markdown: declared.into(),
            span: None,
        });
        assert_eq!(hover(policy, at, true, schema), expected);
        assert_eq!(hover(policy, at, false, schema), expected);
        // In a JSON schema.
        let json = r#"{"Ops": {"entityTypes": {"Human": {}}, "actions": {}}}"#;
        let schema = SchemaText {
            text: json,
            file_name: "schema.json",
        };
        assert_eq!(
            hover(policy, at, true, schema).unwrap().markdown,
            "entity type `Ops::Human`, declared in `schema.json`:\n\n```json\n\"Human\": {}\n```"
        );
        assert_eq!(hover(policy, 0, true, schema), None);
    }

    #[test]
    fn a_comment_ended_by_a_carriage_return_ends_before_the_next_accessor() {
        let policy = "permit(principal is Ops::Human, action, resource)\nwhen { principal.address // why\r.city == \"b\" };";
        assert!(policy.parse::<cedar_policy::PolicySet>().is_ok());
        let (span, text) = hover_on(policy, "city", 0).unwrap();
        assert_eq!(span, "city");
        assert_eq!(
            text,
            "attribute `city`: `String`, required, declared in the record `principal.address`"
        );
    }

    #[test]
    fn a_rule_reads_as_cedarcheck_rules_prints_it() {
        let rule = crate::rule("parse-error").unwrap();
        let markdown = rule_markdown(rule);
        assert!(
            markdown
                .starts_with("**parse-error** (correctness, default error)\n\nCedar syntax error"),
            "{markdown}"
        );
        assert!(markdown.ends_with(rule.doc.trim_end()));
    }

    #[test]
    fn text_nested_too_deep_to_check_is_not_parsed() {
        let depth = crate::policy_syntax::MAX_NESTING + 1;
        let policy = format!(
            "permit(principal is Ops::Human, action, resource) when {{ {}principal.department == \"a\"{} }};",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let at = policy.find("department").unwrap() + 1;
        assert!(attribute_at(&policy, at, SCHEMA).is_none());
        let schema = format!(
            "{SCHEMA}type Deep = {}Long{};",
            "Set<".repeat(depth),
            ">".repeat(depth)
        );
        let policy = "permit(principal is Ops::Human, action, resource) when { principal.department == \"a\" };";
        let at = policy.find("department").unwrap() + 1;
        assert!(attribute_at(policy, at, &schema).is_none());
        assert!(attribute_at(policy, at, SCHEMA).is_some());
    }
}
