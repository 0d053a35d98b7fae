//! The chat fan-out load against `/chat/{room}`: M members in one room, the
//! first K of them also senders. Every member counts the room messages it
//! receives and how long each took from the send.
//!
//! The chat contract (`docs/server-interface.md`): JSON text frames; a client
//! sends `{"type":"message","text":"..."}`, every member (the sender too)
//! receives `{"type":"message","room":..,"from":..,"text":..,"ts":..}`; the
//! first message after connecting is a `welcome`. The server rate-limits
//! each member to 20 messages/s sustained (bursts of up to 50), so load
//! comes from members × senders, not from the send rate: deliveries/s ≈
//! K × rate × M.
//!
//! Each sent text carries the send time (nanoseconds since this process'
//! start), so delivery latency needs no clock shared with the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinSet;
use ws_tokio::{CloseCode, Message};

use crate::phase::Phase;
use crate::procfs;
use crate::stats::{Latencies, finite_or_null, human};
use crate::window::{Measured, Window};

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// `ws://host:port` of the server (the path `/chat/{room}` is added);
    /// several, comma-separated, spread the members over them (nodes
    /// sharing rooms through Redis).
    pub url: String,
    /// The room.
    pub room: String,
    /// Members in the room.
    pub members: usize,
    /// Members that also send.
    pub senders: usize,
    /// Messages per second per sender (the server allows each member 20 a
    /// second sustained, bursts of up to 50; the excess gets `rate_limited`).
    pub rate: f64,
    /// Warm-up, measured window, the server's PID (for its CPU time).
    pub window: Window,
    /// Print a progress line every second.
    pub progress: bool,
}

/// What a fan-out run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Messages sent in the window.
    pub sent: u64,
    /// Room messages received by members in the window.
    pub deliveries: u64,
    /// Window length in seconds.
    pub seconds: f64,
    /// Deliveries per second.
    pub deliveries_per_sec: f64,
    /// Delivery latency percentiles in microseconds.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Server CPU time per delivery in microseconds.
    pub server_cpu_us_per_delivery: f64,
    /// Errors (`rate_limited`, `bad_request`) the server answered with.
    pub errors: u64,
}

impl Report {
    /// One JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "sent": self.sent,
            "deliveries": self.deliveries,
            "seconds": self.seconds,
            "deliveries_per_sec": self.deliveries_per_sec,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "server_cpu_us_per_delivery": finite_or_null(self.server_cpu_us_per_delivery),
            "errors": self.errors,
        })
    }

    /// The human-readable summary.
    pub fn summary(&self) -> String {
        format!(
            "{} deliveries/s  latency p50 {:.1} µs  p99 {:.1} µs  server {:.2} µs CPU/delivery  \
             ({} sent, {} delivered in {:.2} s, {} errors)",
            human(self.deliveries_per_sec),
            self.p50_us,
            self.p99_us,
            self.server_cpu_us_per_delivery,
            self.sent,
            self.deliveries,
            self.seconds,
            self.errors,
        )
    }
}

#[derive(Debug, Default)]
struct Shared {
    phase: Phase,
    sent: AtomicU64,
    deliveries: AtomicU64,
    total_deliveries: AtomicU64,
    errors: AtomicU64,
}

/// Runs the fan-out load on a current-thread runtime.
///
/// # Errors
/// A member fails to connect or its first message is not `welcome`.
pub fn run(options: &Options) -> Result<Report, Box<dyn std::error::Error + Send + Sync>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run_async(options))
}

