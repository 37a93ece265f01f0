//! One policy or template as the per-policy rules see it.

use cedar_policy_core::ast::{
    ActionConstraint, BinaryOp, Effect, Expr, ExprKind, PrincipalOrResourceConstraint, Template,
    UnaryOp, Var,
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
    /// relationship its conditions test between principal and resource
    /// (`resource.owner == principal`, `principal in resource.readers`): a role grant. A
    /// condition on the principal alone (`unless { principal == User::"mallory" }`,
    /// `principal.kind == "agent"`) names no role.
    pub fn granted_to_a_role(&self) -> bool {
        match self.template.principal_constraint().as_inner() {
            PrincipalOrResourceConstraint::In(_) | PrincipalOrResourceConstraint::IsIn(..) => true,
            PrincipalOrResourceConstraint::Any | PrincipalOrResourceConstraint::Is(_) => {
                self.relates_principal_to_resource()
            }
            PrincipalOrResourceConstraint::Eq(_) => false,
        }
    }

    /// Whether a condition compares the principal with the resource: one side of an `==`,
    /// `in`, `.contains(…)` or `.containsAny/All(…)` reads `principal`, the other `resource`.
    pub fn relates_principal_to_resource(&self) -> bool {
        let reads = |e: &Expr, var: Var| {
            e.subexpressions()
                .any(|s| matches!(s.expr_kind(), ExprKind::Var(v) if *v == var))
        };
        self.condition_exprs().any(|e| match e.expr_kind() {
            ExprKind::BinaryApp {
                op:
                    BinaryOp::Eq
                    | BinaryOp::In
                    | BinaryOp::Contains
                    | BinaryOp::ContainsAll
                    | BinaryOp::ContainsAny,
                arg1,
                arg2,
            } => {
                (reads(arg1, Var::Principal) && reads(arg2, Var::Resource))
                    || (reads(arg1, Var::Resource) && reads(arg2, Var::Principal))
            }
            _ => false,
        })
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

    /// The clause that reads at `span`, rewritten with `guard` so that a request without the key
    /// is decided the fail-closed way: a forbid still forbids it, a permit does not grant it.
    /// (Guarding only the read is wrong under a `!`: `!context.x` would become
    /// `context has x && !context.x`, which no longer forbids a request without `x`.)
    pub fn guarded_clause(&self, span: Span, guard: &str) -> String {
        let unit = self;
        let clause = unit
            .clauses()
            .into_iter()
            .find(|c| c.span.start <= span.start && span.end <= c.span.end);
        let Some(clause) = clause else {
            return format!("guard the condition that reads it with `{guard}`");
        };
        let at = expr_span(clause.body, clause.span);
        let body = unit
            .file
            .text
            .get(at.start..at.end)
            .filter(|text| !text.trim_start().starts_with('{'))
            .map_or_else(|| clause.body.to_string(), str::to_string);
        let keyword = clause.kind.keyword();
        // A forbid's `when` and a permit's `unless` must hold for requests without the key.
        let hold = (unit.effect() == Effect::Forbid) == (clause.kind == ClauseKind::When);
        let rewrite = if hold {
            format!("{keyword} {{ !({guard}) || ({body}) }}")
        } else {
            format!("{keyword} {{ {guard} && ({body}) }}")
        };
        match unit.effect() {
            Effect::Forbid => {
                format!(
                    "write `{rewrite}`: a request without it is then forbidden too (fail closed)"
                )
            }
            Effect::Permit => format!(
                "write `{rewrite}`: a request without it is then not permitted, without an error"
            ),
        }
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
    "fetch", "browse", "watch", "inspect", "see", "discover",
];

/// Words that make a name do more than read (`read_write`, `GetOrCreateUser`,
/// `GetObjectThenDelete`): a write verb, or a word that joins a second action to the first.
const NOT_ONLY_READING: &[&str] = &[
    "write",
    "create",
    "delete",
    "update",
    "put",
    "post",
    "patch",
    "set",
    "remove",
    "modify",
    "edit",
    "exec",
    "execute",
    "run",
    "reboot",
    "restart",
    "kill",
    "grant",
    "revoke",
    "attach",
    "detach",
    "start",
    "stop",
    "add",
    "change",
    "deploy",
    "upload",
    "send",
    "invoke",
    "approve",
    "reset",
    "rotate",
    "assign",
    "destroy",
    "drop",
    "insert",
    "purge",
    "terminate",
    "disable",
    "enable",
    "download",
    "export",
    "copy",
    "move",
    "share",
    "and",
    "or",
    "then",
    "plus",
];

/// Whether an action's name says it only reads: the words of its last `:`/`/`/`.`-separated
/// part (split at `_`, `-`, spaces and lower-to-upper case changes) begin with a read verb, and
/// none of them writes or joins another action (`GetObject`, `read_file`, `list`; not `Listen`,
/// `getaway`, `read_write`, `GetOrCreateUser`). A guess from the name, so it errs towards
/// "changes state": that keeps a finding loud.
pub fn action_reads_only(name: &str) -> bool {
    let last = name.rsplit([':', '/', '.']).next().unwrap_or(name);
    let mut words: Vec<String> = Vec::new();
    let mut previous_lower = false;
    for c in last.chars() {
        if matches!(c, '_' | '-' | ' ') {
            words.push(String::new());
            previous_lower = false;
            continue;
        }
        if words.is_empty() || (c.is_uppercase() && previous_lower) {
            words.push(String::new());
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        words.last_mut().unwrap().extend(c.to_lowercase());
    }
    words.retain(|w| !w.is_empty());
    words
        .first()
        .is_some_and(|first| READ_VERBS.contains(&first.as_str()))
        && !words.iter().any(|w| NOT_ONLY_READING.contains(&w.as_str()))
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
