//! Running analysis work off the protocol's task: on its own thread with the large stack
//! Cedar's recursive parser needs, with panics caught and turned into errors, so that a bug in
//! one analysis answers one request with an error instead of ending the server.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Mutex, MutexGuard};

use futures::FutureExt;
use tower_lsp_server::jsonrpc;

/// Why work run by [`blocking`] gave no result.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("cannot start an analysis thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// The panic's message.
    #[error("{0}")]
    Panicked(String),
    #[error("the analysis thread ended without an answer")]
    NoAnswer,
}

/// Runs `f` on a fresh thread; `Err` says why there is no result (the panic message when it
/// panicked).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TaskError> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("cedarcheck-lsp-analysis".into())
        .stack_size(cedarcheck_analyzer::ANALYSIS_STACK_SIZE)
        .spawn(move || {
            let _ = sender.send(std::panic::catch_unwind(AssertUnwindSafe(f)));
        })
        .map_err(TaskError::Spawn)?;
    match receiver.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(TaskError::Panicked(panic_message(&*panic))),
        Err(_) => Err(TaskError::NoAnswer),
    }
}

/// Awaits a request handler; a panic becomes an `InternalError` response.
pub async fn guarded<T>(future: impl Future<Output = jsonrpc::Result<T>>) -> jsonrpc::Result<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(internal_error(panic_message(&*panic))),
    }
}

pub fn internal_error(message: impl std::fmt::Display) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InternalError,
        message: format!("cedarcheck: internal error: {message}").into(),
        data: None,
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".into())
}

/// Locks ignoring poisoning: a panicking handler never leaves the server's state half-updated
/// (its locks are only held for plain assignments), and the server must keep answering.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
