//! The protocol side: capabilities, document sync, and one call per feature into
//! [`crate::handlers`]. Request handlers run under [`tasks::guarded`], so a panic answers the
//! request with an error; notifications start their work on analysis threads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::handlers::{self, code_lens, diagnostics, rule_docs, watched_files};
use crate::state::State;
use crate::watch::{self, Change};
use crate::{from_proto, publish, tasks};

pub struct Server {
    state: Arc<State>,
    /// Whether the client registers file watchers for the server; if not, the server polls.
    client_watches: AtomicBool,
}

impl Server {
    pub fn new(client: Client) -> Self {
        Self {
            state: Arc::new(State::new(client)),
            client_watches: AtomicBool::new(false),
        }
    }

    pub fn state(&self) -> Arc<State> {
        self.state.clone()
    }

    /// What [`crate::framing`] turns a malformed message into: logged, and the session goes on.
    pub async fn malformed_message(&self, params: serde_json::Value) {
        let problem = params["problem"].as_str().unwrap_or("a malformed message");
        self.state
            .client
            .log_message(MessageType::ERROR, format!("cedarcheck: ignored {problem}"))
            .await;
    }

    /// Asks the client to ask for code lenses again, when a change to `uri` may change the
    /// lenses of other documents: a test or entities file's tests decide them.
    fn refresh_lenses(&self, uri: &Uri) {
        let other = !uri.path().as_str().ends_with(".cedar");
        if other && self.state.refreshes_lenses() {
            let client = self.state.client.clone();
            tokio::spawn(async move {
                let _ = client.code_lens_refresh().await;
            });
        }
    }

    /// Re-checks what `uri` belongs to, on an analysis thread; a newer edit supersedes it.
    fn refresh(&self, uri: Uri, stamp: u64) {
        refresh(&self.state, uri, stamp);
    }
}

/// Without file watchers from the client, looks at the directories the known sets' globs can
/// reach every [`watch::POLL_INTERVAL`] until shutdown.
fn poll(state: Arc<State>) {
    tokio::spawn(async move {
        let mut last = watch::Snapshot::now();
        loop {
            tokio::time::sleep(watch::POLL_INTERVAL).await;
            if state.shut_down() {
                return;
            }
            let worker = state.clone();
            let previous = std::mem::take(&mut last);
            let looked = tasks::blocking(move || {
                let now = watched_files::snapshot(&worker, &previous);
                let changes = watch::diff(&previous, &now);
                (now, changes)
            })
            .await;
            let Ok((now, changes)) = looked else {
                last = watch::Snapshot::now();
                continue;
            };
            last = now;
            if !changes.is_empty() {
                changed_on_disk(&state, changes).await;
            }
        }
    });
}

fn refresh(state: &Arc<State>, uri: Uri, stamp: u64) {
    state.request_refresh(uri.clone(), stamp);
    tokio::spawn(diagnostics::refresh(state.clone(), uri, stamp));
}

