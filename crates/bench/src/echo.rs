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

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use ws_frame::OpCode;

use ws_frame::deflate::DeflateConfig;
use ws_tokio::{Config, ConnectOptions, MaybeTlsStream, Message, WebSocket};

use crate::phase::Phase;
use crate::procfs;
use crate::raw::{self, RawClient};
use crate::stats::{Latencies, human};

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
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Length of the measured window.
    pub duration: Duration,
    /// The server's PID, for its CPU time over the window.
    pub server_pid: Option<u32>,
    /// A label for the progress line.
    pub label: String,
    /// Print the progress line.
    pub progress: bool,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Echoes completed in the measured window.
    pub messages: u64,
    /// Length of the measured window in seconds.
    pub seconds: f64,
    /// Echoes per second.
    pub msgs_per_sec: f64,
    /// Payload megabytes (10^6) per second, one direction.
    pub mb_per_sec: f64,
    /// Round-trip percentiles in microseconds.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Server CPU time per echo in microseconds (NaN without a PID).
    pub server_cpu_us_per_msg: f64,
    /// The part of it spent in user space: the library and the runtime.
    pub server_user_us_per_msg: f64,
    /// The part of it spent in the kernel: system calls and TCP.
    pub server_sys_us_per_msg: f64,
    /// Server CPU use over the window, in cores (1.0: one core busy).
    pub server_cpu_cores: f64,
    /// The load generator's own CPU use over the window, in cores.
    pub client_cpu_cores: f64,
}

impl Report {
    /// One JSON object (the comparison reads it back).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "messages": self.messages,
            "seconds": self.seconds,
            "msgs_per_sec": self.msgs_per_sec,
            "mb_per_sec": self.mb_per_sec,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "p999_us": self.p999_us,
            "server_cpu_us_per_msg": nan_to_null(self.server_cpu_us_per_msg),
            "server_user_us_per_msg": nan_to_null(self.server_user_us_per_msg),
            "server_sys_us_per_msg": nan_to_null(self.server_sys_us_per_msg),
            "server_cpu_cores": nan_to_null(self.server_cpu_cores),
            "client_cpu_cores": self.client_cpu_cores,
        })
    }

    /// Reads back [`Report::to_json`].
    pub fn from_json(v: &serde_json::Value) -> Self {
        let f = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        Self {
            messages: v
                .get("messages")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
            seconds: f("seconds"),
            msgs_per_sec: f("msgs_per_sec"),
            mb_per_sec: f("mb_per_sec"),
            p50_us: f("p50_us"),
            p99_us: f("p99_us"),
            p999_us: f("p999_us"),
            server_cpu_us_per_msg: f("server_cpu_us_per_msg"),
            server_user_us_per_msg: f("server_user_us_per_msg"),
            server_sys_us_per_msg: f("server_sys_us_per_msg"),
            server_cpu_cores: f("server_cpu_cores"),
            client_cpu_cores: f("client_cpu_cores"),
        }
    }

    /// The human-readable summary.
    pub fn summary(&self) -> String {
        format!(
            "{} msgs/s  {:.1} MB/s  rtt p50 {:.1} µs  p99 {:.1} µs  p999 {:.1} µs  \
             server {:.2} µs CPU/echo ({:.2} user + {:.2} kernel; {:.2} cores)  client {:.2} cores  ({} echoes in {:.2} s)",
            human(self.msgs_per_sec),
            self.mb_per_sec,
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.server_cpu_us_per_msg,
            self.server_user_us_per_msg,
            self.server_sys_us_per_msg,
            self.server_cpu_cores,
            self.client_cpu_cores,
            self.messages,
            self.seconds,
        )
    }
}

fn nan_to_null(x: f64) -> serde_json::Value {
    if x.is_finite() {
        json!(x)
    } else {
        serde_json::Value::Null
    }
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
    for _ in 0..options.conns {
        let conn = if options.deflate {
            Conn::deflate(&options.url, options.size).await?
        } else {
            Conn::raw(&options.url, opcode, &payload).await?
        };
        let shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move { connection(conn, &shared).await }));
    }

    // The clock: warm-up, measured window, stop.
    tokio::time::sleep(options.warmup).await;
    let cpu0 = options.server_pid.map(procfs::cpu_times).transpose()?;
    let self_cpu0 = procfs::cpu_time(std::process::id())?;
    let start = Instant::now();
    shared.phase.measure();
    let mut last = (start, shared.total.load(Ordering::Relaxed));
    let end = start + options.duration;
    while Instant::now() < end {
        let tick = (last.0 + Duration::from_secs(1)).min(end);
        tokio::time::sleep_until(tick.into()).await;
        if options.progress {
            let now = Instant::now();
            let total = shared.total.load(Ordering::Relaxed);
            let rate = (total - last.1) as f64 / (now - last.0).as_secs_f64();
            eprint!(
                "\r{}  {:>4.1}/{:.0} s  {:>9} msgs/s  {:>9.1} MB/s   ",
                options.label,
                (now - start).as_secs_f64(),
                options.duration.as_secs_f64(),
                human(rate),
                rate * options.size as f64 / 1e6,
            );
            let _ = std::io::stderr().flush();
            last = (now, total);
        }
    }
    shared.phase.stop();
    let seconds = start.elapsed().as_secs_f64();
    let messages = shared.measured.load(Ordering::Acquire);
    let cpu1 = options.server_pid.map(procfs::cpu_times).transpose()?;
    let self_cpu1 = procfs::cpu_time(std::process::id())?;
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

