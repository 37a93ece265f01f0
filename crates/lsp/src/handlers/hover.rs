//! Hover: on a diagnostic, its rule's summary and documentation (what `cedarcheck rules ID`
//! prints); on an entity type or action, its declaration in the set's schema.

use tower_lsp_server::ls_types::{
    Hover, HoverContents, HoverParams, MarkupContent, MarkupKind, NumberOrString,
};

use crate::from_proto;
use crate::handlers::definition;
use crate::server::{lock, State};

pub fn hover(state: &State, params: &HoverParams) -> Option<Hover> {
    let position = &params.text_document_position_params;
    let uri = &position.text_document.uri;
    let published = lock(&state.diagnostics).published(uri);
    let mut rules: Vec<&'static cedarcheck_analyzer::Rule> = Vec::new();
    let mut range = None;
    for diagnostic in &published {
        let r = diagnostic.range;
        let on = (r.start <= position.position && position.position <= r.end)
            || (r.start == r.end && r.start.line == position.position.line);
        let Some(NumberOrString::String(code)) = &diagnostic.code else {
            continue;
        };
        if let (true, Some(rule)) = (on, cedarcheck_analyzer::rule(code)) {
            if !rules.iter().any(|known| known.id == rule.id) {
                rules.push(rule);
                range.get_or_insert(r);
            }
        }
    }
    // What the schema says about a name under the cursor comes first, then the rules of the
    // findings there.
    let mut sections: Vec<String> = schema_hover(state, params).into_iter().collect();
    sections.extend(rules.iter().map(|rule| rule_markdown(rule)));
    if sections.is_empty() {
        return None;
    }
    Some(markdown(sections.join("\n\n---\n\n"), range))
}

/// A rule as `cedarcheck rules ID` shows it.
pub fn rule_markdown(rule: &cedarcheck_analyzer::Rule) -> String {
    format!(
        "**{}** ({}, default {})\n\n{}\n\n{}",
        rule.id,
        rule.category.as_str(),
        rule.default_level,
        rule.summary,
        rule.doc.trim_end()
    )
}

fn schema_hover(state: &State, params: &HoverParams) -> Option<String> {
    let position = &params.text_document_position_params;
    let (text, index) = state.text(&position.text_document.uri)?;
    let offset = from_proto::offset(&text, &index, position.position);
    let name = definition::name_at(&text, offset)?;
    let (schema_path, schema, _) = definition::schema_of(state, &position.text_document.uri)?;
    let (_, whole) = definition::declaration(&schema, &name)?;
    let what = match &name {
        definition::Name::EntityType(path) => format!("entity type `{path}`"),
        definition::Name::Action(id) => format!("action `\"{id}\"`"),
    };
    let file = schema_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let language = if schema.trim_start().starts_with('{') {
        "json"
    } else {
        "cedarschema"
    };
    let declared = &schema[whole.start..whole.end];
    Some(format!(
        "{what}, declared in `{file}`:\n\n```{language}\n{declared}\n```"
    ))
}

fn markdown(value: String, range: Option<tower_lsp_server::ls_types::Range>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range,
    }
}
