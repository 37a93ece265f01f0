//! Document symbols: every policy and template by id, with its effect.

use tower_lsp_server::ls_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolKind,
};

use crate::analysis;
use crate::state::State;
use crate::to_proto;

pub fn document_symbols(
    state: &State,
    params: &DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let (text, index) = state.text(&params.text_document.uri)?;
    let policies = analysis::policies_in(&text)?;
    #[expect(deprecated, reason = "`deprecated` is a required field of the struct")]
    let symbols = policies
        .into_iter()
        .map(|policy| {
            let range = to_proto::range(&text, &index, policy.span);
            DocumentSymbol {
                name: policy.id,
                detail: Some(if policy.template {
                    format!("{} template", policy.effect)
                } else {
                    policy.effect.to_string()
                }),
                kind: if policy.template {
                    SymbolKind::CLASS
                } else {
                    SymbolKind::FUNCTION
                },
                tags: None,
                deprecated: None,
                range,
                selection_range: range,
                children: None,
            }
        })
        .collect();
    Some(DocumentSymbolResponse::Nested(symbols))
}
