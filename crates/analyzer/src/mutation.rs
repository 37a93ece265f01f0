//! Mutants of a policy set: each changes one place of one policy the way a careless or
//! malicious edit would weaken (or break) it, for `cedarcheck mutants` to ask whether the tests
//! notice. The operators are listed in the README ("Mutation testing") with an example each.
//!
//! A mutation is a replacement of one byte span of a policy file's text, found on Cedar's AST
//! (whose expressions keep their source locations) and, for what the AST does not keep (a
//! comparison's operator, a scope element, a method name), on the text between the spans it
//! does keep. Nothing here checks that a mutant parses or validates: the caller does, and
//! counts those that do not as invalid.

use std::collections::BTreeSet;

use cedar_policy_core::ast::{BinaryOp, Expr, ExprKind, Literal, PatternElem, UnaryOp};

use crate::policy::{expr_span, PolicyUnit};
use crate::policy_set::PolicyKind;
use crate::{policy_syntax, PolicySetInput, Report, Span};

/// How a mutant changes its policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    /// `when { … }` / `unless { … }` removed.
    DropClause,
    /// `a && b` → `a`, and → `b`.
    DropAndOperand,
    /// `a || b` → `a`, and → `b`.
    DropOrOperand,
    /// `==` ↔ `!=`, `<` ↔ `>=`, `<=` ↔ `>`.
    NegateComparison,
    /// A boolean attribute or a `has` test → `true`, and → `false`.
    ConstantCondition,
    /// `principal == X` / `in X` / `is T` → `principal`; the same for `resource`; `action == A`
    /// / `in [...]` → `action`.
    WidenScope,
    /// One element dropped from `action in [A, B, …]`.
    DropAction,
    /// `in` ↔ `==` between entities.
    SwapInEq,
    /// A `like` pattern → `"*"`.
    MatchAnything,
    /// A number, decimal, datetime or duration literal moved by one step either way.
    StepLiteral,
    /// `containsAll` ↔ `containsAny`.
    SwapContains,
}

impl Operator {
    pub const ALL: &'static [Operator] = &[
        Operator::DropClause,
        Operator::DropAndOperand,
        Operator::DropOrOperand,
        Operator::NegateComparison,
        Operator::ConstantCondition,
        Operator::WidenScope,
        Operator::DropAction,
        Operator::SwapInEq,
        Operator::MatchAnything,
        Operator::StepLiteral,
        Operator::SwapContains,
    ];

    /// The operator's name in outputs.
    pub fn id(self) -> &'static str {
        match self {
            Operator::DropClause => "drop-clause",
            Operator::DropAndOperand => "drop-and-operand",
            Operator::DropOrOperand => "drop-or-operand",
            Operator::NegateComparison => "negate-comparison",
            Operator::ConstantCondition => "constant-condition",
            Operator::WidenScope => "widen-scope",
            Operator::DropAction => "drop-action",
            Operator::SwapInEq => "swap-in-eq",
            Operator::MatchAnything => "match-anything",
            Operator::StepLiteral => "step-literal",
            Operator::SwapContains => "swap-contains",
        }
    }
}

/// One mutant: `replacement` in place of `span` of the policy file `file` (an index into
/// [`PolicySetInput::policies`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mutation {
    pub file: usize,
    /// The mutated text.
    pub span: Span,
    pub replacement: String,
    /// The policy's id, as users read it.
    pub policy: String,
    pub operator: Operator,
    /// The text a diff of the mutation shows: `span`, or around it the expression it changes
    /// (a comparison, for its operator).
    pub shown: Span,
}

impl Mutation {
    /// The mutated file's text.
    pub fn apply(&self, text: &str) -> String {
        let mut mutated = String::with_capacity(text.len() + self.replacement.len());
        mutated.push_str(&text[..self.span.start]);
        mutated.push_str(&self.replacement);
        mutated.push_str(&text[self.span.end..]);
        mutated
    }

