//! Why a test got a decision it did not expect (README "Tests", "Why a test failed"): for
//! each policy that could have changed the answer, whether its scope matches the request and,
//! when it does, the first condition that kept it from applying — a `when` conjunct that was
//! false or raised an error, or an `unless` that held — at its place in the policy file, with
//! the values the condition read.
//!
//! Every value is Cedar's: the condition's source text (and each operand's) is parsed as a
//! [`cedar_policy::Expression`] and evaluated with [`cedar_policy::eval_expression`] against
//! the test's own request and entities. Nothing here evaluates Cedar itself.
//!
//! A policy in Cedar's JSON format has no Cedar text: its conditions are shown as Cedar prints
//! the JSON (`cedar_policy_core::est`, which keeps `>` as `>`), placed at their items of the
//! policy object's `conditions` (docs/test-output.md).

use std::str::FromStr;

use cedar_policy::{eval_expression, Entities, EvalResult, Expression, Policy, Request};
use cedar_policy_core::ast::{self, BinaryOp, Effect, ExprKind};
use cedar_policy_core::est;
use cedarcheck_analyzer::{scan_head, ClauseKind, LineIndex, PolicyUnit, SourceFile, Span};
use serde_json::value::RawValue;

use crate::error::ConditionError;
use crate::evaluate::Actual;
use crate::set_under_test::SetUnderTest;
use crate::test_file::{Decision, ExpectedDecision};

/// A place in a policy file. Lines and columns are 1-based, columns in characters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One policy's part in the decision.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PolicyWhy {
    pub policy: String,
    /// `permit` or `forbid`.
    pub effect: &'static str,
    /// For a template link: the template it links. Its text is what the explanation quotes,
    /// and its file is where `at` points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Its scope matched and every condition held. For a permit on a denied request: the
    /// forbids that overrode it (those that determined the decision).
    Applied {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        overridden_by: Vec<String>,
    },
    /// Its scope does not match the request: `scope` is the element that does not.
    ScopeMismatch {
        element: &'static str,
        scope: String,
        at: Option<Place>,
    },
    /// Its scope matches; this condition kept it from applying.
    Condition(Condition),
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Condition {
    /// `when` or `unless`.
    pub clause: &'static str,
    /// The condition as written: a conjunct of a `when`, or a whole `unless`.
    pub text: String,
    pub at: Option<Place>,
    /// What it evaluated to (`false` for a `when`, `true` for an `unless`), when it did.
    pub value: Option<String>,
    /// The error it raised, when it did (Cedar then skips the policy).
    pub error: Option<String>,
    /// The values it read: the operands of a comparison, a call, `like`, `has`, `is`.
    pub values: Vec<ValueRead>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ValueRead {
    pub text: String,
    pub value: Option<String>,
    pub error: Option<String>,
}

/// The policies worth explaining when `expected` does not hold for `actual`, in the set's
/// order: for an expected allow, every permit; for an expected deny (or `forbidden`,
/// `not-permitted`) that was allowed, the permits that allowed and every forbid; for
/// `forbidden` that was not, every forbid; for `not-permitted` that was forbidden, the forbids
/// that decided. Empty when the expectation holds.
pub fn explain(
    set: &SetUnderTest,
    expected: ExpectedDecision,
    actual: &Actual,
    request: &Request,
    entities: &Entities,
) -> Vec<PolicyWhy> {
    if expected.holds(actual.decision, &actual.reason) {
        return Vec::new();
    }
    let mut policies: Vec<(usize, &Policy)> = set
        .policies
        .policies()
        .filter_map(|p| Some((set.info_index(p.id())?, p)))
        .collect();
    policies.sort_by_key(|(index, _)| *index);
    let wanted = |policy: &Policy, index: usize| {
        let permit = policy.effect() == cedar_policy::Effect::Permit;
        let determined = actual.determining.contains(&index);
        match (expected, actual.decision) {
            (ExpectedDecision::Allow, _) => permit,
            (_, Decision::Allow) => !permit || determined,
            (ExpectedDecision::Forbidden, _) => !permit,
            _ => !permit && determined,
        }
    };
    policies
        .into_iter()
        .filter(|&(index, policy)| wanted(policy, index))
        .map(|(index, policy)| {
            let info = &set.info[index];
            // A link's text is its template's, in the template's file.
            let file = info.template.as_ref().map_or(&info.file, |t| &t.file);
            let mut why = explain_policy(policy, &info.id, file, request, entities);
            why.template = info.template.as_ref().map(|t| t.id.clone());
            if let Outcome::Applied { overridden_by } = &mut why.outcome {
                if why.effect == "permit" && actual.decision == Decision::Deny {
                    *overridden_by = overriding_forbids(set, actual);
                }
            }
            why
        })
        .collect()
}

/// The forbids that determined a denied request, by the ids tests use.
fn overriding_forbids(set: &SetUnderTest, actual: &Actual) -> Vec<String> {
    set.policies
        .policies()
        .filter(|p| p.effect() == cedar_policy::Effect::Forbid)
        .filter_map(|p| set.info_index(p.id()))
        .filter(|index| actual.determining.contains(index))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|index| set.info[index].id.clone())
        .collect()
}

