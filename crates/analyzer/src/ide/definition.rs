//! Go to definition: from an entity type or action named in a policy to its declaration in
//! the set's schema (Cedar or JSON syntax).

use super::names::{self, Name};
use crate::Span;

/// Where the schema declares what a policy names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    /// What the policy names at the position.
    pub name: Name,
    /// The declared name in the schema text: what the editor jumps to.
    pub span: Span,
    /// The whole declaration in the schema text.
    pub declaration: Span,
}

/// The declaration in `schema` (a schema's text) of the entity type or action named at byte
/// `offset` of `text`; `None` off a name, or for a name the schema does not declare.
pub fn definition(text: &str, offset: usize, schema: &str) -> Option<Definition> {
    // A comment names nothing, whatever words it holds.
    if crate::lexer::in_comment(text, offset) {
        return None;
    }
    let name = names::name_at(text, offset)?;
    let (span, declaration) = names::declaration(schema, &name)?;
    Some(Definition {
        name,
        span,
        declaration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "namespace Ops {\n  entity Agent;\n  action \"read logs\" appliesTo { principal: [Agent], resource: Agent };\n}\n";

    #[test]
    fn a_name_in_a_comment_leads_nowhere() {
        let policy =
            "// principal is Ops::Agent here\npermit(principal is Ops::Agent, action, resource);";
        let in_comment = policy.find("Agent").unwrap() + 1;
        assert_eq!(definition(policy, in_comment, SCHEMA), None);
        let in_code = policy.rfind("Agent").unwrap() + 1;
        assert!(definition(policy, in_code, SCHEMA).is_some());
        // A lone carriage return ends a comment, as in Cedar.
        let policy = "// c\rpermit(principal is Ops::Agent, action, resource);";
        assert!(definition(policy, policy.find("Agent").unwrap() + 1, SCHEMA).is_some());
    }

    #[test]
    fn a_name_leads_to_its_declaration() {
        let policy =
            "permit(principal is Ops::Agent, action == Ops::Action::\"read logs\", resource);";
        let on = |needle: &str| definition(policy, policy.find(needle).unwrap() + 1, SCHEMA);
        assert_eq!(
            on("Agent"),
            Some(Definition {
                name: Name::EntityType("Ops::Agent".into()),
                span: Span::new(25, 30),
                declaration: Span::new(18, 31),
            })
        );
        assert_eq!(&SCHEMA[25..30], "Agent");
        assert_eq!(&SCHEMA[18..31], "entity Agent;");
        let action = on("logs").unwrap();
        assert_eq!(action.name, Name::Action("read logs".into()));
        assert_eq!(action.span, Span::new(41, 52));
        assert_eq!(&SCHEMA[41..52], "\"read logs\"");
        assert_eq!(on("principal"), None);
        assert_eq!(
            definition(
                "permit(principal is Ops::Nope, action, resource);",
                27,
                SCHEMA
            ),
            None
        );
        // Positions anywhere, even past the end or inside a character, are no error.
        let text = "permit(principal == Ops::Agent::\"é\", action, resource);";
        for at in 0..=text.len() + 2 {
            let _ = definition(text, at, SCHEMA);
        }
    }
}
