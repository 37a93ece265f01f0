//! One policy or template as the per-policy rules see it.

use cedar_policy_core::ast::{
    ActionConstraint, Effect, Expr, ExprKind, PrincipalOrResourceConstraint, Template, UnaryOp, Var,
};

use crate::policy_syntax::PolicyHead;
use crate::{Finding, Rule, SourceFile, Span};

pub struct PolicyUnit<'a> {
    /// The cedarcheck id: `@id`, else Cedar's `policyN`.
    pub id: &'a str,
    pub file: &'a SourceFile,
    /// Static policies are templates without slots, so both kinds are seen through this.
    pub template: &'a Template,
    pub is_template: bool,
    /// Whether the set has a schema file (loading or not): rules that report what strict
    /// validation rejects stay silent then.
    pub has_schema: bool,
    /// The whole policy, annotations included.
    pub span: Span,
    pub head: Option<PolicyHead>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClauseKind {
    When,
    Unless,
}

impl ClauseKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ClauseKind::When => "when",
            ClauseKind::Unless => "unless",
        }
    }
}

/// One `when { … }` or `unless { … }`; `body` is the expression between the braces.
pub struct Clause<'a> {
    pub kind: ClauseKind,
    pub body: &'a Expr,
    pub span: Span,
}

impl<'a> PolicyUnit<'a> {
    pub fn effect(&self) -> Effect {
        self.template.effect()
    }

    pub fn is_permit(&self) -> bool {
        self.effect() == Effect::Permit
    }

    /// From the effect keyword to the end of the scope, or the whole policy.
    pub fn head_span(&self) -> Span {
        self.head.map_or(self.span, |h| h.head)
    }

    pub fn principal_span(&self) -> Span {
        self.head.map_or(self.span, |h| h.principal)
    }

    pub fn action_span(&self) -> Span {
        self.head.map_or(self.span, |h| h.action)
    }

    pub fn resource_span(&self) -> Span {
        self.head.map_or(self.span, |h| h.resource)
    }

    pub fn principal_unscoped(&self) -> bool {
        matches!(
            self.template.principal_constraint().as_inner(),
            PrincipalOrResourceConstraint::Any
        )
    }

    pub fn resource_unscoped(&self) -> bool {
        matches!(
            self.template.resource_constraint().as_inner(),
            PrincipalOrResourceConstraint::Any
        )
    }

    pub fn action_unscoped(&self) -> bool {
        matches!(self.template.action_constraint(), ActionConstraint::Any)
    }

