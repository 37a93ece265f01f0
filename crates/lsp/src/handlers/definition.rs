//! Go to definition from an entity type or action in a policy to its declaration in the
//! set's schema (Cedar or JSON syntax): [`cedarcheck_analyzer::ide::definition`] over the
//! buffer and the schema the editor has.

use cedarcheck_analyzer::ide;
use tower_lsp_server::ls_types::{GotoDefinitionParams, GotoDefinitionResponse, Location};

use crate::names::schema_of;
use crate::state::State;
use crate::{from_proto, to_proto};

pub fn definition(state: &State, params: &GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let position = &params.text_document_position_params;
    let (text, index) = state.text(&position.text_document.uri)?;
    let offset = from_proto::offset(&text, &index, position.position);
    let (schema_path, schema, schema_index) = schema_of(
        &state.overlay(),
        &state.folders(),
        &position.text_document.uri,
    )?;
    let found = ide::definition(&text, offset, &schema)?;
    Some(GotoDefinitionResponse::Scalar(Location {
        uri: to_proto::uri_of(&state.overlay(), &schema_path)?,
        range: to_proto::range(&schema, &schema_index, found.span),
    }))
}