/// Files changed outside the editor: deleted ones lose their diagnostics, the known
/// documents and changed JSON files are refreshed, and lenses are asked for again. Changes
/// outside the known sets' scope are ignored.
async fn changed_on_disk(state: &Arc<State>, changes: Vec<(PathBuf, Change)>) {
    let worker = state.clone();
    let planned = tasks::blocking(move || watched_files::plan(&worker, &changes)).await;
    let Ok(Some(plan)) = planned else {
        return;
    };
    for uri in plan.cleared {
        let state = state.clone();
        tokio::spawn(async move { publish::publish(&state, &uri, Vec::new(), None).await });
    }
    for uri in plan.refresh {
        refresh(state, uri, plan.stamp);
    }
    if state.refreshes_lenses() {
        let client = state.client.clone();
        tokio::spawn(async move {
            let _ = client.code_lens_refresh().await;
        });
    }
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        definition_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![
                code_lens::EVALUATE.into(),
                rule_docs::RULE_DOCUMENTATION.into(),
            ],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| from_proto::file_path(&f.uri))
            .collect();
        #[expect(deprecated, reason = "older clients send only rootUri")]
        let root_uri = params.root_uri.as_ref();
        if let Some(root) = root_uri.and_then(from_proto::file_path) {
            folders.push(root);
        }
        let options = params.initialization_options.unwrap_or_default();
        let rule_docs = options
            .get("ruleDocsUrl")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        if let Some(deep) = options.get("deep").and_then(|v| v.as_bool()) {
            self.state.deep.set_enabled(deep);
        }
        let creates = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create));
        let refreshes = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        let watches = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        self.client_watches.store(watches, Ordering::SeqCst);
        self.state
            .initialize(folders, rule_docs, creates, refreshes);
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "cedarcheck".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if self.client_watches.load(Ordering::SeqCst) {
            let state = self.state.clone();
            // Not awaited here: the answer comes while other messages are handled.
            tokio::spawn(async move {
                let registered = state
                    .client
                    .register_capability(vec![watched_files::registration()])
                    .await;
                if let Err(e) = registered {
                    state
                        .client
                        .log_message(
                            MessageType::WARNING,
                            format!(
                                "cedarcheck: the client did not watch files ({e}); polling \
                                 instead"
                            ),
                        )
                        .await;
                    poll(state);
                }
            });
        } else {
            poll(self.state.clone());
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        changed_on_disk(&self.state, watched_files::changes_of(&params)).await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.state.shut();
        Ok(())
    }

    // The edits are applied before the first `.await`, so they apply in the order they came.
    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        // A new file (or one changed outside the editor) may join or leave a set.
        self.state.forget_disk();
        let stamp = self.state.open(doc.uri.clone(), doc.text, doc.version);
        self.refresh_lenses(&doc.uri);
        self.refresh(doc.uri, stamp);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let applied =
            self.state
                .change(&uri, &params.content_changes, params.text_document.version);
        let Some(stamp) = applied else {
            self.state
                .client
                .log_message(
                    MessageType::WARNING,
                    format!(
                        "cedarcheck: a change to {}, which is not open",
                        uri.as_str()
                    ),
                )
                .await;
            return;
        };
        self.refresh_lenses(&uri);
        self.refresh(uri, stamp);
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // Saving changes no text the server has; files outside the set may have changed.
        let stamp = self.state.stamp();
        self.state.forget_disk();
        self.refresh_lenses(&params.text_document.uri);
        self.refresh(params.text_document.uri, stamp);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let stamp = self.state.close(&uri);
        self.state.forget_disk();
        // The file on disk is what counts now (the buffer may have been discarded).
        self.refresh_lenses(&uri);
        self.refresh(uri, stamp);
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let state = self.state.clone();
        tasks::guarded(async move {
            tasks::blocking(move || handlers::hover::hover(&state, &params))
                .await
                .map_err(tasks::internal_error)
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let state = self.state.clone();
        tasks::guarded(async move {
            tasks::blocking(move || handlers::symbols::document_symbols(&state, &params))
                .await
                .map_err(tasks::internal_error)
        })
        .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let state = self.state.clone();
        tasks::guarded(async move {
            tasks::blocking(move || handlers::formatting::format(&state, &params))
                .await
                .map_err(tasks::internal_error)?
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let state = self.state.clone();
        tasks::guarded(async move {
            tasks::blocking(move || handlers::code_action::code_actions(&state, &params))
                .await
                .map_err(tasks::internal_error)
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let state = self.state.clone();
        tasks::guarded(async move {
            tasks::blocking(move || {
                let uri = &params.text_document.uri;
                let (overlay, stamp, _) = state.snapshot(uri);
                let (text, _) = state.text(uri)?;
                let folders = state.folders();
                Some(code_lens::code_lenses(
                    uri,
                    &text,
                    &overlay,
                    &folders,
                    &state.runs,
                    stamp,
                ))
            })
            .await
            .map_err(tasks::internal_error)
        })
        .await
    }

    /// The commands of the lenses and code actions. Their answer is text: returned as the
    /// result, and shown with `window/showMessage` (what both VS Code and Neovim show of a
    /// command run from a lens or a code action).
    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> Result<Option<serde_json::Value>> {
        let state = self.state.clone();
        let answer = tasks::guarded(async move {
            tasks::blocking(move || {
                let argument = params.arguments.first().cloned().unwrap_or_default();
                match params.command.as_str() {
                    code_lens::EVALUATE => {
                        let uri: Option<Uri> =
                            argument["uri"].as_str().and_then(|u| u.parse().ok());
                        let (overlay, stamp, _) = match &uri {
                            Some(uri) => state.snapshot(uri),
                            None => return Ok(None),
                        };
                        let folders = state.folders();
                        Ok(code_lens::evaluate(
                            &argument,
                            |uri| state.text(uri).map(|(text, _)| text.to_string()),
                            &overlay,
                            &folders,
                            &state.runs,
                            stamp,
                        ))
                    }
                    rule_docs::RULE_DOCUMENTATION => {
                        Ok(argument.as_str().and_then(rule_docs::documentation))
                    }
                    other => Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!(
                        "cedarcheck: unknown command `{other}`"
                    ))),
                }
            })
            .await
            .map_err(tasks::internal_error)?
        })
        .await?;
        if let Some(text) = &answer {
            self.state
                .client
                .show_message(MessageType::INFO, text.clone())
                .await;
        }
        Ok(answer.map(serde_json::Value::String))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let state = self.state.clone();
        tasks::guarded(async move {
            tasks::blocking(move || handlers::definition::definition(&state, &params))
                .await
                .map_err(tasks::internal_error)
        })
        .await
    }
}