/// Where a policy's source is: its text (the whole file) and its span in it.
struct Source<'a> {
    file: &'a str,
    text: std::sync::Arc<str>,
    index: LineIndex,
}

impl Source<'_> {
    fn place(&self, span: Span) -> Place {
        let position = self.index.position(&self.text, span.start);
        Place {
            file: self.file.to_string(),
            line: position.line,
            column: position.column,
        }
    }

    fn text_of(&self, span: Span) -> Option<&str> {
        self.text.get(span.start..span.end)
    }

    /// Where a JSON value borrowed from this source's text starts.
    fn place_of_json(&self, raw: &RawValue) -> Place {
        let start = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        self.place(Span::new(start, start + raw.get().len()))
    }
}

fn span_of(loc: &cedar_policy_core::parser::Loc) -> Span {
    Span::new(loc.start(), loc.end())
}

/// The fields of a policy written in Cedar's JSON format, borrowed from its file's text.
type JsonFields<'a> = std::collections::BTreeMap<String, &'a RawValue>;

/// One policy: its scope against the request, then its conditions in order.
pub fn explain_policy(
    policy: &Policy,
    id: &str,
    file: &str,
    request: &Request,
    entities: &Entities,
) -> PolicyWhy {
    let core = policy.as_ref();
    let effect = match core.effect() {
        Effect::Permit => "permit",
        Effect::Forbid => "forbid",
    };
    let source = core.loc().map(|loc| Source {
        file,
        text: loc.src.clone(),
        index: LineIndex::new(&loc.src),
    });
    let policy_span = core.loc().map(span_of);
    // A JSON policy is located at its object: its fields place its scope and conditions.
    let json: Option<JsonFields> = source
        .as_ref()
        .zip(policy_span)
        .and_then(|(source, span)| source.text_of(span))
        .filter(|text| text.starts_with('{'))
        .and_then(|text| serde_json::from_str(text).ok());
    let head = source
        .as_ref()
        .zip(policy_span)
        .filter(|_| json.is_none())
        .and_then(|(source, span)| scan_head(&source.text, span));
    let why = |outcome| PolicyWhy {
        policy: id.to_string(),
        effect,
        template: None,
        outcome,
    };

    // The scope, element by element, as Cedar's own expressions for it.
    let scope = [
        (
            "principal",
            core.principal_constraint().as_expr(),
            head.map(|h| h.principal),
        ),
        (
            "action",
            core.action_constraint().as_expr(),
            head.map(|h| h.action),
        ),
        (
            "resource",
            core.resource_constraint().as_expr(),
            head.map(|h| h.resource),
        ),
    ];
    for (element, expr, span) in scope {
        let text = expr.to_string();
        if matches!(
            evaluate(&text, request, entities),
            Ok(EvalResult::Bool(true))
        ) {
            continue;
        }
        // What the user wrote, unless it has a template slot (then the linked value).
        let written = source
            .as_ref()
            .zip(span)
            .and_then(|(source, span)| source.text_of(span))
            .filter(|written| !written.contains('?'))
            .map_or(text, str::to_string);
        let at = match (&source, span, &json) {
            (Some(source), Some(span), _) => Some(source.place(span)),
            (Some(source), None, Some(fields)) => {
                fields.get(element).map(|raw| source.place_of_json(raw))
            }
            _ => None,
        };
        return why(Outcome::ScopeMismatch {
            element,
            scope: written,
            at,
        });
    }
    let applied = || {
        why(Outcome::Applied {
            overridden_by: Vec::new(),
        })
    };

    // The conditions, in order: Cedar evaluates them as one conjunction, left to right.
    let Some((source, policy_span)) = source.as_ref().zip(policy_span).filter(|_| json.is_none())
    else {
        return json_conditions(policy, source.as_ref(), json.as_ref(), request, entities)
            .map_or_else(applied, |c| why(Outcome::Condition(c)));
    };
    let unit_file = SourceFile::new(file, source.text.clone());
    let unit = PolicyUnit {
        id,
        file: &unit_file,
        template: core.template(),
        is_template: false,
        has_schema: false,
        span: policy_span,
        head,
    };
    for clause in unit.clauses() {
        let holds = clause.kind == ClauseKind::When;
        let place = |part: &ast::Expr| part.source_loc().map(|loc| source.place(span_of(loc)));
        if let Some(condition) = first_failing(
            clause.kind.keyword(),
            clause.body,
            holds,
            &source.text,
            &place,
            request,
            entities,
        ) {
            return why(Outcome::Condition(condition));
        }
    }
    applied()
}

