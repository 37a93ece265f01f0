//! A guard in front of the JSON-RPC transport. tower-lsp-server stops reading after the first
//! message it cannot decode (its framed reader ends on a decode error), so one malformed
//! message would end the session. Messages are checked here first; one that is not JSON-RPC
//! is replaced by a [`MALFORMED`] notification, which the server answers with a log line.

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The notification a malformed message becomes; its params say what was wrong.
pub const MALFORMED: &str = "$/cedarcheck/malformedMessage";

/// Largest message accepted (a 1,000-policy file is a few hundred KiB).
const MAX_MESSAGE: usize = 64 << 20;

/// Copies framed messages from `input` to `output`, replacing malformed ones. Ends when
/// `input` ends.
pub async fn guard(mut input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) {
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        while let Some((body, used)) = next_message(&buffer) {
            let message = match body {
                Ok(body) => checked(body),
                Err(problem) => malformed(&problem.to_string()),
            };
            buffer.drain(..used);
            let header = format!("Content-Length: {}\r\n\r\n", message.len());
            let written = async {
                output.write_all(header.as_bytes()).await?;
                output.write_all(&message).await?;
                output.flush().await
            };
            if written.await.is_err() {
                return;
            }
        }
        match input.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Why the bytes in front of the transport are not a message it can read.
#[derive(Debug, thiserror::Error)]
enum FrameError {
    #[error("a message header without a valid Content-Length")]
    NoLength,
    #[error("a message of {length} bytes (the limit is {})", MAX_MESSAGE)]
    TooLong { length: usize },
}

/// The next message in `buffer`: its body, or why it is not one; and the bytes it used.
fn next_message(buffer: &[u8]) -> Option<(Result<&[u8], FrameError>, usize)> {
    let header_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let header = String::from_utf8_lossy(&buffer[..header_end]);
    let length = header.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    let start = header_end + 4;
    match length {
        None => Some((Err(FrameError::NoLength), start)),
        Some(length) if length > MAX_MESSAGE => Some((
            Err(FrameError::TooLong { length }),
            // Its body cannot be skipped before it arrives; drop what is buffered.
            buffer.len().min(start + length),
        )),
        Some(length) => {
            let body = buffer.get(start..start + length)?;
            Some((Ok(body), start + length))
        }
    }
}

/// `body` itself when it is a JSON-RPC request, notification or response.
fn checked(body: &[u8]) -> Vec<u8> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return malformed(&format!("a message that is not JSON ({e})")),
    };
    let is_call = value["method"].is_string();
    let is_response = value.get("id").is_some()
        && (value.get("result").is_some() || value.get("error").is_some());
    if value["jsonrpc"] == "2.0" && (is_call || is_response) {
        body.to_vec()
    } else {
        malformed("a JSON message that is not a JSON-RPC 2.0 request, notification or response")
    }
}

fn malformed(problem: &str) -> Vec<u8> {
    serde_json::json!({
        "jsonrpc": "2.0",
        "method": MALFORMED,
        "params": {"problem": problem},
    })
    .to_string()
    .into_bytes()
}
