//! Document symbols: every policy and template of a policy file, by id, with its effect.

use std::str::FromStr;

use crate::policy_syntax::{excessive_nesting, Syntax};
use crate::Span;

/// What a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Policy,
    Template,
}

/// A policy or template of a policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Its `@id`, else Cedar's `policyN`.
    pub name: String,
    /// Whether `name` is an `@id` (not empty).
    pub has_id: bool,
    pub kind: SymbolKind,
    /// `permit` or `forbid`.
    pub effect: &'static str,
    /// The whole policy, annotations included.
    pub span: Span,
}

impl Symbol {
    /// Its effect, and whether it is a template: `permit`, `forbid template`.
    pub fn detail(&self) -> String {
        match self.kind {
            SymbolKind::Policy => self.effect.to_string(),
            SymbolKind::Template => format!("{} template", self.effect),
        }
    }
}

/// The policies and templates of the policy text `text` in file order; `None` when Cedar
/// does not parse it, or when it is nested deeper than `check` parses (Cedar's recursive
/// parser would run out of stack).
pub fn symbols(text: &str) -> Option<Vec<Symbol>> {
    if excessive_nesting(text, Syntax::Policies).is_some() {
        return None;
    }
    let parsed = cedar_policy::PolicySet::from_str(text).ok()?;
    let effect = |effect: cedar_policy::Effect| match effect {
        cedar_policy::Effect::Permit => "permit",
        cedar_policy::Effect::Forbid => "forbid",
    };
    let symbol = |cedar_id: &cedar_policy::PolicyId,
                  annotation: Option<&str>,
                  loc: Option<&cedar_policy_core::parser::Loc>,
                  effect: &'static str,
                  kind: SymbolKind| {
        let span = loc.map_or(Span::empty_at(0), |l| Span::new(l.start(), l.end()));
        let annotated = annotation.filter(|id| !id.is_empty());
        Symbol {
            name: annotated.map_or_else(|| cedar_id.to_string(), str::to_string),
            has_id: annotated.is_some(),
            kind,
            effect,
            span,
        }
    };
    let mut symbols: Vec<Symbol> = parsed
        .policies()
        .map(|p| {
            symbol(
                p.id(),
                p.annotation("id"),
                p.as_ref().loc(),
                effect(p.effect()),
                SymbolKind::Policy,
            )
        })
        .chain(parsed.templates().map(|t| {
            symbol(
                t.id(),
                t.annotation("id"),
                t.as_ref().loc(),
                effect(t.effect()),
                SymbolKind::Template,
            )
        }))
        .collect();
    symbols.sort_by_key(|symbol| symbol.span.start);
    Some(symbols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_and_templates_in_file_order() {
        let text = "@id(\"ops\")\npermit(principal, action, resource);\n// note\nforbid(principal == ?principal, action, resource);\n@id(\"\")\npermit(principal, action, resource) when { true };";
        let symbols = symbols(text).unwrap();
        assert_eq!(
            symbols,
            vec![
                Symbol {
                    name: "ops".into(),
                    has_id: true,
                    kind: SymbolKind::Policy,
                    effect: "permit",
                    span: Span::new(0, 47),
                },
                Symbol {
                    name: "policy1".into(),
                    has_id: false,
                    kind: SymbolKind::Template,
                    effect: "forbid",
                    span: Span::new(56, 106),
                },
                Symbol {
                    name: "policy2".into(),
                    has_id: false,
                    kind: SymbolKind::Policy,
                    effect: "permit",
                    span: Span::new(107, text.len()),
                },
            ]
        );
        // Cedar numbers policies and templates together, `@id` or not.
        assert!(text[56..106].starts_with("forbid(") && text[56..106].ends_with(';'));
        assert!(text[107..].starts_with("@id(\"\")"));
        assert_eq!(symbols[1].detail(), "forbid template");
        assert_eq!(symbols[2].detail(), "permit");
        assert_eq!(super::symbols("permit(principal"), None);
        assert_eq!(super::symbols(""), Some(Vec::new()));
        let depth = crate::policy_syntax::MAX_NESTING + 1;
        let deep = format!(
            "permit(principal, action, resource) when {{ {}true{} }};",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        assert_eq!(super::symbols(&deep), None);
    }
}