async fn run_async(options: &Options) -> Result<Report, Box<dyn std::error::Error + Send + Sync>> {
    let epoch = Instant::now();
    let shared = Arc::new(Shared::default());
    // Several nodes sharing rooms (ws-server --redis): comma-separated base
    // URLs, member i joins through the (i mod n)th.
    let bases: Vec<&str> = options
        .url
        .split(',')
        .map(|u| u.trim().trim_end_matches('/'))
        .collect();

    // Join every member first and wait for each welcome.
    let mut sockets = Vec::with_capacity(options.members);
    for i in 0..options.members {
        let base = bases[i % bases.len()];
        let url = format!("{base}/chat/{}?name=m{i}", options.room);
        let (mut ws, _) = ws_tokio::connect(&url).await?;
        loop {
            match ws.recv().await {
                Some(Ok(Message::Text(text))) => {
                    let v: serde_json::Value = serde_json::from_str(text.as_str())?;
                    if v["type"] == "welcome" {
                        break;
                    }
                    return Err(format!("member {i}: first message is not welcome: {text}").into());
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Err(format!("member {i}: closed before welcome").into()),
            }
        }
        sockets.push(ws);
    }

    let interval = Duration::from_secs_f64(1.0 / options.rate.max(0.001));
    let mut tasks = JoinSet::new();
    for (i, mut ws) in sockets.into_iter().enumerate() {
        let shared = Arc::clone(&shared);
        let sender = i < options.senders;
        // Spread the senders' ticks over the interval.
        let offset = interval.mul_f64(i as f64 / options.senders.max(1) as f64);
        tasks.spawn(async move {
            let mut latencies = Latencies::default();
            let mut tick = tokio::time::interval_at((Instant::now() + offset).into(), interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                if shared.phase.is_stopped() {
                    let _ = ws.close(CloseCode::NORMAL, "").await;
                    return latencies;
                }
                tokio::select! {
                    _ = tick.tick(), if sender => {
                        let stamp = epoch.elapsed().as_nanos();
                        let text = json!({"type": "message", "text": format!("{i}:{stamp}")}).to_string();
                        if ws.send(Message::text(text)).await.is_err() {
                            return latencies;
                        }
                        if shared.phase.is_measuring() {
                            shared.sent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    message = ws.recv() => match message {
                        Some(Ok(Message::Text(text))) => {
                            on_text(text.as_str(), epoch, &shared, &mut latencies);
                        }
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => return latencies,
                    },
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        });
    }

    let progress = options.progress.then_some(|elapsed: f64, rate: f64| {
        eprint!(
            "\rfan-out  {elapsed:>4.1} s  {:>9} deliveries/s   ",
            human(rate)
        );
    });
    let cpu = |pid: Option<u32>| pid.map(procfs::cpu_time).transpose();
    let Measured {
        seconds,
        before: cpu0,
        after: cpu1,
    } = options
        .window
        .run(&shared.phase, &shared.total_deliveries, cpu, progress)
        .await?;
    if options.progress {
        eprintln!();
    }
    let (sent, deliveries) = (
        shared.sent.load(Ordering::Acquire),
        shared.deliveries.load(Ordering::Acquire),
    );
    let mut latencies = Latencies::default();
    while let Some(done) = tasks.join_next().await {
        latencies.merge(done?);
    }
    latencies.sort();
    let server_cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => f64::NAN,
    };
    Ok(Report {
        sent,
        deliveries,
        seconds,
        deliveries_per_sec: deliveries as f64 / seconds,
        p50_us: latencies.quantile_us(0.5),
        p99_us: latencies.quantile_us(0.99),
        server_cpu_us_per_delivery: server_cpu * 1e6 / deliveries as f64,
        errors: shared.errors.load(Ordering::Acquire),
    })
}

/// Counts a received room message and its latency (in the window only).
fn on_text(text: &str, epoch: Instant, shared: &Shared, latencies: &mut Latencies) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    match v["type"].as_str() {
        Some("message") => {
            shared.total_deliveries.fetch_add(1, Ordering::Relaxed);
            if !shared.phase.is_measuring() {
                return;
            }
            let stamp = v["text"]
                .as_str()
                .and_then(|t| t.split_once(':'))
                .and_then(|(_, ns)| ns.parse::<u128>().ok());
            if let Some(sent_at) = stamp {
                shared.deliveries.fetch_add(1, Ordering::Relaxed);
                let now = epoch.elapsed().as_nanos();
                let ns = u64::try_from(now.saturating_sub(sent_at)).unwrap_or(u64::MAX);
                latencies.record(Duration::from_nanos(ns));
            }
        }
        Some("error") => {
            shared.errors.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    }
}