/// One load connection of either kind.
enum Conn {
    /// The lean raw client, with its masked frame built once.
    Raw {
        client: RawClient,
        frame: Vec<u8>,
        opcode: OpCode,
        len: usize,
    },
    /// A `ws-tokio` client with permessage-deflate negotiated.
    Deflate {
        ws: WebSocket<MaybeTlsStream>,
        message: Message,
    },
}

impl Conn {
    /// Opens a raw connection and checks one echo byte for byte.
    async fn raw(url: &str, opcode: OpCode, payload: &[u8]) -> std::io::Result<Self> {
        let mut client = RawClient::connect(url).await?;
        let frame = raw::masked_frame(opcode, payload);
        client.send_raw(&frame).await?;
        let (got, data) = client.read_message().await?;
        if got != opcode || data != payload {
            return Err(std::io::Error::other(
                "the first echo differs from what was sent",
            ));
        }
        Ok(Self::Raw {
            client,
            frame,
            opcode,
            len: payload.len(),
        })
    }

    /// Opens a connection that offers permessage-deflate, fails if the
    /// server declines it, and checks one echo byte for byte.
    async fn deflate(url: &str, size: usize) -> std::io::Result<Self> {
        let options = ConnectOptions {
            config: Config {
                deflate: Some(DeflateConfig::default()),
                ..Config::default()
            },
            ..ConnectOptions::default()
        };
        let (ws, response) = ws_tokio::connect_with(url, options)
            .await
            .map_err(std::io::Error::other)?;
        if !response
            .extensions()
            .iter()
            .any(|e| e.name == "permessage-deflate")
        {
            return Err(std::io::Error::other(
                "the server declined permessage-deflate",
            ));
        }
        let mut conn = Self::Deflate {
            ws,
            message: Message::text(chat_text(size)),
        };
        conn.round_trip(true).await?;
        Ok(conn)
    }

    /// Sends the message and waits for its echo; `exact` compares every
    /// byte, otherwise the kind and length.
    async fn round_trip(&mut self, exact: bool) -> std::io::Result<()> {
        match self {
            Self::Raw {
                client,
                frame,
                opcode,
                len,
            } => {
                client.send_raw(frame).await?;
                client.read_echo(*opcode, *len).await
            }
            Self::Deflate { ws, message } => {
                ws.send(message.clone())
                    .await
                    .map_err(std::io::Error::other)?;
                loop {
                    match ws.recv().await {
                        Some(Ok(echo)) if echo.is_data() => {
                            let same = if exact {
                                echo == *message
                            } else {
                                echo.is_text() && echo.len() == message.len()
                            };
                            return if same {
                                Ok(())
                            } else {
                                Err(std::io::Error::other("the echo differs"))
                            };
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(std::io::Error::other(e)),
                        None => return Err(std::io::Error::other("closed by the server")),
                    }
                }
            }
        }
    }
}

/// Chat-like JSON lines, `size` bytes of UTF-8: compressible the way real
/// chat traffic is (repeated keys and names, varying text), not trivially.
fn chat_text(size: usize) -> String {
    const WORDS: [&str; 12] = [
        "hello",
        "websocket",
        "frames",
        "compress",
        "the",
        "window",
        "déjà",
        "vu",
        "message",
        "room",
        "naïve",
        "ok",
    ];
    let mut text = String::with_capacity(size + 128);
    let mut i = 0usize;
    while text.len() < size {
        let words: Vec<&str> = (0..6)
            .map(|k| WORDS[(i * 7 + k * 5) % WORDS.len()])
            .collect();
        text.push_str(&format!(
            r#"{{"type":"message","room":"lobby","from":"user-{}","text":"{} #{i}","ts":{}}}"#,
            i % 50,
            words.join(" "),
            1_700_000_000_000u64 + i as u64 * 37,
        ));
        text.push('\n');
        i += 1;
    }
    // Cut back to `size` bytes at a character boundary.
    let mut end = size.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
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
