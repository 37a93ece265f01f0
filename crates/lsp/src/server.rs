//! The protocol side: capabilities, document sync, and one call per feature into
//! [`crate::handlers`]. Request handlers run under [`tasks::guarded`], so a panic answers the
//! request with an error; notifications start their work on analysis threads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::Overlay;
use crate::documents::{Document, Documents};
use crate::handlers::{self, code_lens, diagnostics, rule_docs};
use crate::tasks::{self, lock};
use crate::{analysis, deep, from_proto};

/// Shared by the handlers and the background jobs they start.
pub struct State {
    pub client: Client,
    documents: Mutex<Documents>,
    /// Counts every change to an open document; analyses are stamped with it.
    edits: AtomicU64,
    /// Per document, the stamp of the newest diagnostics refresh asked for it.
    requested: Mutex<HashMap<Uri, u64>>,
    folders: Mutex<Vec<PathBuf>>,
    /// `initializationOptions.ruleDocsUrl`: rule docs on the web, `{url}{rule-id}`.
    rule_docs: Mutex<Option<String>>,
    pub diagnostics: Mutex<diagnostics::Store>,
    pub deep: deep::Jobs,
    /// Discovery and disk reads kept between edits; cleared on open, save and close.
    pub cache: Arc<analysis::Cache>,
    /// The last test run of each set, for the Evaluate lenses.
    pub runs: code_lens::LastRuns,
    /// Whether the client applies workspace edits that create files.
    create_files: AtomicBool,
    /// Whether the client re-asks for code lenses when told to (`workspace/codeLens/refresh`).
    lens_refresh: AtomicBool,
    shutdown: AtomicBool,
}

impl State {
    pub fn shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    pub fn overlay(&self) -> Overlay {
        Overlay::new(&lock(&self.documents), self.cache.clone())
    }

    /// The open documents, the edit stamp they are current as of and `uri`'s document, taken
    /// together: an edit bumps the stamp while it holds the documents, so an analysis of this
    /// overlay has seen exactly the edits up to the stamp (and a result for version N is
    /// never taken for version N+1's).
    pub fn snapshot(&self, uri: &Uri) -> (Overlay, u64, Option<Document>) {
        let documents = lock(&self.documents);
        (
            Overlay::new(&documents, self.cache.clone()),
            self.stamp(),
            documents.get(uri).cloned(),
        )
    }

    pub fn document(&self, uri: &Uri) -> Option<Document> {
        lock(&self.documents).get(uri).cloned()
    }

    pub fn folders(&self) -> Vec<PathBuf> {
        lock(&self.folders).clone()
    }

    pub fn rule_docs(&self) -> Option<String> {
        lock(&self.rule_docs).clone()
    }

    /// Whether a code action may create a file (`workspace.workspaceEdit.resourceOperations`).
    pub fn can_create_files(&self) -> bool {
        self.create_files.load(Ordering::SeqCst)
    }

    /// Files may have been created, saved or deleted: forget what was read from disk.
    fn forget_disk(&self) {
        self.cache.clear();
        self.runs.clear();
    }

    /// The current edit stamp: analyses started now see every edit up to it.
    pub fn stamp(&self) -> u64 {
        self.edits.load(Ordering::SeqCst)
    }

    /// Call with the documents locked (see [`State::snapshot`]).
    fn next_stamp(&self) -> u64 {
        self.edits.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Whether `stamp` is still the newest refresh asked for `uri` (older ones give way).
    pub fn is_latest(&self, uri: &Uri, stamp: u64) -> bool {
        lock(&self.requested).get(uri).is_none_or(|&s| s == stamp)
    }

    /// The document's text: its buffer when open, else the file on disk.
    pub fn text(&self, uri: &Uri) -> Option<(Arc<str>, Arc<cedarcheck_analyzer::LineIndex>)> {
        if let Some(doc) = self.document(uri) {
            return Some((doc.text, doc.index));
        }
        let path = from_proto::file_path(uri)?;
        let bytes = std::fs::read(path).ok()?;
        if bytes.len() > crate::analysis::MAX_ANALYZED_BYTES {
            return None;
        }
        let text: Arc<str> = String::from_utf8_lossy(&bytes).into();
        let index = Arc::new(cedarcheck_analyzer::LineIndex::new(&text));
        Some((text, index))
    }
}

pub struct Server {
    state: Arc<State>,
}

impl Server {
    pub fn new(client: Client) -> Self {
        Self {
            state: Arc::new(State {
                client,
                documents: Mutex::default(),
                edits: AtomicU64::new(0),
                requested: Mutex::default(),
                folders: Mutex::default(),
                rule_docs: Mutex::default(),
                diagnostics: Mutex::default(),
                deep: deep::Jobs::default(),
                cache: Arc::default(),
                runs: code_lens::LastRuns::default(),
                create_files: AtomicBool::new(false),
                lens_refresh: AtomicBool::new(false),
                shutdown: AtomicBool::new(false),
            }),
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
        if other && self.state.lens_refresh.load(Ordering::SeqCst) {
            let client = self.state.client.clone();
            tokio::spawn(async move {
                let _ = client.code_lens_refresh().await;
            });
        }
    }

    /// Re-checks what `uri` belongs to, on an analysis thread; a newer edit supersedes it.
    fn refresh(&self, uri: Uri, stamp: u64) {
        lock(&self.state.requested).insert(uri.clone(), stamp);
        tokio::spawn(diagnostics::refresh(self.state.clone(), uri, stamp));
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
        *lock(&self.state.folders) = folders;
        let options = params.initialization_options.unwrap_or_default();
        if let Some(url) = options.get("ruleDocsUrl").and_then(|v| v.as_str()) {
            *lock(&self.state.rule_docs) = Some(url.to_string());
        }
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
        self.state.create_files.store(creates, Ordering::SeqCst);
        let refreshes = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false);
        self.state.lens_refresh.store(refreshes, Ordering::SeqCst);
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "cedarcheck".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn shutdown(&self) -> Result<()> {
        self.state.shutdown.store(true, Ordering::SeqCst);
        self.state.deep.cancel_all();
        Ok(())
    }

    // The edits are applied before the first `.await`, so they apply in the order they came.
    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        // A new file (or one changed outside the editor) may join or leave a set.
        self.state.forget_disk();
        let stamp = {
            let mut documents = lock(&self.state.documents);
            let stamp = self.state.next_stamp();
            documents.insert(
                doc.uri.clone(),
                Document::new(doc.uri.clone(), doc.text, doc.version, stamp),
            );
            stamp
        };
        self.refresh_lenses(&doc.uri);
        self.refresh(doc.uri, stamp);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let applied = lock(&self.state.documents).get_mut(&uri).map(|doc| {
            let stamp = self.state.next_stamp();
            doc.apply(&params.content_changes, params.text_document.version, stamp);
            stamp
        });
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
        let stamp = {
            let mut documents = lock(&self.state.documents);
            let stamp = self.state.next_stamp();
            documents.remove(&uri);
            stamp
        };
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