/// The first part of a clause body that kept the policy from applying — a conjunct of a
/// `when` that is not true, or an `unless` that is not false — with the values it read.
/// `text` is what the body's source locations index; `place` says where a part is.
fn first_failing(
    clause: &'static str,
    body: &ast::Expr,
    holds: bool,
    text: &str,
    place: &dyn Fn(&ast::Expr) -> Option<Place>,
    request: &Request,
    entities: &Entities,
) -> Option<Condition> {
    let text_of = |expr: &ast::Expr| {
        expr.source_loc()
            .and_then(|loc| text.get(loc.start()..loc.end()))
    };
    let parts = if holds { conjuncts(body) } else { vec![body] };
    for part in parts {
        let written = text_of(part).map_or_else(|| part.to_string(), str::to_string);
        let result = evaluate(&written, request, entities);
        if matches!(&result, Ok(EvalResult::Bool(b)) if *b == holds) {
            continue;
        }
        let whole = part.source_loc().map(span_of);
        return Some(Condition {
            clause,
            at: place(part),
            values: operands(part)
                .into_iter()
                .map(|operand| {
                    // As written, unless Cedar located it at the whole condition (the
                    // receiver of a method call is): then as Cedar prints it.
                    let own = operand
                        .source_loc()
                        .filter(|loc| Some(span_of(loc)) != whole)
                        .and_then(|loc| text.get(loc.start()..loc.end()));
                    read(
                        own.map_or_else(|| operand.to_string(), str::to_string),
                        request,
                        entities,
                    )
                })
                .collect(),
            text: written,
            value: result.as_ref().ok().map(ToString::to_string),
            error: result.err().map(|e| e.to_string()),
        });
    }
    None
}

