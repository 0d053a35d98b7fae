//! What every example's test needs: start the program on a free port, read
//! the address it printed, and receive with a bound so that a broken
//! program fails the test instead of hanging it.
#![allow(dead_code, unreachable_pub)] // Not every test file uses every helper.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ws_tokio::{Message, WebSocket};

/// Generous bound for anything that should happen "soon".
pub const SOON: Duration = Duration::from_secs(10);

/// A running example program, killed when dropped.
pub struct Program {
    child: Child,
    /// What the program printed after `listening on `, e.g. `ws://127.0.0.1:40123`.
    pub url: String,
}

impl Program {
    /// Starts `exe` with `args` (the last being the listen address
    /// `127.0.0.1:0`) and waits for its `listening on URL` line.
    pub fn start(exe: &str, args: &[&str]) -> Self {
        let mut child = Command::new(exe)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {exe}: {e}"));
        // Read the line on a thread, so that a program that never prints
        // it fails the test instead of hanging it.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let Ok(line) = rx.recv_timeout(SOON) else {
            let _ = child.kill();
            panic!("{exe} printed no line within {SOON:?}");
        };
        let url = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{exe} printed {line:?}, not `listening on URL`"))
            .to_owned();
        Self { child, url }
    }

    /// `host:port` of the listening socket.
    pub fn addr(&self) -> &str {
        self.url.split_once("://").map_or(&self.url, |(_, a)| a)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The next message, which must arrive within [`SOON`].
pub async fn next<S>(ws: &mut WebSocket<S>) -> Message
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(SOON, ws.recv()).await {
        Ok(Some(Ok(message))) => message,
        Ok(other) => panic!("expected a message, got {other:?}"),
        Err(_) => panic!("no message within {SOON:?}"),
    }
}

/// The next message, which must be text.
pub async fn next_text<S>(ws: &mut WebSocket<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match next(ws).await {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected text, got {other:?}"),
    }
}
