//! `cedarcheck lsp`: the language server on stdio (crates/lsp). Exit code 0 after the
//! client's `shutdown` and `exit`, 1 when it exits without `shutdown`.

pub fn run() -> u8 {
    u8::try_from(cedarcheck_lsp::run_stdio()).unwrap_or(crate::exit::TOOL_ERROR)
}
