//! Whole-document formatting with the formatter `cedarcheck fmt` uses
//! ([`cedarcheck_analyzer::ide::format`]: `cedar format`'s output, and the same "does it
//! parse" gate). A document that does not parse is left alone.

use cedarcheck_analyzer::ide::{self, FormatError};
use cedarcheck_analyzer::SourceFile;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{DocumentFormattingParams, TextEdit};

use crate::state::State;
use crate::{tasks, to_proto};

pub fn format(
    state: &State,
    params: &DocumentFormattingParams,
) -> jsonrpc::Result<Option<Vec<TextEdit>>> {
    let uri = &params.text_document.uri;
    if !uri.path().as_str().ends_with(".cedar") {
        return Ok(None);
    }
    let Some((text, index)) = state.text(uri) else {
        return Ok(None);
    };
    let source = SourceFile::new(uri.path().as_str(), text.clone());
    let formatted = match ide::format(&source) {
        Ok(formatted) => formatted,
        Err(FormatError::DoesNotParse(_)) => return Ok(None),
        Err(error @ FormatError::Formatter(_)) => {
            return Err(tasks::internal_error(error.to_string()))
        }
    };
    if *formatted == *text {
        return Ok(Some(Vec::new()));
    }
    let whole = cedarcheck_analyzer::Span::new(0, text.len());
    Ok(Some(vec![TextEdit {
        range: to_proto::range(&text, &index, whole),
        new_text: formatted,
    }]))
}
