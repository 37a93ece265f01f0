//! `cedarcheck lsp`: cedarcheck's findings, live in the editor.
//!
//! The server is wiring (taplo's and rust-analyzer's shape), in layers where each module
//! imports only modules below it:
//! - [`server`] receives the protocol's messages and hands each feature to its handler under
//!   [`handlers`]; handlers are leaves that only the server calls.
//! - [`state`] is what they share: the open documents ([`documents`], text sync only), the
//!   diagnostics store ([`diagnostics`]), the deep jobs ([`deep`]), the last test runs
//!   ([`test_runs`]) and the caches. [`publish`] sends diagnostics from the store to the client.
//! - [`analysis`] is the one place that calls the analysis core, over its view of the files
//!   ([`analysis::Overlay`]: the buffers in place of the disk); [`names`] finds the schema
//!   of a file's set for definition and hover, which are computed by the core's
//!   `cedarcheck_analyzer::ide`.
//! - every conversion between LSP types and the core's byte spans lives in [`from_proto`] and
//!   [`to_proto`]; [`tasks`] runs work off the protocol's task and holds the one `lock`.
//! - [`watch`] says which files changed outside the editor (for clients that watch none for
//!   the server); `handlers::watched_files` turns those changes into refreshes.

pub mod analysis;
pub mod deep;
pub mod diagnostics;
pub mod documents;
mod framing;
pub mod from_proto;
pub mod handlers;
pub mod names;
pub mod publish;
mod scan;
pub mod server;
pub mod state;
pub mod tasks;
pub mod test_runs;
pub mod to_proto;
pub mod watch;

pub use server::Server;

use tower_lsp_server::{LspService, Server as Transport};

/// Serves LSP on `input`/`output` until the client sends `exit` or closes the stream. Returns
/// the process exit code: 0 after a `shutdown` request, 1 otherwise (as the protocol asks).
pub async fn serve<I, O>(input: I, output: O) -> i32
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = LspService::build(Server::new)
        .custom_method(framing::MALFORMED, Server::malformed_message)
        .finish();
    let state = service.inner().state();
    let (guarded, checked) = tokio::io::duplex(1 << 20);
    let guard = tokio::spawn(framing::guard(input, guarded));
    Transport::new(checked, output, socket).serve(service).await;
    guard.abort();
    if state.shut_down() {
        0
    } else {
        1
    }
}

/// `cedarcheck lsp`: serves on stdin/stdout and returns the exit code.
pub fn run_stdio() -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cedarcheck: error: cannot start the language server: {e}");
            return 2;
        }
    };
    let code = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // Deep analyses still running belong to a client that is gone.
    runtime.shutdown_background();
    code
}