    /// The `when`/`unless` clauses in source order.
    ///
    /// Cedar folds the clauses into one conjunction whose `&&` nodes carry the policy's own
    /// location; a user's `&&` inside a clause carries a narrower one, so the two never mix.
    pub fn clauses(&self) -> Vec<Clause<'a>> {
        let policy_span = self.template.loc().map(loc_span);
        let mut clauses = Vec::new();
        let mut rest = self.template.non_scope_constraints();
        while let Some(expr) = rest {
            match expr.expr_kind() {
                ExprKind::And { left, right }
                    if policy_span.is_some() && expr.source_loc().map(loc_span) == policy_span =>
                {
                    clauses.push(self.clause(left));
                    rest = Some(right);
                }
                _ => {
                    clauses.push(self.clause(expr));
                    rest = None;
                }
            }
        }
        clauses
    }

    fn clause(&self, expr: &'a Expr) -> Clause<'a> {
        let span = expr.source_loc().map_or(self.span, loc_span);
        let text = self.file.text.get(span.start..span.end).unwrap_or("");
        match expr.expr_kind() {
            ExprKind::UnaryApp {
                op: UnaryOp::Not,
                arg,
            } if text.starts_with("unless") => Clause {
                kind: ClauseKind::Unless,
                body: arg,
                span,
            },
            _ => Clause {
                kind: ClauseKind::When,
                body: expr,
                span,
            },
        }
    }

    /// Whether the conditions read the variable `var` anywhere.
    pub fn conditions_mention(&self, var: Var) -> bool {
        self.template.non_scope_constraints().is_some_and(|expr| {
            expr.subexpressions()
                .any(|e| matches!(e.expr_kind(), ExprKind::Var(v) if *v == var))
        })
    }

    /// Whether the scope names who (`principal == E`, `principal in G`, `is T in G`) rather
    /// than leaving it open or giving only a type (`is T`: every principal of the type).
    pub fn principal_named(&self) -> bool {
        !matches!(
            self.template.principal_constraint().as_inner(),
            PrincipalOrResourceConstraint::Any | PrincipalOrResourceConstraint::Is(_)
        )
    }

    /// Whether the permit is granted to a group (`principal in G`, `is T in G`) or by a
    /// relationship its conditions test (`resource.owner == principal`): a role grant.
    pub fn granted_to_a_role(&self) -> bool {
        match self.template.principal_constraint().as_inner() {
            PrincipalOrResourceConstraint::In(_) | PrincipalOrResourceConstraint::IsIn(..) => true,
            PrincipalOrResourceConstraint::Any | PrincipalOrResourceConstraint::Is(_) => {
                self.conditions_mention(Var::Principal)
            }
            PrincipalOrResourceConstraint::Eq(_) => false,
        }
    }

    /// Whether the conditions read `context` and nothing else the request names: their only
    /// guard is what the caller supplies.
    pub fn guarded_by_context_only(&self) -> bool {
        let vars: Vec<Var> = self
            .condition_exprs()
            .filter_map(|e| match e.expr_kind() {
                ExprKind::Var(v) => Some(*v),
                _ => None,
            })
            .collect();
        vars.contains(&Var::Context) && vars.iter().all(|v| *v == Var::Context)
    }

    /// Whether every action the scope names reads rather than changes (by its name: `Get…`,
    /// `List…`, `s3:GetObject`, `read_file`, the action group `"read"`); false when the scope
    /// leaves the action open.
    pub fn actions_read_only(&self) -> bool {
        let names: Vec<&str> = match self.template.action_constraint() {
            ActionConstraint::Any => return false,
            ActionConstraint::Eq(uid) => vec![uid.eid().as_ref()],
            ActionConstraint::In(uids) => uids.iter().map(|uid| uid.eid().as_ref()).collect(),
            #[allow(unreachable_patterns)]
            _ => return false,
        };
        !names.is_empty() && names.iter().all(|name| action_reads_only(name))
    }

    /// Every subexpression of the conditions, in no particular order.
    pub fn condition_exprs(&self) -> impl Iterator<Item = &'a Expr> {
        self.template
            .non_scope_constraints()
            .into_iter()
            .flat_map(|expr| expr.subexpressions())
    }

    /// A finding about this policy, at `span` in its file.
    pub fn finding(&self, rule: &Rule, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(rule, &self.file.path, span, message).with_policy(self.id)
    }

    pub fn kind_name(&self) -> &'static str {
        if self.is_template {
            "template"
        } else {
            "policy"
        }
    }
}

pub(crate) fn loc_span(loc: &cedar_policy_core::parser::Loc) -> Span {
    Span::new(loc.start(), loc.end())
}

/// The span of an expression, or `fallback` when Cedar kept none.
pub fn expr_span(expr: &Expr, fallback: Span) -> Span {
    expr.source_loc().map_or(fallback, loc_span)
}

/// Verbs that name an action which reads: an action so named does not change state.
const READ_VERBS: &[&str] = &[
    "get", "list", "read", "view", "describe", "search", "query", "show", "head", "lookup", "find",
    "fetch", "browse", "watch", "download", "inspect", "see", "discover",
];

/// Whether an action's name says it reads: its last `:`/`/`/`.`-separated part starts with a
/// read verb followed by nothing, a separator or a capital (`GetObject`, `read_file`, `list`,
/// not `Listen` or `getaway`).
pub fn action_reads_only(name: &str) -> bool {
    let last = name.rsplit([':', '/', '.']).next().unwrap_or(name);
    READ_VERBS.iter().any(|verb| {
        last.len() >= verb.len()
            && last[..verb.len()].eq_ignore_ascii_case(verb)
            && last[verb.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_ascii_uppercase() || matches!(c, '_' | '-' | ' '))
    })
}

#[cfg(test)]
mod tests {
    use super::action_reads_only as reads_only;

    #[test]
    fn read_verbs_are_told_from_writes_by_the_whole_verb() {
        for name in [
            "ReadLogs",
            "s3:GetObject",
            "read_file",
            "list",
            "ViewHostStatus",
            "read",
        ] {
            assert!(reads_only(name), "{name}");
        }
        for name in [
            "RebootHost",
            "s3:PutObject",
            "Listen",
            "getaway",
            "delete",
            "Readdress",
        ] {
            assert!(!reads_only(name), "{name}");
        }
    }
}