/// A policy in Cedar's JSON format: each clause of its `conditions` as Cedar prints the
/// JSON, parsed back so that its parts and operands are found as in Cedar text, and placed
/// at its item of `conditions` when the policy came from a file. Without a file (a policy
/// set an integration test names), Cedar's own JSON of the policy.
fn json_conditions(
    policy: &Policy,
    source: Option<&Source>,
    fields: Option<&JsonFields>,
    request: &Request,
    entities: &Entities,
) -> Option<Condition> {
    let clauses: Vec<(est::Clause, Option<Place>)> = match (source, fields) {
        (Some(source), Some(fields)) => {
            let items: Vec<&RawValue> = fields
                .get("conditions")
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or_default();
            items
                .into_iter()
                .filter_map(|raw| {
                    let clause = serde_json::from_str(raw.get()).ok()?;
                    Some((clause, Some(source.place_of_json(raw))))
                })
                .collect()
        }
        _ => {
            let json = policy.to_json().ok()?;
            serde_json::from_value::<Vec<est::Clause>>(json.get("conditions")?.clone())
                .ok()?
                .into_iter()
                .map(|clause| (clause, None))
                .collect()
        }
    };
    for (clause, at) in clauses {
        let (keyword, body, holds) = match &clause {
            est::Clause::When(body) => ("when", body, true),
            est::Clause::Unless(body) => ("unless", body, false),
        };
        let printed = body.to_string();
        let Ok(parsed) = ast::Expr::from_str(&printed) else {
            // Not expected (Cedar parses what it prints), but then the clause as a whole.
            let result = evaluate(&printed, request, entities);
            if matches!(&result, Ok(EvalResult::Bool(b)) if *b == holds) {
                continue;
            }
            return Some(Condition {
                clause: keyword,
                text: printed,
                at,
                value: result.as_ref().ok().map(ToString::to_string),
                error: result.err().map(|e| e.to_string()),
                values: Vec::new(),
            });
        };
        let place = |_: &ast::Expr| at.clone();
        if let Some(condition) =
            first_failing(keyword, &parsed, holds, &printed, &place, request, entities)
        {
            return Some(condition);
        }
    }
    None
}

/// The top-level `&&` operands of a `when` body, left to right.
fn conjuncts(expr: &ast::Expr) -> Vec<&ast::Expr> {
    match expr.expr_kind() {
        ExprKind::And { left, right } => {
            let mut parts = conjuncts(left);
            parts.extend(conjuncts(right));
            parts
        }
        _ => vec![expr],
    }
}

/// The values a condition reads: the operands of a comparison or call, what `like`, `has`
/// and `is` test, each side of an `||` (through a `!`); constants are left out, they say
/// what they are. An attribute or tag of an entity literal (`Group::"admins".manager`) is no
/// constant: it reads the entities, and may raise the error.
fn operands(expr: &ast::Expr) -> Vec<&ast::Expr> {
    let found: Vec<&ast::Expr> = match expr.expr_kind() {
        ExprKind::UnaryApp { arg, .. } => {
            let inner = operands(arg);
            return if inner.is_empty() && !matches!(arg.expr_kind(), ExprKind::Lit(_)) {
                vec![arg]
            } else {
                inner
            };
        }
        ExprKind::BinaryApp { arg1, arg2, .. } => vec![arg1, arg2],
        ExprKind::ExtensionFunctionApp { args, .. } => args.iter().collect(),
        ExprKind::Like { expr, .. } | ExprKind::Is { expr, .. } => vec![expr],
        ExprKind::HasAttr { expr, .. } => vec![expr],
        ExprKind::Or { left, right } => vec![left, right],
        _ => Vec::new(),
    };
    // A literal or a constant call (`ip("10.0.0.0/8")`) says what it is.
    found.into_iter().filter(|e| reads_the_request(e)).collect()
}

/// Whether an expression reads the request or the entities: a variable, an attribute or tag
/// (of an entity literal too), or the hierarchy (`in`).
fn reads_the_request(expr: &ast::Expr) -> bool {
    expr.subexpressions().any(|sub| {
        matches!(
            sub.expr_kind(),
            ExprKind::Var(_)
                | ExprKind::GetAttr { .. }
                | ExprKind::HasAttr { .. }
                | ExprKind::BinaryApp {
                    op: BinaryOp::In | BinaryOp::GetTag | BinaryOp::HasTag,
                    ..
                }
        )
    })
}

fn read(text: String, request: &Request, entities: &Entities) -> ValueRead {
    let result = evaluate(&text, request, entities);
    ValueRead {
        text,
        value: result.as_ref().ok().map(ToString::to_string),
        error: result.err().map(|e| e.to_string()),
    }
}

