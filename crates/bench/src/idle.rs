//! Idle memory per connection: the server's RSS growth over many idle
//! WebSockets. Each connection completes the handshake, sends one small
//! message and reads its echo (so every lazily allocated buffer has been
//! touched once), then stays open while RSS is read from
//! `/proc/PID/status`.

use std::time::Duration;

use serde_json::json;
use tokio::task::JoinSet;
use ws_frame::OpCode;

use crate::procfs;
use crate::raw::{self, RawClient};

/// Connections opened at the same time (the listen backlog is finite).
const CONCURRENCY: usize = 128;

/// What an idle-memory run found.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// Connections held open.
    pub conns: usize,
    /// Server RSS before, in bytes.
    pub rss_before: u64,
    /// Server RSS with every connection open and idle, in bytes.
    pub rss_after: u64,
}

impl Report {
    /// RSS growth per connection in KiB.
    pub fn kib_per_conn(&self) -> f64 {
        self.rss_after.saturating_sub(self.rss_before) as f64 / 1024.0 / self.conns as f64
    }

    /// One JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "conns": self.conns,
            "rss_before": self.rss_before,
            "rss_after": self.rss_after,
            "kib_per_conn": self.kib_per_conn(),
        })
    }
}

/// Opens `conns` connections to `url`, echoes one 16-byte message on each,
/// lets them settle for a second and reads the server's RSS.
///
/// # Errors
/// A connection fails, or `/proc` cannot be read.
pub fn run(url: &str, conns: usize, server_pid: u32) -> std::io::Result<Report> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let rss_before = procfs::rss_bytes(server_pid)?;
            let payload = raw::payload(16);
            let mut open = Vec::with_capacity(conns);
            let mut pending = JoinSet::new();
            for i in 0..conns {
                if pending.len() >= CONCURRENCY
                    && let Some(done) = pending.join_next().await
                {
                    open.push(done.map_err(std::io::Error::other)??);
                }
                let url = url.to_owned();
                let frame = raw::masked_frame(OpCode::Text, &payload);
                pending.spawn(async move {
                    let mut client = RawClient::connect(&url).await.map_err(|e| {
                        std::io::Error::new(e.kind(), format!("connection {i}: {e}"))
                    })?;
                    client.send_raw(&frame).await?;
                    client.read_echo(OpCode::Text, 16).await?;
                    Ok::<_, std::io::Error>(client)
                });
            }
            while let Some(done) = pending.join_next().await {
                open.push(done.map_err(std::io::Error::other)??);
            }
            // Let the server finish whatever follows the echo (buffers
            // released on the next poll, timers).
            tokio::time::sleep(Duration::from_secs(1)).await;
            let rss_after = procfs::rss_bytes(server_pid)?;
            drop(open);
            Ok(Report {
                conns,
                rss_before,
                rss_after,
            })
        })
}
