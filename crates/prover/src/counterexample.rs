//! Counterexamples: the solver's model as a Cedar CLI `run-tests` request, and its replay
//! through cedar-policy's own Authorizer before anything is reported (SymCC has produced
//! spurious counterexamples before; a claim the Authorizer does not confirm is "unknown").
//! Replayed, a counterexample also shows which expression of a policy raises an error, and why.

use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    AuthorizationError, Authorizer, Context, Decision, Entities, EntityUid, EvaluationError,
    PolicyId, PolicySet, Request, Schema,
};
use cedar_policy_core::ast::{BinaryOp, Expr, ExprKind, Template, UnaryOp};
use cedar_policy_symcc::Env;
use cedarcheck_analyzer::Span;
use serde_json::{json, Value};

use crate::error::CounterexampleError;

/// The request and entities of a counterexample, as `run-tests` JSON:
/// `{"request": {"principal", "action", "resource", "context"}, "entities": [...]}`.
pub fn to_json(env: &Env) -> Result<Value, CounterexampleError> {
    let uid = |uid: Option<&EntityUid>| {
        uid.map(ToString::to_string)
            .ok_or(CounterexampleError::UnknownVariable)
    };
    let context = match env.request.context() {
        Some(context) => context
            .to_json_value()
            .map_err(|e| CounterexampleError::Context(Box::new(e)))?,
        None => json!({}),
    };
    let mut entities = env
        .entities
        .to_json_value()
        .map_err(|e| CounterexampleError::Entities(Box::new(e)))?;
    normalize_entities(&mut entities);
    Ok(json!({
        "request": {
            "principal": uid(env.request.principal())?,
            "action": uid(env.request.action())?,
            "resource": uid(env.request.resource())?,
            "context": context,
        },
        "entities": entities,
    }))
}

/// Entities (and each one's parents) in uid order: Cedar lists them in hash-map order, which
/// changes from process to process, and the cache, whose answers shard results carry
/// (README "Sharding across CI jobs"), is to be the same bytes for the same answers.
fn normalize_entities(entities: &mut Value) {
    let Some(list) = entities.as_array_mut() else {
        return;
    };
    for entity in list.iter_mut() {
        if let Some(parents) = entity.get_mut("parents").and_then(Value::as_array_mut) {
            parents.sort_by_key(Value::to_string);
        }
    }
    list.sort_by_key(|e| e["uid"].to_string());
}

/// A counterexample parsed back through the public API, validated against the schema.
pub struct Replay {
    pub request: Request,
    pub entities: Entities,
}

impl Replay {
    pub fn parse(cex: &Value, schema: &Schema) -> Result<Self, CounterexampleError> {
        let field = |name: &'static str| -> Result<EntityUid, CounterexampleError> {
            let text = cex["request"][name]
                .as_str()
                .ok_or(CounterexampleError::Missing(name))?;
            EntityUid::from_str(text).map_err(|e| CounterexampleError::Uid(Box::new(e)))
        };
        let (principal, action, resource) =
            (field("principal")?, field("action")?, field("resource")?);
        let context =
            Context::from_json_value(cex["request"]["context"].clone(), Some((schema, &action)))
                .map_err(|e| CounterexampleError::ContextJson(Box::new(e)))?;
        let request = Request::new(principal, action, resource, context, Some(schema))
            .map_err(|e| CounterexampleError::Request(Box::new(e)))?;
        let entities = Entities::from_json_value(cex["entities"].clone(), Some(schema))
            .map_err(|e| CounterexampleError::Entities(Box::new(e)))?;
        Ok(Self { request, entities })
    }

    /// The decision of `set` on this request, with the ids of the deciding policies and the
    /// ids of the policies that errored.
    pub fn decide(&self, set: &PolicySet) -> (Decision, Vec<String>, Vec<String>) {
        let response = Authorizer::new().is_authorized(&self.request, set, &self.entities);
        let mut reasons: Vec<String> = response
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        reasons.sort();
        let mut errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(
                |cedar_policy::AuthorizationError::PolicyEvaluationError(e)| {
                    e.policy_id().to_string()
                },
            )
            .collect();
        errors.sort();
        (response.decision(), reasons, errors)
    }

    /// The error policy `id` of `set` raises on this request, in words and at the expression
    /// that raises it; `None` when it raises none.
    pub fn raised(&self, set: &PolicySet, id: &PolicyId) -> Option<Raised> {
        let policy = set.policy(id)?;
        // The whole set, not the policy alone: a template-linked policy needs its template.
        let response = Authorizer::new().is_authorized(&self.request, set, &self.entities);
        let error = response.diagnostics().errors().find_map(
            |AuthorizationError::PolicyEvaluationError(e)| {
                (e.policy_id() == id).then(|| e.inner().clone())
            },
        )?;
        Some(explain(self, policy.as_ref().template(), &error))
    }
}

