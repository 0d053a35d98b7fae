//! What the program writes: received messages on stdout (plain lines, raw
//! bytes, or one JSON object per event with `--jsonl`), and with `--show`
//! a description of each event on stderr. Stdout carries only the messages
//! (or events), so that it can be piped.

use std::io::Write as _;
use std::time::Duration;

use serde_json::{Value, json};
use ws_tokio::{CloseFrame, Message};

use crate::exit::Failure;

/// How received messages are written to stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// One line per message; binary as lowercase hex, or with `raw` as the
    /// bytes themselves (no newline added).
    Lines { raw: bool },
    /// One JSON object per event (`--jsonl`).
    Jsonl,
}

/// The writer of one connection's events.
#[derive(Clone, Debug)]
pub(crate) struct Output {
    pub(crate) format: Format,
    /// `--show`: describe events on stderr.
    pub(crate) show: bool,
    /// `--verbose`: the negotiated subprotocol and extensions on stderr.
    pub(crate) verbose: bool,
    /// With `--listen`, the peer's address: in every JSON event, and before
    /// every `--show` line.
    pub(crate) peer: Option<String>,
}

impl Output {
    /// The connection is open: what the server's 101 (or, over HTTP/2,
    /// 200) selected, its `Sec-WebSocket-Protocol` and
    /// `Sec-WebSocket-Extensions` (RFC 6455 §4.1, RFC 8441 §5).
    pub(crate) fn open(&self, protocol: Option<&str>, extensions: Option<&str>) {
        if self.verbose || self.show {
            for (name, value) in [
                ("Sec-WebSocket-Protocol", protocol),
                ("Sec-WebSocket-Extensions", extensions),
            ] {
                self.note(&format!("{name}: {}", value.unwrap_or("(none)")));
            }
        }
        if self.format == Format::Jsonl {
            self.event(json!({"type": "open", "protocol": protocol, "extensions": extensions}));
        }
    }

    /// A message received (data to stdout, control frames only to `--show`).
    pub(crate) fn message(&self, message: &Message) {
        match message {
            Message::Text(text) => {
                self.shown(format_args!("< text, {} bytes", text.len()));
                match self.format {
                    Format::Jsonl => self.event(json!({"type": "text", "data": text.as_str()})),
                    Format::Lines { .. } => write_stdout(&[text.as_bytes(), b"\n"]),
                }
            }
            Message::Binary(data) => {
                self.shown(format_args!("< binary, {} bytes", data.len()));
                match self.format {
                    Format::Jsonl => self.event(json!({"type": "binary", "hex": hex(data)})),
                    Format::Lines { raw: true } => write_stdout(&[data]),
                    Format::Lines { raw: false } => write_stdout(&[hex(data).as_bytes(), b"\n"]),
                }
            }
            Message::Ping(data) => self.shown(format_args!("< ping, {} bytes", data.len())),
            Message::Pong(data) => self.shown(format_args!("< pong, {} bytes", data.len())),
            Message::Close(frame) => self.close(frame.as_ref()),
        }
    }

    /// The peer's Close frame (RFC 6455 §5.5.1).
    pub(crate) fn close(&self, frame: Option<&CloseFrame>) {
        let (code, reason) = frame.map_or((None, ""), |f| (Some(f.code.0), f.reason.as_str()));
        match code {
            Some(code) => self.shown(format_args!("< close {code} {reason:?}")),
            None => self.shown(format_args!("< close without a code")),
        }
        if self.format == Format::Jsonl {
            self.event(json!({"type": "close", "code": code, "reason": reason}));
        }
    }

    /// A Ping of ours was answered after `rtt`.
    pub(crate) fn round_trip(&self, rtt: Duration) {
        self.shown(format_args!(
            "ping round trip {:.3} ms",
            rtt.as_secs_f64() * 1e3
        ));
    }

    /// The session failed: with `--jsonl` an error event too (the message
    /// also goes to stderr, from [`Failure::report`]).
    pub(crate) fn error(&self, failure: &Failure) {
        if self.format == Format::Jsonl {
            let mut event = json!({
                "type": "error",
                "status": failure.status as u8,
                "message": failure.message,
            });
            if let (Some(line), Value::Object(fields)) = (&failure.status_line, &mut event) {
                fields.insert("http".to_owned(), Value::String(line.clone()));
            }
            self.event(event);
        }
    }

    /// A line on stderr with `--show`.
    pub(crate) fn shown(&self, what: std::fmt::Arguments<'_>) {
        if self.show {
            self.note(&what.to_string());
        }
    }

    fn note(&self, what: &str) {
        match &self.peer {
            Some(peer) => eprintln!("ws-client: {peer}: {what}"),
            None => eprintln!("ws-client: {what}"),
        }
    }

    fn event(&self, mut event: Value) {
        if let (Some(peer), Value::Object(fields)) = (&self.peer, &mut event) {
            fields.insert("peer".to_owned(), Value::String(peer.clone()));
        }
        write_stdout(&[event.to_string().as_bytes(), b"\n"]);
    }
}

/// Writes the parts in one go under the lock (several connections print
/// side by side with `--listen`), then flushes: a reader of the pipe sees
/// each message when it arrives. A closed stdout is not an error of the
/// connection.
fn write_stdout(parts: &[&[u8]]) {
    let mut out = std::io::stdout().lock();
    for part in parts {
        let _ = out.write_all(part);
    }
    let _ = out.flush();
}

/// Lowercase hex, two digits a byte.
pub(crate) fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}
