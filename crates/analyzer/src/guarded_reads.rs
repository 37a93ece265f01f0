//! The guard analysis the fail-open rules share (`unguarded-attribute`,
//! `entity-literal-attribute`): which reads in a condition no `has`/`hasTag` test guards. A
//! test guards what Cedar's short-circuit evaluation has already checked before the read: the
//! left of an enclosing `&&`, negated on the left of an `||`, or an `if`'s condition.

use std::collections::BTreeMap;

use cedar_policy_core::ast::{Expr, ExprKind, UnaryOp};

use crate::policy::expr_span;
use crate::Span;

/// What one rule counts as a read and as its guard.
pub(crate) trait Reads {
    type Read: Ord + Clone;
    /// Whether reads inside a read count on their own (`E.a.b` holds the read `E.a`);
    /// `false` when a read already stands for its prefixes.
    const READS_INSIDE_READS: bool;
    /// The read `expr` makes, if it is one of the rule's.
    fn read(&self, expr: &Expr) -> Option<Self::Read>;
    /// The reads that `test` (a `has`, `hasTag`) proves safe when it is true.
    fn guards(&self, test: &Expr, out: &mut Vec<Self::Read>);
    /// Whether `guards` make `read` safe.
    fn guarded(&self, read: &Self::Read, guards: &[Self::Read]) -> bool;
}

/// The first span of every read in `expr` that no guard covers, in the order of the text;
/// `fallback` for an expression Cedar kept no location for.
pub(crate) fn unguarded<R: Reads>(rule: &R, expr: &Expr, fallback: Span) -> Vec<(R::Read, Span)> {
    let mut reads = BTreeMap::new();
    walk(rule, expr, &[], fallback, &mut reads);
    let mut reads: Vec<(R::Read, Span)> = reads.into_iter().collect();
    reads.sort_by_key(|(_, span)| (span.start, span.end));
    reads
}

/// Every read that `expr` evaluating to `value` proves safe.
fn facts<R: Reads>(rule: &R, expr: &Expr, value: bool, out: &mut Vec<R::Read>) {
    match expr.expr_kind() {
        ExprKind::And { left, right } if value => {
            facts(rule, left, true, out);
            facts(rule, right, true, out);
        }
        ExprKind::Or { left, right } if !value => {
            facts(rule, left, false, out);
            facts(rule, right, false, out);
        }
        ExprKind::UnaryApp {
            op: UnaryOp::Not,
            arg,
        } => facts(rule, arg, !value, out),
        _ if value => rule.guards(expr, out),
        _ => {}
    }
}

/// Records in `reads` the first span of every read in `expr` that `guards` (and the guards
/// inside `expr`) do not cover.
fn walk<R: Reads>(
    rule: &R,
    expr: &Expr,
    guards: &[R::Read],
    fallback: Span,
    reads: &mut BTreeMap<R::Read, Span>,
) {
    let with = |value: bool, test: &Expr| {
        let mut more = guards.to_vec();
        facts(rule, test, value, &mut more);
        more
    };
    if let Some(read) = rule.read(expr) {
        if !rule.guarded(&read, guards) {
            let span = expr_span(expr, fallback);
            reads
                .entry(read)
                .and_modify(|first| {
                    if (span.start, span.end) < (first.start, first.end) {
                        *first = span;
                    }
                })
                .or_insert(span);
        }
        if !R::READS_INSIDE_READS {
            return;
        }
    }
    let mut go = |e: &Expr, g: &[R::Read]| walk(rule, e, g, fallback, reads);
    match expr.expr_kind() {
        ExprKind::And { left, right } => {
            go(left, guards);
            go(right, &with(true, left));
        }
        ExprKind::Or { left, right } => {
            go(left, guards);
            go(right, &with(false, left));
        }
        ExprKind::If {
            test_expr,
            then_expr,
            else_expr,
        } => {
            go(test_expr, guards);
            go(then_expr, &with(true, test_expr));
            go(else_expr, &with(false, test_expr));
        }
        ExprKind::GetAttr { expr, .. }
        | ExprKind::HasAttr { expr, .. }
        | ExprKind::ExtHasAttr { expr, .. }
        | ExprKind::Like { expr, .. }
        | ExprKind::Is { expr, .. }
        | ExprKind::UnaryApp { arg: expr, .. } => go(expr, guards),
        ExprKind::BinaryApp { arg1, arg2, .. } => {
            go(arg1, guards);
            go(arg2, guards);
        }
        ExprKind::ExtensionFunctionApp { args, .. } | ExprKind::Set(args) => {
            for arg in args.iter() {
                go(arg, guards);
            }
        }
        ExprKind::Record(fields) => {
            for value in fields.values() {
                go(value, guards);
            }
        }
        _ => {}
    }
}