/// Why a policy errs on a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raised {
    /// The expression that raises the error, in the text the policy was parsed from (the
    /// `src` of its source locations): for a missing attribute the whole read that needs it,
    /// `context.jit.expires_at` when `context.jit` is missing. `None` when Cedar did not
    /// locate the error in the policy.
    pub span: Option<Span>,
    /// The error in words, naming the expression: "`context.jit.expires_at` is read without
    /// `context has jit`", "`context.n * 1000` can overflow (…)"; Cedar's own message for
    /// the errors without words of their own.
    pub words: String,
}

/// The error in words, at the expression of `template` that raised it on `replay`.
fn explain(replay: &Replay, template: &Template, error: &EvaluationError) -> Raised {
    // The miette labels of Cedar's errors are the only public way to their source location.
    let detailed = cedar_policy::ffi::DetailedError::from(error);
    let cedar = detailed.message;
    let located = detailed
        .source_locations
        .first()
        .map(|label| Span::new(label.loc.start, label.loc.end));
    let (Some(label), Some(src)) = (located, template.loc().map(|loc| &loc.src)) else {
        return unlocated(cedar);
    };
    let exprs: Vec<&Expr> = template
        .non_scope_constraints()
        .into_iter()
        .flat_map(|e| e.subexpressions())
        .collect();
    // Several expressions can share a location — every read of a chain such as
    // `context.jit.expires_at` has the whole chain's — so the one of the error's kind that
    // fails on this request while its operands do not is the one that raised it.
    let at_label: Vec<&Expr> = exprs
        .iter()
        .copied()
        .filter(|e| {
            e.source_loc().is_some_and(|loc| {
                loc_span(loc) == label && (Arc::ptr_eq(&loc.src, src) || loc.src == *src)
            })
        })
        .filter(|e| raises(e, error))
        .collect();
    let Some(&node) = at_label
        .iter()
        .find(|e| replay.fails(e) && operands(e).iter().all(|o| !replay.fails(o)))
        .or_else(|| at_label.first())
    else {
        return unlocated(cedar);
    };
    let Some(node_text) = src.get(label.start..label.end).map(one_line) else {
        return unlocated(cedar);
    };
    let located = |span: Span, words: String| Raised {
        span: Some(span),
        words,
    };
    match (error, node.expr_kind()) {
        (
            EvaluationError::RecordAttrDoesNotExist(_) | EvaluationError::EntityAttrDoesNotExist(_),
            ExprKind::GetAttr { expr, attr },
        ) => {
            // The whole read the missing attribute breaks: `context.jit.expires_at`.
            let reads = |outer: &Expr, inner: &Expr| match outer.expr_kind() {
                ExprKind::GetAttr { expr, .. } => std::ptr::eq(expr.as_ref(), inner),
                _ => false,
            };
            let mut read = node;
            while let Some(&outer) = exprs.iter().find(|e| reads(e, read)) {
                read = outer;
            }
            let span = read.source_loc().map_or(label, loc_span);
            match src.get(span.start..span.end).map(one_line) {
                Some(read_text) => located(
                    span,
                    format!(
                        "`{read_text}` is read without `{} has {}`",
                        written(expr, src),
                        attribute(attr)
                    ),
                ),
                None => located(label, cedar),
            }
        }
        (
            EvaluationError::EntityAttrDoesNotExist(_),
            ExprKind::BinaryApp {
                op: BinaryOp::GetTag,
                arg1,
                arg2,
            },
        ) => located(
            label,
            format!(
                "`{node_text}` is read without `{}.hasTag({})`",
                written(arg1, src),
                written(arg2, src)
            ),
        ),
        (EvaluationError::IntegerOverflow(_), _) => {
            located(label, format!("`{node_text}` can overflow ({cedar})"))
        }
        (EvaluationError::FailedExtensionFunctionExecution(_), _) => {
            located(label, format!("`{node_text}` can fail ({cedar})"))
        }
        (EvaluationError::EntityDoesNotExist(_), _) => located(
            label,
            format!("`{node_text}` can be an entity that does not exist ({cedar})"),
        ),
        _ => located(label, format!("`{node_text}`: {cedar}")),
    }
}

impl Replay {
    /// Whether `expr` raises an error on this request.
    fn fails(&self, expr: &Expr) -> bool {
        let expr = cedar_policy::Expression::from(expr.clone());
        cedar_policy::eval_expression(&self.request, &self.entities, &expr).is_err()
    }
}