    /// Where the change shows: the span without the space and comma a removal takes with it.
    pub fn place(&self, text: &str) -> Span {
        let changed = text.get(self.span.start..self.span.end).unwrap_or("");
        let kept = changed.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        Span::new(self.span.start + changed.len() - kept.len(), self.span.end)
    }

    /// The mutation as a one-line diff of the text it changes: `context.mfa → true`. Long
    /// sides are cut in the middle; line breaks and runs of spaces read as one space.
    pub fn describe(&self, text: &str) -> String {
        let (shown, span) = (self.shown, self.span);
        let before = one_line(text.get(shown.start..shown.end).unwrap_or(""));
        let after = one_line(&format!(
            "{}{}{}",
            text.get(shown.start..span.start).unwrap_or(""),
            self.replacement,
            text.get(span.end..shown.end).unwrap_or("")
        ));
        if after.is_empty() {
            format!("{before} → (removed)")
        } else {
            format!("{before} → {after}")
        }
    }
}

/// The text as one line: runs of white space read as one space, a separating comma at
/// either end (of a dropped list element) goes, and a long text is cut in the middle.
/// `text`, the written form of `expr`, in parentheses unless it is one token or already
/// bracketed, so that it keeps its meaning where the operator it replaces stood.
fn parenthesized(text: &str, expr: &Expr) -> String {
    let atomic = matches!(
        expr.expr_kind(),
        ExprKind::Lit(_) | ExprKind::Var(_) | ExprKind::Slot(_) | ExprKind::GetAttr { .. }
    ) || (text.starts_with('(') && text.ends_with(')'));
    if atomic {
        text.to_string()
    } else {
        format!("({text})")
    }
}

fn one_line(text: &str) -> String {
    const MOST: usize = 60;
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == ',');
    let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = words.chars().collect();
    if chars.len() <= MOST {
        return words;
    }
    let head: String = chars[..MOST / 2].iter().collect();
    let tail: String = chars[chars.len() - MOST / 2 + 1..].iter().collect();
    format!("{head}…{tail}")
}

/// Every mutant of the set's policies and templates written in Cedar (a policy from a JSON file
/// or a link has no text of its own to change), in the order of the files and their text.
pub fn mutations(input: &PolicySetInput, report: &Report) -> Vec<Mutation> {
    let files = input.files();
    let mut out = BTreeSet::new();
    for entry in &report.loaded.entries {
        let template = match entry.kind {
            PolicyKind::Link => continue,
            PolicyKind::Static => report
                .loaded
                .set
                .policy(&entry.internal_id)
                .map(|p| p.as_ref().template()),
            PolicyKind::Template => report
                .loaded
                .set
                .template(&entry.internal_id)
                .map(|t| t.as_ref()),
        };
        let (Some(template), Some(&file)) = (template, files.get(entry.file)) else {
            continue;
        };
        if entry.file >= input.policies.len() {
            continue;
        }
        let Some(head) = policy_syntax::scan_head(&file.text, entry.span) else {
            continue;
        };
        let unit = PolicyUnit {
            id: &entry.id,
            file,
            template,
            is_template: entry.kind == PolicyKind::Template,
            has_schema: input.schema.is_some(),
            span: entry.span,
            head: Some(head),
        };
        let mut found = Finder {
            unit: &unit,
            text: &file.text,
            file: entry.file,
            out: &mut out,
        };
        found.scope(&head);
        for clause in unit.clauses() {
            if let Some(whole) = clause_extent(&file.text, clause.span) {
                found.push(whole, String::new(), Operator::DropClause);
            }
            found.expr(clause.body, true);
        }
    }
    out.into_iter().collect()
}

struct Finder<'a, 'b> {
    unit: &'a PolicyUnit<'a>,
    text: &'a str,
    file: usize,
    out: &'b mut BTreeSet<Mutation>,
}

