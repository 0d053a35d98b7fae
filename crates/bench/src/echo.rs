//! The echo load: N connections, each keeping one message of S bytes in
//! flight (send, wait for the echo, send again), for D seconds after a
//! warm-up.
//!
//! ```text
//!  warm-up ──► measured window ──────────────────────────► stop
//!  (not counted)   │ counts, round trips, /proc/PID/stat of the server
//!                  └ a progress line on stderr every second
//! ```
//!
//! The server's CPU time over the measured window divided by the echoes in
//! it is the fair figure when client and server share a small machine: the
//! client is often the limit on msgs/s, but not on the server's cost per
//! message.
//!
//! Here the run and its connection tasks; in `conn` one load connection
//! (raw, or `ws-tokio` over TLS or with permessage-deflate), in `h2` the
//! HTTP/2 connections that carry WebSocket streams, in `chat_text` the
//! compressed echo's payload, in `report` what a run measured and its JSON
//! line.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use ws_frame::OpCode;

use crate::phase::Phase;
use crate::procfs;
use crate::raw;
use crate::stats::{Latencies, human};
use crate::window::{Measured, Window};

mod chat_text;
mod conn;
mod h2;
mod report;

use conn::Conn;
pub use report::Report;

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// `ws://host:port/path` of an echo endpoint.
    pub url: String,
    /// Connections, each with one message in flight.
    pub conns: usize,
    /// Payload bytes per message.
    pub size: usize,
    /// Text instead of binary messages (exercises UTF-8 validation).
    pub text: bool,
    /// Negotiate permessage-deflate (RFC 7692) and send chat-like JSON text,
    /// through the `ws-tokio` client: both sides compress and inflate every
    /// message, so the server's CPU per echo includes compression.
    pub deflate: bool,
    /// For `wss://`: the CA certificate(s) to trust, as PEM.
    pub ca_pem: Option<Vec<u8>>,
    /// Open each WebSocket as a stream of an HTTP/2 connection (RFC 8441;
    /// `wss://` only), through `ws-tokio`.
    pub http2: bool,
    /// With `http2`: WebSockets per HTTP/2 connection.
    pub streams: usize,
    /// Warm-up, measured window, the server's PID.
    pub window: Window,
    /// A label for the progress line.
    pub label: String,
    /// Print the progress line.
    pub progress: bool,
}

/// Counters the connection tasks share with the clock task.
#[derive(Debug, Default)]
struct Shared {
    phase: Phase,
    /// Echoes completed in the measured window.
    measured: AtomicU64,
    /// Echoes completed in total (for the progress line).
    total: AtomicU64,
}

/// Runs the load on a current-thread runtime (pin it with `taskset`).
///
/// # Errors
/// A connection fails to open or breaks, or an echo is wrong.
pub fn run(options: &Options) -> std::io::Result<Report> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run_async(options))
}

async fn run_async(options: &Options) -> std::io::Result<Report> {
    let opcode = if options.text {
        OpCode::Text
    } else {
        OpCode::Binary
    };
    let payload = raw::payload(options.size);
    let shared = Arc::new(Shared::default());

    // Open every connection and check one echo byte for byte first.
    let mut tasks = Vec::with_capacity(options.conns);
    let load = conn::Load {
        url: &options.url,
        deflate: options.deflate,
        opcode,
        payload: &payload,
        ca_pem: options.ca_pem.as_deref(),
    };
    let mut http2 = None;
    for i in 0..options.conns {
        let conn = if options.http2 {
            if i % options.streams.max(1) == 0 {
                let ca = options.ca_pem.as_deref().unwrap_or_default();
                http2 = Some(h2::connect(&options.url, ca).await?);
            }
            let Some(connection) = http2.as_mut() else {
                unreachable!("opened at i = 0")
            };
            Conn::http2(connection, &load).await?
        } else if options.deflate || options.url.starts_with("wss:") {
            Conn::tokio(&load).await?
        } else {
            Conn::raw(&options.url, opcode, &payload).await?
        };
        let shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move { connection(conn, &shared).await }));
    }

    // The clock: warm-up, measured window, stop; the server's CPU time and
    // our own read at either edge.
    let progress = options.progress.then_some(|elapsed: f64, rate: f64| {
        eprint!(
            "\r{}  {:>4.1}/{:.0} s  {:>9} msgs/s  {:>9.1} MB/s   ",
            options.label,
            elapsed,
            options.window.duration.as_secs_f64(),
            human(rate),
            rate * options.size as f64 / 1e6,
        );
        let _ = std::io::stderr().flush();
    });
    let cpu = |pid: Option<u32>| {
        Ok((
            pid.map(procfs::cpu_times).transpose()?,
            procfs::cpu_time(std::process::id())?,
        ))
    };
    let Measured {
        seconds,
        before: (cpu0, self_cpu0),
        after: (cpu1, self_cpu1),
    } = options
        .window
        .run(&shared.phase, &shared.total, cpu, progress)
        .await?;
    let messages = shared.measured.load(Ordering::Acquire);
    if options.progress {
        eprintln!();
    }

    let mut latencies = Latencies::default();
    for task in tasks {
        match task.await {
            Ok(Ok(l)) => latencies.merge(l),
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(std::io::Error::other(e)),
        }
    }
    latencies.sort();
    let (server_user, server_sys) = match (cpu0, cpu1) {
        (Some(a), Some(b)) => {
            let used = b - a;
            (used.user.as_secs_f64(), used.system.as_secs_f64())
        }
        _ => (f64::NAN, f64::NAN),
    };
    let server_cpu = server_user + server_sys;
    let msgs_per_sec = messages as f64 / seconds;
    Ok(Report {
        messages,
        seconds,
        msgs_per_sec,
        mb_per_sec: msgs_per_sec * options.size as f64 / 1e6,
        p50_us: latencies.quantile_us(0.5),
        p99_us: latencies.quantile_us(0.99),
        p999_us: latencies.quantile_us(0.999),
        server_cpu_us_per_msg: server_cpu * 1e6 / messages as f64,
        server_user_us_per_msg: server_user * 1e6 / messages as f64,
        server_sys_us_per_msg: server_sys * 1e6 / messages as f64,
        server_cpu_cores: server_cpu / seconds,
        client_cpu_cores: (self_cpu1 - self_cpu0).as_secs_f64() / seconds,
    })
}

/// One connection: send, wait for the echo, record, until told to stop.
async fn connection(mut conn: Conn, shared: &Shared) -> std::io::Result<Latencies> {
    let mut latencies = Latencies::default();
    loop {
        if shared.phase.is_stopped() {
            return Ok(latencies);
        }
        let measuring = shared.phase.is_measuring();
        let sent = Instant::now();
        conn.round_trip(false).await?;
        let rtt = sent.elapsed();
        shared.total.fetch_add(1, Ordering::Relaxed);
        // Count an echo in the window if it was sent inside it.
        if measuring && shared.phase.is_measuring() {
            shared.measured.fetch_add(1, Ordering::Relaxed);
            latencies.record(rtt);
        }
    }
}