/// The operands an expression evaluates before it can raise an error of its own.
fn operands(expr: &Expr) -> Vec<&Expr> {
    match expr.expr_kind() {
        ExprKind::GetAttr { expr, .. } | ExprKind::UnaryApp { arg: expr, .. } => vec![expr],
        ExprKind::BinaryApp { arg1, arg2, .. } => vec![arg1, arg2],
        ExprKind::ExtensionFunctionApp { args, .. } => args.iter().collect(),
        _ => Vec::new(),
    }
}

/// `expr` as written: its own source text, or for a read in a chain (whose source location
/// is the whole chain's) its object's followed by `.attr`.
fn written(expr: &Expr, src: &str) -> String {
    let own = expr
        .source_loc()
        .and_then(|loc| src.get(loc.start()..loc.end()));
    match expr.expr_kind() {
        ExprKind::GetAttr { expr: object, attr } => {
            let object = written(object, src);
            match attribute(attr) {
                name if name == attr.as_str() => format!("{object}.{name}"),
                quoted => format!("{object}[{quoted}]"),
            }
        }
        _ => own.map_or_else(|| expr.to_string(), one_line),
    }
}

fn unlocated(cedar: String) -> Raised {
    Raised {
        span: None,
        words: cedar,
    }
}

/// Whether `expr` is of a kind that raises `error` itself (rather than passing it on).
fn raises(expr: &Expr, error: &EvaluationError) -> bool {
    match error {
        EvaluationError::RecordAttrDoesNotExist(_) => {
            matches!(expr.expr_kind(), ExprKind::GetAttr { .. })
        }
        EvaluationError::EntityAttrDoesNotExist(_) => matches!(
            expr.expr_kind(),
            ExprKind::GetAttr { .. }
                | ExprKind::BinaryApp {
                    op: BinaryOp::GetTag,
                    ..
                }
        ),
        EvaluationError::IntegerOverflow(_) => matches!(
            expr.expr_kind(),
            ExprKind::BinaryApp {
                op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul,
                ..
            } | ExprKind::UnaryApp {
                op: UnaryOp::Neg,
                ..
            }
        ),
        EvaluationError::FailedExtensionFunctionExecution(_)
        | EvaluationError::FailedExtensionFunctionLookup(_)
        | EvaluationError::WrongNumArguments(_) => {
            matches!(expr.expr_kind(), ExprKind::ExtensionFunctionApp { .. })
        }
        _ => true,
    }
}

fn loc_span(loc: &cedar_policy_core::parser::Loc) -> Span {
    Span::new(loc.start(), loc.end())
}

