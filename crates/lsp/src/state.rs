//! The server's state, shared by the handlers and the background jobs they start: the open
//! documents and their edit stamps, what the client told at `initialize`, the diagnostics
//! store, the deep jobs and the caches.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cedarcheck_analyzer::LineIndex;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};
use tower_lsp_server::Client;

use crate::analysis::{Cache, Overlay, MAX_ANALYZED_BYTES};
use crate::deep::Jobs;
use crate::diagnostics::Store;
use crate::documents::{Document, Documents};
use crate::from_proto;
use crate::tasks::lock;
use crate::test_runs::LastRuns;

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
    pub diagnostics: Mutex<Store>,
    pub deep: Jobs,
    /// Discovery and disk reads kept between edits; cleared on open, save and close.
    pub cache: Arc<Cache>,
    /// The last test run of each set, for the Evaluate lenses.
    pub runs: LastRuns,
    /// Whether the client applies workspace edits that create files.
    create_files: AtomicBool,
    /// Whether the client re-asks for code lenses when told to (`workspace/codeLens/refresh`).
    lens_refresh: AtomicBool,
    /// Every document opened in the session: the sets they belong to are the ones whose files
    /// changed outside the editor are watched (`handlers::watched_files`).
    known: Mutex<BTreeSet<String>>,
    shutdown: AtomicBool,
}

impl State {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            documents: Mutex::default(),
            edits: AtomicU64::new(0),
            requested: Mutex::default(),
            folders: Mutex::default(),
            rule_docs: Mutex::default(),
            diagnostics: Mutex::default(),
            deep: Jobs::default(),
            cache: Arc::default(),
            runs: LastRuns::default(),
            create_files: AtomicBool::new(false),
            lens_refresh: AtomicBool::new(false),
            known: Mutex::default(),
            shutdown: AtomicBool::new(false),
        }
    }

    /// What the client said at `initialize`: its workspace folders, where rule docs are, and
    /// whether it creates files and re-asks for code lenses when told to.
    pub fn initialize(
        &self,
        folders: Vec<PathBuf>,
        rule_docs: Option<String>,
        create_files: bool,
        lens_refresh: bool,
    ) {
        *lock(&self.folders) = folders;
        if rule_docs.is_some() {
            *lock(&self.rule_docs) = rule_docs;
        }
        self.create_files.store(create_files, Ordering::SeqCst);
        self.lens_refresh.store(lens_refresh, Ordering::SeqCst);
    }

    pub fn shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// The client asked to shut down: deep runs are cancelled, the exit code will be 0.
    pub fn shut(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.deep.cancel_all();
    }

    /// Opens a document; returns its edit stamp.
    pub fn open(&self, uri: Uri, text: String, version: i32) -> u64 {
        let mut documents = lock(&self.documents);
        let stamp = self.next_stamp();
        lock(&self.known).insert(uri.as_str().to_string());
        documents.insert(uri.clone(), Document::new(uri, text, version, stamp));
        stamp
    }

    /// The documents opened in the session, open or closed since.
    pub fn known(&self) -> Vec<Uri> {
        lock(&self.known)
            .iter()
            .filter_map(|uri| uri.parse().ok())
            .collect()
    }

    /// A new edit stamp for a change outside the editor: analyses started before it give way
    /// to those started after.
    pub fn touch(&self) -> u64 {
        let _documents = lock(&self.documents);
        self.next_stamp()
    }

    /// Applies an edit to an open document; returns its edit stamp, or `None` when the
    /// document is not open.
    pub fn change(
        &self,
        uri: &Uri,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
    ) -> Option<u64> {
        lock(&self.documents).get_mut(uri).map(|doc| {
            let stamp = self.next_stamp();
            doc.apply(changes, version, stamp);
            stamp
        })
    }

    /// Closes a document; returns the edit stamp of its closing.
    pub fn close(&self, uri: &Uri) -> u64 {
        let mut documents = lock(&self.documents);
        let stamp = self.next_stamp();
        documents.remove(uri);
        stamp
    }

    /// Records that a refresh of `uri` at `stamp` was asked for: older ones give way.
    pub fn request_refresh(&self, uri: Uri, stamp: u64) {
        lock(&self.requested).insert(uri, stamp);
    }

    /// Whether the client re-asks for code lenses when told to.
    pub fn refreshes_lenses(&self) -> bool {
        self.lens_refresh.load(Ordering::SeqCst)
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
    pub fn forget_disk(&self) {
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
    pub fn text(&self, uri: &Uri) -> Option<(Arc<str>, Arc<LineIndex>)> {
        if let Some(doc) = self.document(uri) {
            return Some((doc.text, doc.index));
        }
        let path = from_proto::file_path(uri)?;
        let bytes = std::fs::read(path).ok()?;
        if bytes.len() > MAX_ANALYZED_BYTES {
            return None;
        }
        let text: Arc<str> = String::from_utf8_lossy(&bytes).into();
        let index = Arc::new(LineIndex::new(&text));
        Some((text, index))
    }
}