impl<'a> Finder<'a, '_> {
    fn text(&self) -> &'a str {
        self.text
    }

    fn at(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    fn push(&mut self, span: Span, replacement: String, operator: Operator) {
        self.push_shown(span, span, replacement, operator);
    }

    /// [`Finder::push`], with the diff showing `shown` (which holds `span`).
    fn push_shown(&mut self, span: Span, shown: Span, replacement: String, operator: Operator) {
        if self.at(span) == replacement || span.end > self.text().len() {
            return;
        }
        let shown = if shown.start <= span.start && span.end <= shown.end {
            shown
        } else {
            span
        };
        self.out.insert(Mutation {
            file: self.file,
            span,
            replacement,
            policy: self.unit.id.to_string(),
            operator,
            shown,
        });
    }

    fn span(&self, expr: &Expr) -> Option<Span> {
        let span = expr_span(expr, Span::empty_at(usize::MAX));
        (span.start != usize::MAX && span.end <= self.text().len()).then_some(span)
    }

    /// Where `expr` is written. A link of an `&&`/`||` chain ends where its right operand
    /// does (Cedar places every link at the whole chain).
    fn extent(&self, expr: &Expr) -> Option<Span> {
        let span = self.span(expr)?;
        match expr.expr_kind() {
            ExprKind::And { right, .. } | ExprKind::Or { right, .. } => {
                let right = self.extent(right)?;
                (right.end >= span.start).then(|| Span::new(span.start, right.end))
            }
            _ => Some(span),
        }
    }

    fn scope(&mut self, head: &policy_syntax::PolicyHead) {
        for (span, var) in [(head.principal, "principal"), (head.resource, "resource")] {
            let text = self.at(span).to_string();
            if text.trim() == var {
                continue;
            }
            self.push(span, var.to_string(), Operator::WidenScope);
            let rest = text[var.len().min(text.len())..].trim_start();
            if let Some(target) = rest.strip_prefix("==") {
                self.push(
                    span,
                    format!("{var} in {}", target.trim_start()),
                    Operator::SwapInEq,
                );
            } else if let Some(target) = rest.strip_prefix("in") {
                if target.starts_with(char::is_whitespace) {
                    self.push(
                        span,
                        format!("{var} == {}", target.trim_start()),
                        Operator::SwapInEq,
                    );
                }
            }
        }
        let action = self.at(head.action).to_string();
        if action.trim() == "action" {
            return;
        }
        self.push(head.action, "action".into(), Operator::WidenScope);
        let rest = action["action".len().min(action.len())..].trim_start();
        if let Some(list) = rest
            .strip_prefix("in")
            .map(str::trim_start)
            .filter(|l| l.starts_with('['))
        {
            let open = head.action.start + action.len() - list.len();
            let elements = list_elements(self.text(), open);
            if elements.len() > 1 {
                for (i, element) in elements.iter().enumerate() {
                    // The element and the comma after it (before it, for the last).
                    let span = if i + 1 < elements.len() {
                        Span::new(element.start, elements[i + 1].start)
                    } else {
                        Span::new(elements[i - 1].end, element.end)
                    };
                    self.push(span, String::new(), Operator::DropAction);
                }
            }
        } else if let Some(target) = rest.strip_prefix("==") {
            self.push(
                head.action,
                format!("action in{target}"),
                Operator::SwapInEq,
            );
        }
    }

    /// The mutants inside `expr`; `boolean`: whether it stands where a condition does (a
    /// clause's body, an operand of `&&`, `||`, `!`, an `if`'s condition).
    fn expr(&mut self, expr: &Expr, boolean: bool) {
        let Some(span) = self.span(expr) else {
            return self.children(expr);
        };
        match expr.expr_kind() {
            ExprKind::And { left, right } | ExprKind::Or { left, right } => {
                let (operator, written) = if matches!(expr.expr_kind(), ExprKind::And { .. }) {
                    (Operator::DropAndOperand, "&&")
                } else {
                    (Operator::DropOrOperand, "||")
                };
                let (Some(whole), Some(after)) = (self.extent(expr), self.extent(right)) else {
                    return self.children(expr);
                };
                // Cedar places every link of a chain `a && b && c` at the whole chain: the
                // left operand is the text up to the operator before the right one.
                let before = self.at(Span::new(whole.start, after.start)).trim_end();
                let before = before.strip_suffix(written).unwrap_or(before).trim();
                let chain = std::mem::discriminant(left.expr_kind())
                    == std::mem::discriminant(expr.expr_kind());
                // Dropping the right operand keeps the left; dropping the left keeps the
                // right, unless the left is the rest of the chain (its own links drop each).
                self.push(whole, parenthesized(before, left), operator);
                if !chain {
                    let kept = self.at(after).trim();
                    self.push(whole, parenthesized(kept, right), operator);
                }
                return self.children(expr);
            }
            ExprKind::BinaryApp { op, arg1, arg2 } => self.binary(*op, arg1, arg2, span),
            ExprKind::UnaryApp {
                op: UnaryOp::Not,
                arg,
            } => {
                if let ExprKind::BinaryApp { op, arg1, arg2 } = arg.expr_kind() {
                    // `a != b` is `!(a == b)` with the same place.
                    if self.span(arg) == Some(span) {
                        self.binary(*op, arg1, arg2, span);
                        return self.children(arg);
                    }
                }
            }
            ExprKind::GetAttr { .. } | ExprKind::HasAttr { .. } | ExprKind::ExtHasAttr { .. }
                if boolean =>
            {
                self.push(span, "true".into(), Operator::ConstantCondition);
                self.push(span, "false".into(), Operator::ConstantCondition);
            }
            ExprKind::Like { expr: of, pattern } => {
                let anything = matches!(pattern.get_elems(), [PatternElem::Wildcard]);
                if let (false, Some(of)) = (anything, self.span(of)) {
                    let rest = self.at(Span::new(of.end, span.end));
                    if let Some(quote) = rest.find('"') {
                        self.push(
                            Span::new(of.end + quote, span.end),
                            "\"*\"".into(),
                            Operator::MatchAnything,
                        );
                    }
                }
            }
            ExprKind::Lit(Literal::Long(n)) => {
                // Cedar places `-2` at its digits: the minus belongs to the literal.
                let before = self.at(Span::new(0, span.start)).trim_end();
                let span = match before.strip_suffix('-') {
                    Some(rest) if *n < 0 => Span::new(rest.len(), span.end),
                    _ => span,
                };
                for step in [n.checked_add(1), n.checked_sub(1)].into_iter().flatten() {
                    self.push(span, step.to_string(), Operator::StepLiteral);
                }
            }
            ExprKind::ExtensionFunctionApp { fn_name, args }
                if fn_name.to_string() == "datetime" =>
            {
                let text = self.at(span).to_string();
                for step in ["1ms", "-1ms"] {
                    self.push(
                        span,
                        format!("{text}.offset(duration(\"{step}\"))"),
                        Operator::StepLiteral,
                    );
                }
            }
            ExprKind::ExtensionFunctionApp { fn_name, args } => {
                if let [arg] = args.as_slice() {
                    if let (ExprKind::Lit(Literal::String(value)), Some(at)) =
                        (arg.expr_kind(), self.span(arg))
                    {
                        for stepped in step_extension(&fn_name.to_string(), value) {
                            self.push(at, stepped, Operator::StepLiteral);
                        }
                    }
                }
            }
            _ => {}
        }
        self.children(expr);
    }

    fn children(&mut self, expr: &Expr) {
        match expr.expr_kind() {
            ExprKind::And { left, right } | ExprKind::Or { left, right } => {
                self.expr(left, true);
                self.expr(right, true);
            }
            ExprKind::UnaryApp { op, arg } => self.expr(arg, *op == UnaryOp::Not),
            ExprKind::If {
                test_expr,
                then_expr,
                else_expr,
            } => {
                self.expr(test_expr, true);
                self.expr(then_expr, true);
                self.expr(else_expr, true);
            }
            ExprKind::BinaryApp { arg1, arg2, .. } => {
                self.expr(arg1, false);
                self.expr(arg2, false);
            }
            ExprKind::GetAttr { expr, .. }
            | ExprKind::HasAttr { expr, .. }
            | ExprKind::ExtHasAttr { expr, .. }
            | ExprKind::Like { expr, .. }
            | ExprKind::Is { expr, .. } => self.expr(expr, false),
            ExprKind::ExtensionFunctionApp { args, .. } | ExprKind::Set(args) => {
                for arg in args.iter() {
                    self.expr(arg, false);
                }
            }
            ExprKind::Record(fields) => {
                for value in fields.values() {
                    self.expr(value, false);
                }
            }
            _ => {}
        }
    }

    /// The operator of a comparison, `in` or `containsAll`/`containsAny`, mutated where it is
    /// written: between its operands' texts, or as the method's name.
    fn binary(&mut self, op: BinaryOp, arg1: &Expr, arg2: &Expr, span: Span) {
        let (Some(a), Some(b)) = (self.span(arg1), self.span(arg2)) else {
            return;
        };
        let (first, second) = if a.start <= b.start { (a, b) } else { (b, a) };
        match op {
            BinaryOp::Eq | BinaryOp::Less | BinaryOp::LessEq | BinaryOp::In => {
                if first.end > second.start {
                    return;
                }
                let between = self.at(Span::new(first.end, second.start));
                let trimmed = between.trim();
                let start = first.end + (between.len() - between.trim_start().len());
                let at = Span::new(start, start + trimmed.len());
                let (negated, operator) = match trimmed {
                    "==" => ("!=", Operator::NegateComparison),
                    "!=" => ("==", Operator::NegateComparison),
                    "<" => (">=", Operator::NegateComparison),
                    ">=" => ("<", Operator::NegateComparison),
                    "<=" => (">", Operator::NegateComparison),
                    ">" => ("<=", Operator::NegateComparison),
                    "in" if !matches!(arg2.expr_kind(), ExprKind::Set(_)) => {
                        ("==", Operator::SwapInEq)
                    }
                    _ => return,
                };
                let whole = Span::new(first.start, second.end);
                self.push_shown(at, whole, negated.into(), operator);
                if trimmed == "==" && entity_like(arg2) {
                    self.push_shown(at, whole, "in".into(), Operator::SwapInEq);
                }
            }
            BinaryOp::ContainsAll | BinaryOp::ContainsAny => {
                let (from, to) = if op == BinaryOp::ContainsAll {
                    ("containsAll", "containsAny")
                } else {
                    ("containsAny", "containsAll")
                };
                // The receiver's place may cover the whole call: the name is the last one
                // before the argument.
                if let Some(found) = self.at(Span::new(span.start, b.start)).rfind(from) {
                    let start = span.start + found;
                    self.push(
                        Span::new(start, start + from.len()),
                        to.into(),
                        Operator::SwapContains,
                    );
                }
            }
            _ => {}
        }
    }
}