/// Source text as a message quotes it: on one line, cut short when long.
fn one_line(text: &str) -> String {
    const LONGEST: usize = 80;
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= LONGEST {
        line
    } else {
        let cut: String = line.chars().take(LONGEST - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// An attribute name as `has` takes it: bare when it is an identifier, else a string.
fn attribute(name: &str) -> String {
    const RESERVED: [&str; 9] = [
        "true", "false", "if", "then", "else", "in", "is", "like", "has",
    ];
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
        && !name.starts_with("__cedar");
    if identifier {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

/// A `run-tests` entry that records what the policy set decides today, ready to paste into a
/// test file (and to edit into the decision the author wants). Action entities are left out —
/// the schema declares them — and the rest are sorted by uid.
pub fn test_case(
    name: &str,
    cex: &Value,
    schema: &Schema,
    outcome: (Decision, &[String], usize),
) -> Value {
    let (decision, reasons, errors) = outcome;
    let actions: Vec<Value> = schema
        .actions()
        .map(|a| json!({"type": a.type_name().to_string(), "id": a.id().unescaped()}))
        .collect();
    let mut entities: Vec<Value> = cex["entities"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|e| !actions.contains(&e["uid"]))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    entities.sort_by_key(|e| e["uid"].to_string());
    json!({
        "name": name,
        "request": cex["request"],
        "entities": entities,
        "decision": match decision {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        },
        "reason": reasons,
        "num_errors": errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error `policy` raises on a request of `context` with `entities`, and the text its
    /// span covers.
    fn raised(policy: &str, context: Value, entities: Value) -> (Option<String>, String) {
        let set = PolicySet::from_str(policy).unwrap();
        let uid = |text: &str| EntityUid::from_str(text).unwrap();
        let replay = Replay {
            request: Request::new(
                uid(r#"User::"alice""#),
                uid(r#"Action::"edit""#),
                uid(r#"Doc::"readme""#),
                Context::from_json_value(context, None).unwrap(),
                None,
            )
            .unwrap(),
            entities: Entities::from_json_value(entities, None).unwrap(),
        };
        let raised = replay
            .raised(&set, &PolicyId::new("policy0"))
            .expect("the policy errs");
        let text = raised.span.map(|s| policy[s.start..s.end].to_string());
        (text, raised.words)
    }

    fn alice_and_readme() -> Value {
        json!([
            {"uid": {"type": "User", "id": "alice"}, "attrs": {"level": 3}, "parents": [], "tags": {}},
            {"uid": {"type": "Doc", "id": "readme"}, "attrs": {}, "parents": [], "tags": {"owner": "bob"}},
        ])
    }

    #[test]
    fn a_missing_record_attribute_is_the_whole_read_that_needs_it_with_the_has_test_it_lacks() {
        let policy = "// the forbid\nforbid (principal, action, resource)\nwhen { context.jit.expires_at < 5 };";
        assert_eq!(
            raised(policy, json!({}), alice_and_readme()),
            (
                Some("context.jit.expires_at".into()),
                "`context.jit.expires_at` is read without `context has jit`".into()
            )
        );
        assert_eq!(
            raised(policy, json!({"jit": {}}), alice_and_readme()),
            (
                Some("context.jit.expires_at".into()),
                "`context.jit.expires_at` is read without `context.jit has expires_at`".into()
            )
        );
        // The same name twice in a chain: the read that fails on this request.
        let policy = "forbid (principal, action, resource) when { context.a.a == 1 };";
        assert_eq!(
            raised(policy, json!({}), alice_and_readme()).1,
            "`context.a.a` is read without `context has a`"
        );
        assert_eq!(
            raised(policy, json!({"a": {}}), alice_and_readme()).1,
            "`context.a.a` is read without `context.a has a`"
        );
    }

    #[test]
    fn missing_entity_attributes_and_tags_name_their_tests() {
        let (text, words) = raised(
            "forbid (principal, action, resource) when { principal.nickname == \"al\" };",
            json!({}),
            alice_and_readme(),
        );
        assert_eq!(text.as_deref(), Some("principal.nickname"));
        assert_eq!(
            words,
            "`principal.nickname` is read without `principal has nickname`"
        );
        let (text, words) = raised(
            "forbid (principal, action, resource) when { resource.getTag(\"team\") == \"ops\" };",
            json!({}),
            alice_and_readme(),
        );
        assert_eq!(text.as_deref(), Some("resource.getTag(\"team\")"));
        assert_eq!(
            words,
            "`resource.getTag(\"team\")` is read without `resource.hasTag(\"team\")`"
        );
        // An attribute `has` cannot take bare is quoted.
        let (_, words) = raised(
            "forbid (principal, action, resource) when { context[\"valid until\"] < 5 };",
            json!({}),
            alice_and_readme(),
        );
        assert_eq!(
            words,
            "`context[\"valid until\"]` is read without `context has \"valid until\"`"
        );
    }

    #[test]
    fn overflow_extension_failure_missing_entity_and_type_errors_are_worded_by_kind() {
        let (text, words) = raised(
            "permit (principal, action, resource)\nwhen {\n  context.n\n    + 1 < 10\n};",
            json!({"n": i64::MAX}),
            alice_and_readme(),
        );
        assert_eq!(text.as_deref(), Some("context.n\n    + 1"));
        assert!(
            words.starts_with(
                "`context.n + 1` can overflow (integer overflow while attempting to add"
            ),
            "{words}"
        );
        let (text, words) = raised(
            "forbid (principal, action, resource) when { decimal(context.amount) > decimal(\"1.0\") };",
            json!({"amount": "lots"}),
            alice_and_readme(),
        );
        assert_eq!(text.as_deref(), Some("decimal(context.amount)"));
        assert!(
            words.starts_with("`decimal(context.amount)` can fail ("),
            "{words}"
        );
        let (text, words) = raised(
            "forbid (principal, action, resource) when { principal.level > 1 };",
            json!({}),
            json!([]),
        );
        assert_eq!(text.as_deref(), Some("principal"));
        assert_eq!(
            words,
            "`principal` can be an entity that does not exist (entity `User::\"alice\"` does not exist)"
        );
        let (text, words) = raised(
            "forbid (principal, action, resource) when { context.n + 1 > 1 };",
            json!({"n": "one"}),
            json!([]),
        );
        assert_eq!(text.as_deref(), Some("context.n"));
        assert_eq!(words, "`context.n`: type error: expected long, got string");
    }

    #[test]
    fn long_expressions_are_quoted_on_one_line_and_cut_short() {
        assert_eq!(one_line("a\n   +  b"), "a + b");
        let long = "x".repeat(100);
        let quoted = one_line(&long);
        assert_eq!(quoted.chars().count(), 80);
        assert!(quoted.ends_with('…'));
    }
}
