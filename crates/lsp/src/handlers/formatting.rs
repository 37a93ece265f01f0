//! Whole-document formatting with the formatter `cedarcheck fmt` uses (cedar-policy-formatter,
//! `cedar format`'s defaults). A document that does not parse is left alone.

use cedar_policy_formatter::{policies_str_to_pretty, Config};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{DocumentFormattingParams, TextEdit};

use crate::state::State;
use crate::{tasks, to_proto};

/// What `cedar format` and `cedarcheck fmt` use: 80 columns, 2-space indent.
fn config() -> Config {
    Config {
        line_width: 80,
        indent_width: 2,
    }
}

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
    // Only text Cedar parses is formatted (the formatter drops what it cannot read).
    if crate::analysis::policies_in(&text).is_none() {
        return Ok(None);
    }
    let formatted = policies_str_to_pretty(&text, &config()).map_err(|error| {
        let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
        tasks::internal_error(format!("the Cedar formatter failed: {}", chain.join(": ")))
    })?;
    if *formatted == *text {
        return Ok(Some(Vec::new()));
    }
    let whole = cedarcheck_analyzer::Span::new(0, text.len());
    Ok(Some(vec![TextEdit {
        range: to_proto::range(&text, &index, whole),
        new_text: formatted,
    }]))
}