/// The whole clause whose place Cedar keeps as `span` (for `when`, only the expression between
/// the braces; for `unless`, the whole clause), with the space before it: what dropping it
/// removes.
fn clause_extent(text: &str, span: Span) -> Option<Span> {
    let (mut start, mut end) = (span.start, span.end);
    let mut before = text.get(..start)?.trim_end();
    let mut after = text.get(end..)?;
    // `when { (a || b) }`: Cedar places the body inside its parentheses.
    while let Some(open) = before.strip_suffix('(') {
        let close = after.trim_start().strip_prefix(')')?;
        before = open.trim_end();
        after = close;
    }
    if let Some(open) = before.strip_suffix('{') {
        let keyword = open.trim_end().strip_suffix("when")?;
        start = keyword.len();
        let close = after.trim_start().strip_prefix('}')?;
        end = text.len() - close.len();
    }
    // The spaces before the clause go with it, not a line break (it may end a comment).
    let kept = text.get(..start)?.trim_end_matches([' ', '\t']);
    Some(Span::new(kept.len(), end))
}

/// Whether `expr` is written as an entity: a literal `T::"id"`, a slot, `principal` or
/// `resource` (what `in` also takes).
fn entity_like(expr: &Expr) -> bool {
    use cedar_policy_core::ast::Var;
    match expr.expr_kind() {
        ExprKind::Lit(Literal::EntityUID(_)) | ExprKind::Slot(_) => true,
        ExprKind::Var(var) => matches!(var, Var::Principal | Var::Resource),
        _ => false,
    }
}

