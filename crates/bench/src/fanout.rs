//! The chat fan-out load against `/chat/{room}`: M members in one room, the
//! first K of them also senders. Every member counts the room messages it
//! receives; a sample of them is parsed for the delivery latency.
//!
//! The chat contract (`docs/server-interface.md`): JSON text frames; a client
//! sends `{"type":"message","text":"..."}`, every member (the sender too)
//! receives `{"type":"message","room":..,"from":..,"text":..,"ts":..}`; the
//! first message after connecting is a `welcome`. The server rate-limits
//! each member to 20 messages/s sustained (bursts of up to 50), so load
//! comes from members × senders, not from the send rate: deliveries/s ≈
//! K × rate × M.
//!
//! ```text
//!  fill: M joins, J at a time ──► every welcome in ── fill time, server CPU of the fill
//!  warm-up ─► measured window: K senders tick; all M members read and count
//!  stop: Close from every member
//! ```
//!
//! The load generator must not be what is measured: all members run as
//! tasks of one current-thread runtime (one core), each read takes
//! whatever the socket holds into a buffer shared by every member, and the
//! frames in it are counted from their headers (`counter`); only a sample
//! of the deliveries is parsed as JSON (`sample`). Each sent text carries
//! the send time (nanoseconds since this process' start), so delivery
//! latency needs no clock shared with the server.

mod counter;
mod member;
mod report;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc, watch};

pub use report::Report;

use crate::procfs::{self, CpuTimes};
use crate::stats::{Latencies, human};
use crate::window::{Measured, Window};
use member::{Plan, Shared, Signals};

/// Latency samples a second the automatic sample aims at: enough for a
/// p99.9 over a few seconds, few enough that parsing them costs nothing.
const SAMPLES_PER_SEC: f64 = 20_000.0;

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
    /// Offer permessage-deflate as browsers do.
    pub deflate: bool,
    /// The fraction of deliveries parsed for their latency (0 < f ≤ 1);
    /// `None`: about 20 000 samples a second at the expected rate.
    pub sample: Option<f64>,
    /// Joins in flight at once while the room fills.
    pub join_concurrency: usize,
}

impl Options {
    /// Deliveries a second if every message reaches every member.
    fn expected_rate(&self) -> f64 {
        self.senders as f64 * self.rate * self.members as f64
    }

    /// The sampled fraction.
    fn sample_fraction(&self) -> f64 {
        let auto = || (SAMPLES_PER_SEC / self.expected_rate().max(1.0)).min(1.0);
        self.sample
            .filter(|f| f.is_finite() && *f > 0.0)
            .map_or_else(auto, |f| f.min(1.0))
    }
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

/// CPU time of the server (if its PID is known) and of this process.
type Cpu = (Option<CpuTimes>, CpuTimes);

fn cpu(pid: Option<u32>) -> std::io::Result<Cpu> {
    Ok((
        pid.map(procfs::cpu_times).transpose()?,
        procfs::cpu_times(std::process::id())?,
    ))
}

// A fraction in (0, 1] turned into "one in N", N ≥ 1.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn one_in(fraction: f64) -> u64 {
    (1.0 / fraction).round().max(1.0) as u64
}

async fn run_async(options: &Options) -> Result<Report, Box<dyn std::error::Error + Send + Sync>> {
    let shared = Arc::new(Shared::new());
    // Several nodes sharing rooms (ws-server --redis): comma-separated base
    // URLs, member i joins through the (i mod n)th.
    let bases: Vec<&str> = options
        .url
        .split(',')
        .map(|u| u.trim().trim_end_matches('/'))
        .collect();
    let every = one_in(options.sample_fraction());
    let interval = Duration::from_secs_f64(1.0 / options.rate.max(0.001));
    let (joined_tx, mut joined) = mpsc::unbounded_channel();
    let (go_tx, go) = watch::channel(false);
    let (stop_tx, stop) = watch::channel(false);
    let joins = Arc::new(Semaphore::new(options.join_concurrency.max(1)));

    // Fill the room: every member joins, `join_concurrency` at a time, and
    // reads from the moment it is in.
    let fill_cpu0 = cpu(options.window.server_pid)?;
    let fill_start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..options.members {
        let base = bases[i % bases.len()];
        // Spread the senders' ticks over the interval.
        let sends = (i < options.senders).then(|| {
            let offset = interval.mul_f64(i as f64 / options.senders.max(1) as f64);
            (offset, interval)
        });
        let plan = Plan {
            index: i,
            url: format!("{base}/chat/{}?name=m{i}", options.room),
            deflate: options.deflate,
            every,
            sends,
        };
        let signals = Signals {
            joins: Arc::clone(&joins),
            joined: joined_tx.clone(),
            go: go.clone(),
            stop: stop.clone(),
        };
        tasks.spawn(member::run(plan, Arc::clone(&shared), signals));
    }
    drop(joined_tx);
    for _ in 0..options.members {
        match joined.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("a member ended before its welcome".into()),
        }
    }
    let fill_seconds = fill_start.elapsed().as_secs_f64();
    let fill_cpu1 = cpu(options.window.server_pid)?;
    if options.progress {
        eprintln!(
            "fan-out  {} members in {fill_seconds:.2} s",
            options.members
        );
    }
    let _ = go_tx.send(true);

    let progress = options.progress.then_some(|elapsed: f64, rate: f64| {
        eprint!(
            "\rfan-out  {elapsed:>4.1} s  {:>9} deliveries/s   ",
            human(rate)
        );
    });
    let Measured {
        seconds,
        before: (server0, client0),
        after: (server1, client1),
    } = options
        .window
        .run(&shared.phase, &shared.total_deliveries, cpu, progress)
        .await?;
    if options.progress {
        eprintln!();
    }
    let sent = shared.sent.load(Ordering::Acquire);
    let deliveries = shared.deliveries.load(Ordering::Acquire);
    let server_rss = options
        .window
        .server_pid
        .and_then(|pid| procfs::rss_bytes(pid).ok());
    let closed_by_server = shared.closed_by_server.load(Ordering::Acquire);
    let _ = stop_tx.send(true);
    // Every member sends its Close; those that cannot are dropped.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    let mut latencies = std::mem::take(
        &mut *shared
            .latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    latencies.sort();
    let server = match (server0, server1) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let fill_server = match (fill_cpu0.0, fill_cpu1.0) {
        (Some(a), Some(b)) => Some((b - a).total()),
        _ => None,
    };
    Ok(Report::new(
        report::Counts {
            sent,
            deliveries,
            seconds,
            errors: shared.errors.load(Ordering::Acquire),
            presence_events: shared.presence.load(Ordering::Acquire),
            closed_by_server,
        },
        &latencies,
        report::Costs {
            server,
            client: client1 - client0,
            server_rss,
            fill_seconds,
            fill_server,
        },
        report::Setup {
            sample_fraction: 1.0 / every as f64,
            deflate: options.deflate,
        },
    ))
}

/// The latency quantiles of a report.
fn quantiles(latencies: &Latencies) -> [f64; 3] {
    [0.5, 0.99, 0.999].map(|q| latencies.quantile_us(q))
}