/// Cedar's value of an expression written as Cedar text, for this request and entities.
fn evaluate(
    text: &str,
    request: &Request,
    entities: &Entities,
) -> Result<EvalResult, ConditionError> {
    let expression = Expression::from_str(text).map_err(|e| ConditionError::Parse(Box::new(e)))?;
    eval_expression(request, entities, &expression)
        .map_err(|e| ConditionError::Evaluate(Box::new(e)))
}

/// The explanation as report lines: each policy whose scope matched, in order (see
/// [`PolicyWhy::lines`]), then the policies whose scope does not match, one line per effect
/// (`permits whose scope does not match: ID (the element as written), …`).
pub fn report_lines(explanation: &[PolicyWhy]) -> Vec<String> {
    let mut lines: Vec<String> = explanation
        .iter()
        .filter(|why| !matches!(why.outcome, Outcome::ScopeMismatch { .. }))
        .flat_map(PolicyWhy::lines)
        .collect();
    for (effect, plural) in [("permit", "permits"), ("forbid", "forbids")] {
        let unmatched: Vec<String> = explanation
            .iter()
            .filter(|why| why.effect == effect)
            .filter_map(|why| match &why.outcome {
                Outcome::ScopeMismatch { scope, .. } => Some(match &why.template {
                    Some(template) => {
                        format!("{} (a link of template {template}: {scope})", why.policy)
                    }
                    None => format!("{} ({scope})", why.policy),
                }),
                _ => None,
            })
            .collect();
        if !unmatched.is_empty() {
            lines.push(format!(
                "{plural} whose scope does not match: {}",
                unmatched.join(", ")
            ));
        }
    }
    lines
}