/// The byte spans of the elements of the `[…]` list whose `[` is at `open` (strings kept
/// whole; nested brackets inside elements are kept too).
fn list_elements(text: &str, open: usize) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut elements = Vec::new();
    let (mut depth, mut i, mut start) = (0usize, open + 1, None::<usize>);
    let mut last_end = i;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|&b| b != b'\n' && b != b'\r') {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                start.get_or_insert(i);
                i += 1;
                while let Some(&s) = bytes.get(i) {
                    i += 1;
                    match s {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
                last_end = i;
                continue;
            }
            b'[' | b'(' => depth += 1,
            b']' | b')' if depth > 0 => depth -= 1,
            b']' => {
                if let Some(s) = start {
                    elements.push(Span::new(s, last_end));
                }
                return elements;
            }
            b',' if depth == 0 => {
                if let Some(s) = start.take() {
                    elements.push(Span::new(s, last_end));
                }
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                start.get_or_insert(i);
                last_end = i + 1;
                i += 1;
                continue;
            }
        }
        if !matches!(c, b',' | b' ' | b'\t' | b'\n' | b'\r') {
            start.get_or_insert(i);
            last_end = i + 1;
        }
        i += 1;
    }
    Vec::new()
}

/// The string argument of a `decimal`, `datetime` or `duration` literal moved one step up and
/// down: the last digit of a decimal, a millisecond of a datetime, one of a duration's last unit.
fn step_extension(function: &str, value: &str) -> Vec<String> {
    let quote = |s: String| format!("\"{s}\"");
    match function {
        "decimal" => {
            let Some((whole, fraction)) = value.split_once('.') else {
                return Vec::new();
            };
            let digits = format!("{whole}{fraction}");
            let Ok(n) = digits.parse::<i64>() else {
                return Vec::new();
            };
            let places = fraction.len();
            [n.checked_add(1), n.checked_sub(1)]
                .into_iter()
                .flatten()
                .map(|m| {
                    let sign = if m < 0 { "-" } else { "" };
                    let m = m.unsigned_abs().to_string();
                    let m = format!("{m:0>width$}", width = places + 1);
                    let (w, f) = m.split_at(m.len() - places);
                    quote(format!("{sign}{w}.{f}"))
                })
                .collect()
        }
        "duration" => {
            // The last number of the duration, e.g. `30` of "1h30m".
            let bytes = value.as_bytes();
            let Some(end) = bytes.iter().rposition(u8::is_ascii_digit) else {
                return Vec::new();
            };
            let start = bytes[..end]
                .iter()
                .rposition(|b| !b.is_ascii_digit())
                .map_or(0, |i| i + 1);
            let Ok(n) = value[start..=end].parse::<u64>() else {
                return Vec::new();
            };
            let mut stepped = vec![n.saturating_add(1)];
            if n > 0 {
                stepped.push(n - 1);
            }
            stepped
                .into_iter()
                .map(|m| quote(format!("{}{m}{}", &value[..start], &value[end + 1..])))
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check, Settings, SourceFile};

    fn mutants(policy: &str) -> Vec<(String, String)> {
        let input = PolicySetInput {
            policies: vec![SourceFile::new("p.cedar", policy)],
            ..PolicySetInput::default()
        };
        let report = check(&input, &Settings::default());
        mutations(&input, &report)
            .iter()
            .map(|m| (m.operator.id().to_string(), m.apply(policy)))
            .collect()
    }

    fn has(all: &[(String, String)], operator: &str, text: &str) -> bool {
        all.iter().any(|(o, t)| o == operator && t == text)
    }

    #[test]
    fn every_operator_changes_the_text_as_the_readme_says() {
        let p = r#"permit (principal == Ops::Agent::"a", action in [Ops::Action::"Get", Ops::Action::"Put"], resource in Ops::Env::"prod")
when { context.mfa && resource.tier < 3 }
unless { context.ip like "10.*" || resource.tags.containsAll(["x"]) };"#;
        let all = mutants(p);
        let expect = [
            ("drop-clause", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\n;"),
            ("drop-clause", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\n\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("drop-and-operand", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("drop-and-operand", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { (resource.tier < 3) }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("negate-comparison", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier >= 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("constant-condition", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { true && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("widen-scope", "permit (principal, action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("widen-scope", "permit (principal == Ops::Agent::\"a\", action, resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("drop-action", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("drop-action", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("swap-in-eq", "permit (principal in Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("swap-in-eq", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource == Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("match-anything", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"*\" || resource.tags.containsAll([\"x\"]) };"),
            ("step-literal", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 4 }\nunless { context.ip like \"10.*\" || resource.tags.containsAll([\"x\"]) };"),
            ("swap-contains", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { context.ip like \"10.*\" || resource.tags.containsAny([\"x\"]) };"),
            ("drop-or-operand", "permit (principal == Ops::Agent::\"a\", action in [Ops::Action::\"Get\", Ops::Action::\"Put\"], resource in Ops::Env::\"prod\")\nwhen { context.mfa && resource.tier < 3 }\nunless { (resource.tags.containsAll([\"x\"])) };"),
        ];
        for (operator, text) in expect {
            assert!(has(&all, operator, text), "{operator}: {text}\nin {all:#?}");
        }
        // Every operator but the datetime-free ones above is exercised.
        let used: BTreeSet<&str> = all.iter().map(|(o, _)| o.as_str()).collect();
        for operator in Operator::ALL {
            assert!(used.contains(operator.id()), "{}", operator.id());
        }
    }

    #[test]
    fn comparisons_written_with_not_and_greater_are_negated_where_written() {
        let policy = r#"forbid (principal, action, resource) when { resource.owner != principal && context.n > 2 && context.m >= 1 && context.k <= 0 };"#;
        let all = mutants(policy);
        for (from, to) in [
            ("resource.owner != principal", "resource.owner == principal"),
            ("context.n > 2", "context.n <= 2"),
            ("context.m >= 1", "context.m < 1"),
            ("context.k <= 0", "context.k > 0"),
        ] {
            let expected = policy.replace(from, to);
            assert!(
                has(&all, "negate-comparison", &expected),
                "{to} in {all:#?}"
            );
        }
        // Scopes that are already unconstrained are not widened.
        assert!(!all.iter().any(|(o, _)| o == "widen-scope"));
    }

    #[test]
    fn each_operand_of_a_chain_is_dropped_alone() {
        let policy =
            "permit (principal, action, resource) when { context.a && context.b && context.c };";
        let dropped: BTreeSet<String> = mutants(policy)
            .into_iter()
            .filter(|(o, _)| o == "drop-and-operand")
            .map(|(_, t)| t)
            .collect();
        let expected: BTreeSet<String> = [
            "(context.a && context.b)",
            "context.a && context.c",
            "context.b && context.c",
        ]
        .iter()
        .map(|kept| policy.replace("context.a && context.b && context.c", kept))
        .collect();
        assert_eq!(dropped, expected);
    }

    #[test]
    fn written_forms_the_ast_forgets_are_mutated_as_written() {
        // A negative literal keeps its minus.
        let all = mutants("permit (principal, action, resource) when { resource.tier >= -2 };");
        for to in ["-1", "-3"] {
            let text =
                format!("permit (principal, action, resource) when {{ resource.tier >= {to} }};");
            assert!(has(&all, "step-literal", &text), "{text}\nin {all:#?}");
        }
        // A parenthesised body is dropped with its clause.
        let policy = "permit (principal, action, resource)\nwhen { (context.a || context.b) };";
        assert!(has(
            &mutants(policy),
            "drop-clause",
            "permit (principal, action, resource)\n;"
        ));
        // A clause after a comment leaves the comment's line break.
        let policy = "permit (principal, action, resource)\n// why\nunless { context.b };";
        assert!(has(
            &mutants(policy),
            "drop-clause",
            "permit (principal, action, resource)\n// why\n;"
        ));
        // `==` without spaces; a comment inside an action list.
        let policy = "permit (principal==A::\"a\", action in [Action::\"r\", // the \"main\" one\n Action::\"w\"], resource);";
        let all = mutants(policy);
        assert!(
            has(
                &all,
                "swap-in-eq",
                &policy.replace("principal==A", "principal in A")
            ),
            "{all:#?}"
        );
        assert!(
            has(
                &all,
                "drop-action",
                &policy.replace(", // the \"main\" one\n Action::\"w\"", "")
            ),
            "{all:#?}"
        );
        assert!(
            has(
                &all,
                "drop-action",
                &policy.replace("Action::\"r\", // the \"main\" one\n ", "")
            ),
            "{all:#?}"
        );
    }

    #[test]
    fn extension_literals_move_by_one_step() {
        assert_eq!(step_extension("decimal", "1.50"), ["\"1.51\"", "\"1.49\""]);
        assert_eq!(step_extension("decimal", "0.0"), ["\"0.1\"", "\"-0.1\""]);
        assert_eq!(
            step_extension("duration", "1h30m"),
            ["\"1h31m\"", "\"1h29m\""]
        );
        assert_eq!(step_extension("duration", "0ms"), ["\"1ms\""]);
        assert_eq!(step_extension("ip", "10.0.0.1"), Vec::<String>::new());
    }

    #[test]
    fn the_description_is_a_one_line_diff() {
        let text = "permit (principal, action, resource) when {\n  context.mfa\n};";
        let start = text.find("context.mfa").unwrap();
        let m = Mutation {
            file: 0,
            span: Span::new(start, start + "context.mfa".len()),
            replacement: "true".into(),
            policy: "p".into(),
            operator: Operator::ConstantCondition,
            shown: Span::new(start, start + "context.mfa".len()),
        };
        assert_eq!(m.describe(text), "context.mfa → true");
        assert_eq!(m.place(text), m.span);
        // A dropped list element shows at the element, without its comma.
        let list = r#"permit (principal, action in [A::"x", A::"y"], resource);"#;
        let comma = list.find(", A::\"y\"").unwrap();
        let dropped = Mutation {
            span: Span::new(comma, comma + r#", A::"y""#.len()),
            shown: Span::new(comma, comma + r#", A::"y""#.len()),
            replacement: String::new(),
            operator: Operator::DropAction,
            ..m.clone()
        };
        assert_eq!(dropped.place(list).start, comma + 2);
        assert_eq!(dropped.describe(list), r#"A::"y" → (removed)"#);
        // A comparison's operator shows with its operands, where it is.
        let policy =
            "permit (principal, action, resource) when { context.n == 1 && context.m == 2 };";
        let input = PolicySetInput {
            policies: vec![SourceFile::new("p.cedar", policy)],
            ..PolicySetInput::default()
        };
        let report = check(&input, &Settings::default());
        let negated: Vec<(String, usize)> = mutations(&input, &report)
            .iter()
            .filter(|m| m.operator == Operator::NegateComparison)
            .map(|m| (m.describe(policy), m.place(policy).start))
            .collect();
        assert_eq!(
            negated,
            [
                (
                    "context.n == 1 → context.n != 1".to_string(),
                    policy.find("==").unwrap()
                ),
                (
                    "context.m == 2 → context.m != 2".to_string(),
                    policy.rfind("==").unwrap()
                ),
            ]
        );
        assert_eq!(
            m.apply(text),
            "permit (principal, action, resource) when {\n  true\n};"
        );
    }
}
