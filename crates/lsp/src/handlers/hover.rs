//! Hover: what the schema declares about the attribute or name under the cursor
//! ([`cedarcheck_analyzer::ide::hover`], over the buffer and the schema the editor has), then
//! on a diagnostic its rule's summary and documentation (what `cedarcheck rules ID` prints).

use cedarcheck_analyzer::ide;
use tower_lsp_server::ls_types::{
    Hover, HoverContents, HoverParams, MarkupContent, MarkupKind, NumberOrString,
};

use crate::names;
use crate::state::State;
use crate::tasks::lock;
use crate::{from_proto, to_proto};

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
    let mut sections: Vec<String> = Vec::new();
    if let Some((text, index, found)) = schema_hover(state, params) {
        if let Some(span) = found.span {
            range = Some(to_proto::range(&text, &index, span));
        }
        sections.push(found.markdown);
    }
    sections.extend(rules.iter().map(|rule| ide::rule_markdown(rule)));
    if sections.is_empty() {
        return None;
    }
    Some(markdown(
        sections.join(ide::hover::SECTION_SEPARATOR),
        range,
    ))
}

/// The core's hover over the buffer and the schema of its set, with the buffer's text and
/// line index for the span.
fn schema_hover(
    state: &State,
    params: &HoverParams,
) -> Option<(
    std::sync::Arc<str>,
    std::sync::Arc<cedarcheck_analyzer::LineIndex>,
    ide::Hover,
)> {
    let position = &params.text_document_position_params;
    let uri = &position.text_document.uri;
    let (text, index) = state.text(uri)?;
    let offset = from_proto::offset(&text, &index, position.position);
    let (schema_path, schema, _) = names::schema_of(&state.overlay(), &state.folders(), uri)?;
    let file_name = schema_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let schema = ide::SchemaText {
        text: &schema,
        file_name: &file_name,
    };
    // Attribute accesses are read in policy files only.
    let policies = uri.path().as_str().ends_with(".cedar");
    let found = ide::hover(&text, offset, policies, schema)?;
    Some((text, index, found))
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