impl PolicyWhy {
    /// The explanation as lines: the first names the policy and what happened, the next
    /// (indented) the values read.
    pub fn lines(&self) -> Vec<String> {
        let head = match &self.template {
            Some(template) => format!(
                "{} {} (a link of template {template})",
                self.effect, self.policy
            ),
            None => format!("{} {}", self.effect, self.policy),
        };
        match &self.outcome {
            Outcome::Applied { overridden_by } if overridden_by.is_empty() => {
                vec![format!("{head}: scope matches and every condition holds")]
            }
            Outcome::Applied { overridden_by } => vec![format!(
                "{head}: scope matches and every condition holds, but {} overrode it",
                overridden_by
                    .iter()
                    .map(|id| format!("forbid {id}"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )],
            Outcome::ScopeMismatch { scope, at, .. } => vec![match at {
                Some(at) => format!("{head}: {at}: scope does not match: {scope}"),
                None => format!("{head}: scope does not match: {scope}"),
            }],
            Outcome::Condition(condition) => {
                let what = match (&condition.error, &condition.value) {
                    (Some(error), _) => format!("raised an error: {error}"),
                    (None, Some(value)) => format!("is {value}"),
                    (None, None) => "did not hold".to_string(),
                };
                let place = condition
                    .at
                    .as_ref()
                    .map(|at| format!("{at}: "))
                    .unwrap_or_default();
                let mut lines = vec![format!(
                    "{head}: {place}{} `{}` {what}",
                    condition.clause, condition.text
                )];
                let width = condition
                    .values
                    .iter()
                    .map(|v| v.text.chars().count())
                    .max()
                    .unwrap_or(0);
                for value in &condition.values {
                    let shown = match (&value.value, &value.error) {
                        (Some(v), _) => v.clone(),
                        (None, Some(e)) => format!("error: {e}"),
                        (None, None) => String::new(),
                    };
                    let pad = width - value.text.chars().count();
                    lines.push(format!("    {}{} = {shown}", value.text, " ".repeat(pad)));
                }
                lines
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cedar_policy::{Authorizer, Context, Decision as CedarDecision, EntityUid, PolicySet};

    const ENTITIES: &str = r#"[
        {"uid": {"type": "User", "id": "alice"}, "attrs": {"admin": true, "level": 2}, "parents": []},
        {"uid": {"type": "User", "id": "bob"}, "attrs": {"admin": false}, "parents": []},
        {"uid": {"type": "File", "id": "passwd"}, "attrs": {"path": "/etc/passwd", "public": true}, "parents": []}
    ]"#;

    fn request(who: &str) -> Request {
        let uid = |text: &str| text.parse::<EntityUid>().unwrap();
        Request::new(
            uid(&format!("User::\"{who}\"")),
            uid("Action::\"read\""),
            uid("File::\"passwd\""),
            Context::empty(),
            None,
        )
        .unwrap()
    }

    fn entities() -> Entities {
        Entities::from_json_str(ENTITIES, None).unwrap()
    }

    fn why(policy: &str, who: &str) -> PolicyWhy {
        let set: PolicySet = policy.parse().unwrap();
        let policy = set.policies().next().unwrap();
        explain_policy(policy, "p", "p.cedar", &request(who), &entities())
    }

    fn condition(why: PolicyWhy) -> Condition {
        match why.outcome {
            Outcome::Condition(condition) => condition,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_first_false_conjunct_is_the_one_cedar_stops_at() {
        let text = "permit (principal, action, resource)\nwhen { resource.public && principal.level > 3 && principal.admin };";
        let found = condition(why(text, "alice"));
        assert_eq!(found.text, "principal.level > 3");
        assert_eq!(
            found.at,
            Some(Place {
                file: "p.cedar".into(),
                line: 2,
                column: 27
            })
        );
        assert_eq!(found.value.as_deref(), Some("false"));
        assert_eq!(
            found.values,
            [ValueRead {
                text: "principal.level".into(),
                value: Some("2".into()),
                error: None
            }]
        );
        // Independent evidence, from Cedar's authorizer: the conjuncts before it allow, and
        // with it the request is denied.
        let decide = |condition: &str| {
            let set: PolicySet =
                format!("permit (principal, action, resource) when {{ {condition} }};")
                    .parse()
                    .unwrap();
            Authorizer::new()
                .is_authorized(&request("alice"), &set, &entities())
                .decision()
        };
        assert_eq!(decide("resource.public"), CedarDecision::Allow);
        assert_eq!(
            decide(&format!("resource.public && {}", found.text)),
            CedarDecision::Deny
        );
    }

    #[test]
    fn a_condition_that_raises_an_error_says_so_with_the_value_that_failed() {
        let text = "permit (principal, action, resource) when { principal.level > 3 };";
        let found = condition(why(text, "bob"));
        assert_eq!(found.value, None);
        let error = found.error.unwrap();
        assert!(error.contains("`level`"), "{error}");
        assert_eq!(found.values.len(), 1);
        assert_eq!(found.values[0].text, "principal.level");
        assert!(found.values[0].error.is_some(), "{:?}", found.values[0]);
        assert!(
            why(text, "bob").lines()[0].starts_with(
                "permit p: p.cedar:1:45: when `principal.level > 3` raised an error: "
            ),
            "{:?}",
            why(text, "bob").lines()
        );
    }

    #[test]
    fn like_has_and_unless_show_what_they_test() {
        let like = condition(why(
            "permit (principal, action, resource) when { resource.path like \"/var/log/*\" };",
            "alice",
        ));
        assert_eq!(like.values[0].text, "resource.path");
        assert_eq!(like.values[0].value.as_deref(), Some("\"/etc/passwd\""));
        let unless = condition(why(
            "forbid (principal, action, resource) when { true } unless { principal has level };",
            "alice",
        ));
        assert_eq!(unless.clause, "unless");
        assert_eq!(unless.value.as_deref(), Some("true"));
        assert_eq!(unless.values[0].text, "principal");
        assert_eq!(unless.values[0].value.as_deref(), Some("User::\"alice\""));
        let scope = why(
            "permit (principal == User::\"bob\", action, resource);",
            "alice",
        );
        assert_eq!(
            scope.lines(),
            ["permit p: p.cedar:1:9: scope does not match: principal == User::\"bob\""]
        );
        let either = condition(why(
            "permit (principal, action, resource) when { principal.admin == false || principal.level > 5 };",
            "alice",
        ));
        let read: Vec<(&str, Option<&str>)> = either
            .values
            .iter()
            .map(|v| (v.text.as_str(), v.value.as_deref()))
            .collect();
        assert_eq!(
            read,
            [
                ("principal.admin == false", Some("false")),
                ("principal.level > 5", Some("false"))
            ]
        );
        let range = condition(why(
            "permit (principal, action, resource) when { ip(\"10.1.2.3\").isInRange(ip(\"10.0.0.0/8\")) && principal.level.isInRange(ip(\"10.0.0.0/8\")) };",
            "alice",
        ));
        assert_eq!(range.values.len(), 1, "{range:?}");
        assert_eq!(range.values[0].text, "principal.level");
        let applied = why("permit (principal, action, resource);", "alice");
        assert_eq!(
            applied.outcome,
            Outcome::Applied {
                overridden_by: Vec::new()
            }
        );
    }

    #[test]
    fn policies_whose_scope_does_not_match_take_one_line_per_effect() {
        let unmatched = |policy: &str, effect: &'static str, scope: &str| PolicyWhy {
            policy: policy.into(),
            effect,
            template: None,
            outcome: Outcome::ScopeMismatch {
                element: "principal",
                scope: scope.into(),
                at: None,
            },
        };
        let explanation = [
            unmatched("a", "permit", "principal is Human"),
            PolicyWhy {
                policy: "b".into(),
                effect: "permit",
                template: None,
                outcome: Outcome::Applied {
                    overridden_by: Vec::new(),
                },
            },
            unmatched("c", "forbid", "action == Action::\"write\""),
            unmatched("d", "permit", "resource in Folder::\"x\""),
        ];
        assert_eq!(
            report_lines(&explanation),
            [
                "permit b: scope matches and every condition holds",
                "permits whose scope does not match: a (principal is Human), d (resource in Folder::\"x\")",
                "forbids whose scope does not match: c (action == Action::\"write\")",
            ]
        );
    }

    #[test]
    fn a_json_policy_without_source_text_is_explained_as_cedar_prints_it() {
        let text = "permit (principal, action, resource) when { principal.level > 3 };";
        let parsed: Policy = text.parse().unwrap();
        let policy = Policy::from_json(None, parsed.to_json().unwrap()).unwrap();
        let why = explain_policy(&policy, "p", "p.json", &request("alice"), &entities());
        let found = condition(why);
        assert_eq!(found.at, None);
        assert_eq!(found.value.as_deref(), Some("false"));
        // As written in the JSON (`>`), not as Cedar's AST holds it (`!(… <= 3)`).
        assert_eq!(found.text, "principal.level > 3");
        assert_eq!(
            found.values,
            [ValueRead {
                text: "principal.level".into(),
                value: Some("2".into()),
                error: None
            }]
        );
    }

    #[test]
    fn an_entity_literal_attribute_is_a_value_read_not_a_constant() {
        let text =
            "permit (principal, action, resource) when { Group::\"admins\".manager == principal };";
        let found = condition(why(text, "alice"));
        let missing = "entity `Group::\"admins\"` does not exist";
        assert_eq!(found.error.as_deref(), Some(missing));
        assert_eq!(
            found.values,
            [
                ValueRead {
                    text: "Group::\"admins\".manager".into(),
                    value: None,
                    error: Some(missing.into())
                },
                ValueRead {
                    text: "principal".into(),
                    value: Some("User::\"alice\"".into()),
                    error: None
                }
            ]
        );
        // Independent evidence: Cedar's authorizer skips the policy for that error.
        let set: PolicySet = text.parse().unwrap();
        let response = Authorizer::new().is_authorized(&request("alice"), &set, &entities());
        assert_eq!(response.decision(), CedarDecision::Deny);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(missing), "{errors:?}");
        // An entity literal alone, as `ip("…")`, says what it is.
        let alone = condition(why(
            "permit (principal, action, resource) when { principal == User::\"bob\" };",
            "alice",
        ));
        assert_eq!(alone.values.len(), 1, "{alone:?}");
        assert_eq!(alone.values[0].text, "principal");
    }
}
