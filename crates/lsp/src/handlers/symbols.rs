//! Document symbols: every policy and template by id, with its effect
//! ([`cedarcheck_analyzer::ide::symbols`]).

use cedarcheck_analyzer::ide::{self, SymbolKind as Kind};
use tower_lsp_server::ls_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolKind,
};

use crate::state::State;
use crate::to_proto;

pub fn document_symbols(
    state: &State,
    params: &DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let (text, index) = state.text(&params.text_document.uri)?;
    let symbols = ide::symbols(&text)?;
    #[expect(deprecated, reason = "`deprecated` is a required field of the struct")]
    let symbols = symbols
        .into_iter()
        .map(|symbol| {
            let range = to_proto::range(&text, &index, symbol.span);
            DocumentSymbol {
                detail: Some(symbol.detail()),
                name: symbol.name,
                kind: match symbol.kind {
                    Kind::Policy => SymbolKind::FUNCTION,
                    Kind::Template => SymbolKind::CLASS,
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
