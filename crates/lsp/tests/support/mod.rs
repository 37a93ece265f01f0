//! A mock editor: drives `cedarcheck_lsp::serve` over an in-memory pipe with real JSON-RPC
//! framing, and records what the server sends.

#![allow(dead_code, reason = "each test file uses part of the mock client")]

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::sync::mpsc;

pub struct Editor {
    to_server: WriteHalf<DuplexStream>,
    from_server: mpsc::UnboundedReceiver<Value>,
    /// Notifications and server requests received while waiting for something else.
    pub received: Vec<Value>,
    next_id: i64,
    pub server: tokio::task::JoinHandle<i32>,
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// One `Content-Length` framed message at the start of `buffer`, and the bytes it used.
fn frame(buffer: &[u8]) -> Option<(Value, usize)> {
    let header_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let header = std::str::from_utf8(&buffer[..header_end]).ok()?;
    let length: usize = header
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))?
        .trim()
        .parse()
        .ok()?;
    let start = header_end + 4;
    let body = buffer.get(start..start + length)?;
    Some((serde_json::from_slice(body).ok()?, start + length))
}

pub const TIMEOUT: Duration = Duration::from_secs(20);

impl Editor {
    /// Starts the server and initializes it with `root` as the workspace folder.
    pub async fn start(root: &Path, options: Value) -> Self {
        Self::start_with(root, options, json!({})).await
    }

    /// [`Editor::start`] for a client with these `capabilities`.
    pub async fn start_with(root: &Path, options: Value, capabilities: Value) -> Self {
        let (client_end, server_end) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_end);
        let server = tokio::spawn(cedarcheck_lsp::serve(server_read, server_write));
        let (mut client_read, to_server) = tokio::io::split(client_end);
        let (sender, from_server) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut buffer = Vec::new();
            let mut chunk = vec![0u8; 1 << 16];
            loop {
                while let Some((message, used)) = frame(&buffer) {
                    buffer.drain(..used);
                    if sender.send(message).is_err() {
                        return;
                    }
                }
                match client_read.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
        });
        let mut editor = Self {
            to_server,
            from_server,
            received: Vec::new(),
            next_id: 0,
            server,
        };
        let folder = uri(root);
        let result = editor
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": folder,
                    "workspaceFolders": [{"uri": folder, "name": "test"}],
                    "capabilities": capabilities,
                    "initializationOptions": options,
                }),
            )
            .await;
        assert!(result["result"]["capabilities"].is_object(), "{result}");
        editor.notify("initialized", json!({})).await;
        editor
    }

    pub async fn send_raw(&mut self, body: &[u8]) {
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.to_server.write_all(header.as_bytes()).await.unwrap();
        self.to_server.write_all(body).await.unwrap();
        self.to_server.flush().await.unwrap();
    }

    /// Bytes as they are, without a header of their own.
    pub async fn send_raw_header(&mut self, bytes: &[u8]) {
        self.to_server.write_all(bytes).await.unwrap();
        self.to_server.flush().await.unwrap();
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_raw(message.to_string().as_bytes()).await;
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(message.to_string().as_bytes()).await;
        self.wait_for(|m| m["id"] == id && m.get("method").is_none())
            .await
    }

    /// Answers a request the server sent (`client/registerCapability`, say).
    pub async fn respond(&mut self, id: &Value, result: Value) {
        let message = json!({"jsonrpc": "2.0", "id": id, "result": result});
        self.send_raw(message.to_string().as_bytes()).await;
    }

    /// The next message from the server that `matches` (earlier ones are kept in `received`).
    pub async fn wait_for(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_within(TIMEOUT, matches).await
    }

    /// [`Editor::wait_for`], failing when nothing matches within `timeout`.
    pub async fn wait_for_within(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        if let Some(i) = self.received.iter().position(&matches) {
            return self.received.remove(i);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = tokio::time::timeout_at(deadline, self.from_server.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out after {timeout:?}; received meanwhile: {:#?}",
                        self.received
                    )
                })
                .expect("the server closed the connection");
            if matches(&message) {
                return message;
            }
            self.received.push(message);
        }
    }

    /// Drops what was received so far and what comes until the server has been quiet for
    /// `quiet`: later waits see only what follows.
    pub async fn settle(&mut self, quiet: Duration) {
        self.received.clear();
        while let Ok(Some(_)) = tokio::time::timeout(quiet, self.from_server.recv()).await {}
    }

    /// What was received so far and what comes within `wait`, taken out of `received`.
    pub async fn collect_for(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(message)) =
            tokio::time::timeout_at(deadline, self.from_server.recv()).await
        {
            self.received.push(message);
        }
        std::mem::take(&mut self.received)
    }

    /// The next diagnostics published for `uri` that satisfy `accept`.
    pub async fn diagnostics(&mut self, uri: &str, accept: impl Fn(&[Value]) -> bool) -> Value {
        self.diagnostics_within(TIMEOUT, uri, accept).await
    }

    /// [`Editor::diagnostics`], failing when none come within `timeout`.
    pub async fn diagnostics_within(
        &mut self,
        timeout: Duration,
        uri: &str,
        accept: impl Fn(&[Value]) -> bool,
    ) -> Value {
        self.wait_for_within(timeout, |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && accept(
                    m["params"]["diagnostics"]
                        .as_array()
                        .map_or(&[], Vec::as_slice),
                )
        })
        .await["params"]
            .clone()
    }

    pub async fn open(&mut self, path: &Path, text: &str) -> String {
        let uri = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "cedar", "version": 1, "text": text}}),
        )
        .await;
        uri
    }

    /// Ends the session as an editor does; returns the server's exit code.
    pub async fn shutdown(mut self) -> i32 {
        let response = self.request("shutdown", Value::Null).await;
        assert!(response.get("error").is_none(), "{response}");
        self.notify("exit", Value::Null).await;
        tokio::time::timeout(TIMEOUT, self.server)
            .await
            .expect("the server did not exit")
            .unwrap()
    }
}

/// Codes (rule ids) of a diagnostics list.
pub fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect()
}

pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Applies LSP text edits (`range`, `newText`) to `text`, from the end backwards.
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
    let index = cedarcheck_analyzer::LineIndex::new(text);
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize + 1;
        index.offset(text, line, p["character"].as_u64().unwrap() as usize + 1)
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, new);
    }
    out
}
