//! The command line of `ws-bench`: one subcommand per load, and each one's
//! arguments with their defaults. `main.rs` turns them into the options of
//! the library's modules.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "ws-bench",
    about = "WebSocket load generator and peer comparison"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Cmd,
}

pub(crate) fn seconds(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("not a number of seconds: {s}"))
}

/// A comma-separated list of sizes or counts (one clap value).
#[derive(Clone, Debug)]
pub(crate) struct List(pub(crate) Vec<usize>);

pub(crate) fn size(s: &str) -> Result<usize, String> {
    let v = s.trim();
    let (num, mul) = if let Some(n) = v.strip_suffix("MiB").or_else(|| v.strip_suffix('M')) {
        (n, 1 << 20)
    } else if let Some(n) = v.strip_suffix("KiB").or_else(|| v.strip_suffix('K')) {
        (n, 1 << 10)
    } else {
        (v.strip_suffix('B').unwrap_or(v), 1)
    };
    num.trim()
        .parse::<usize>()
        .map(|n| n * mul)
        .map_err(|_| format!("not a size or count: {v}"))
}

pub(crate) fn list(s: &str) -> Result<List, String> {
    s.split(',').map(size).collect::<Result<_, _>>().map(List)
}

#[derive(Subcommand, Debug)]
pub(crate) enum Cmd {
    /// N connections, each keeping one message of S bytes in flight.
    Echo(EchoArgs),
    /// Chat fan-out: M members of /chat/{room}, K of them sending.
    Fanout(FanoutArgs),
    /// Server RSS growth per idle connection.
    Idle(IdleArgs),
    /// Our server against the peers, interleaved, with a table of medians.
    Compare(CompareArgs),
    /// Chat fan-out: ours against the peer broadcast servers (or crates/bench/fanout.sh).
    FanoutCompare(FanoutCompareArgs),
    /// SVG charts from `fanout-compare --json` (docs/charts/).
    Chart(ChartArgs),
}

/// `ws-bench chart`.
#[derive(Args, Debug)]
pub(crate) struct ChartArgs {
    /// The raw results of `ws-bench fanout-compare --json`.
    #[arg(long)]
    pub(crate) fanout: PathBuf,
    /// Where the SVG files go.
    #[arg(long, default_value = "docs/charts")]
    pub(crate) out_dir: PathBuf,
}

/// The measured window of a load run, and whose CPU time to read over it.
#[derive(Args, Debug)]
pub(crate) struct WindowArgs {
    /// Warm-up seconds (not measured).
    #[arg(long, default_value = "1", value_parser = seconds)]
    pub(crate) warmup: Duration,
    /// Measured seconds.
    #[arg(long, default_value = "5", value_parser = seconds)]
    pub(crate) duration: Duration,
    /// The server's PID: report its CPU time per echo or delivery, from
    /// /proc/PID/stat.
    #[arg(long)]
    pub(crate) server_pid: Option<u32>,
}

impl From<WindowArgs> for ws_bench::window::Window {
    fn from(a: WindowArgs) -> Self {
        Self {
            warmup: a.warmup,
            duration: a.duration,
            server_pid: a.server_pid,
        }
    }
}

/// `ws-bench echo`.
#[derive(Args, Debug)]
pub(crate) struct EchoArgs {
    /// Echo endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:8080/echo")]
    pub(crate) url: String,
    /// Connections.
    #[arg(long, default_value_t = 10)]
    pub(crate) conns: usize,
    /// Payload bytes (suffixes K/KiB, M/MiB).
    #[arg(long, default_value = "1KiB", value_parser = size)]
    pub(crate) size: usize,
    /// Send text messages (UTF-8 validated by the server) instead of binary.
    #[arg(long)]
    pub(crate) text: bool,
    /// Negotiate permessage-deflate and send chat-like JSON text (compressed echo).
    #[arg(long)]
    pub(crate) deflate: bool,
    /// For wss://: trust the CA certificate(s) of this PEM file.
    #[arg(long, value_name = "PEM")]
    pub(crate) ca: Option<PathBuf>,
    /// Open each WebSocket as a stream of an HTTP/2 connection (RFC 8441,
    /// TLS with ALPN h2; needs a wss:// URL and --ca).
    #[arg(long, requires = "ca")]
    pub(crate) http2: bool,
    /// With --http2: WebSockets per HTTP/2 connection.
    #[arg(long, default_value_t = 1, requires = "http2",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) streams: u64,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
    /// Label of the progress line.
    #[arg(long, default_value = "echo")]
    pub(crate) label: String,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress line.
    #[arg(long)]
    pub(crate) quiet: bool,
}

/// `ws-bench fanout`.
#[derive(Args, Debug)]
pub(crate) struct FanoutArgs {
    /// Server base URL (`/chat/{room}` is appended); comma-separated
    /// URLs spread the members over several nodes (ws-server --redis).
    #[arg(long, default_value = "ws://127.0.0.1:8080")]
    pub(crate) url: String,
    /// Room name.
    #[arg(long, default_value = "bench")]
    pub(crate) room: String,
    /// Members.
    #[arg(long, default_value_t = 100)]
    pub(crate) members: usize,
    /// Members that send.
    #[arg(long, default_value_t = 10)]
    pub(crate) senders: usize,
    /// Messages per second per sender (the server allows each member 20 a
    /// second sustained, bursts of up to 50; the excess gets `rate_limited`).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) rate: f64,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub(crate) json: bool,
    /// Offer permessage-deflate as browsers do (compressed frames are
    /// inflated as docs/benchmarks.md says).
    #[arg(long)]
    pub(crate) deflate: bool,
    /// Fraction of deliveries parsed for their latency, 0 < F ≤ 1
    /// (default: about 20 000 a second at the expected rate).
    #[arg(long)]
    pub(crate) sample: Option<f64>,
    /// Joins in flight at once while the room fills.
    #[arg(long, default_value_t = 64)]
    pub(crate) join_concurrency: usize,
}

/// `ws-bench idle`.
#[derive(Args, Debug)]
pub(crate) struct IdleArgs {
    /// Echo endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:8080/echo")]
    pub(crate) url: String,
    /// Connections to hold open.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) conns: usize,
    /// The server's PID (RSS from /proc/PID/status).
    #[arg(long)]
    pub(crate) server_pid: u32,
    /// Print one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `ws-bench compare`.
#[derive(Args, Debug)]
pub(crate) struct CompareArgs {
    /// Servers to run: ours, tokio-tungstenite, fastwebsockets, tokio-websockets;
    /// `ours-uring` (ws-server --io-uring) in place of `ours` compares the
    /// io_uring transport with the same peers.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ours,tokio-tungstenite,fastwebsockets,tokio-websockets"
    )]
    pub(crate) servers: Vec<String>,
    /// Payload sizes.
    #[arg(long, default_value = "16,1KiB,64KiB,1MiB", value_parser = list)]
    pub(crate) payloads: List,
    /// Connection counts.
    #[arg(long, default_value = "1,10,100", value_parser = list)]
    pub(crate) conns: List,
    /// Repeats per cell (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub(crate) repeats: usize,
    /// Warm-up seconds per run.
    #[arg(long, default_value = "1", value_parser = seconds)]
    pub(crate) warmup: Duration,
    /// Measured seconds per run.
    #[arg(long, default_value = "3", value_parser = seconds)]
    pub(crate) duration: Duration,
    /// Idle connections for the memory figure (0: skip).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) idle_conns: usize,
    /// Text messages instead of binary.
    #[arg(long)]
    pub(crate) text: bool,
    /// Directory of the server binaries (default: this binary's).
    #[arg(long)]
    pub(crate) bin_dir: Option<PathBuf>,
    /// Do not pin with taskset even where it works.
    #[arg(long)]
    pub(crate) no_pin: bool,
    /// Also write the Markdown tables here.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Exit non-zero if any run fails (CI).
    #[arg(long)]
    pub(crate) strict: bool,
}

/// `ws-bench fanout-compare`.
#[derive(Args, Debug)]
pub(crate) struct FanoutCompareArgs {
    /// Servers: ours, tokio-tungstenite, fastwebsockets, python-websockets, node-ws, ours-redis.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ours,tokio-tungstenite,fastwebsockets,python-websockets,node-ws,ours-redis"
    )]
    pub(crate) servers: Vec<String>,
    /// Setups: 1000x50, 10000x5, rooms, deflate, redis, small.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000x50,10000x5,rooms,deflate,redis"
    )]
    pub(crate) setups: Vec<String>,
    /// Rooms of the `rooms` setup (one generator process each).
    #[arg(long, default_value_t = 50)]
    pub(crate) rooms: usize,
    /// Repeats (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub(crate) repeats: usize,
    /// Warm-up seconds after the room is full.
    #[arg(long, default_value = "1", value_parser = seconds)]
    pub(crate) warmup: Duration,
    /// Measured seconds per run.
    #[arg(long, default_value = "3", value_parser = seconds)]
    pub(crate) duration: Duration,
    /// Directory of the Rust binaries (default: this binary's).
    #[arg(long)]
    pub(crate) bin_dir: Option<PathBuf>,
    /// Where crates/bench/fanout.sh installed the Python and Node peers.
    #[arg(long, default_value = "target/bench-peers")]
    pub(crate) peer_dir: PathBuf,
    /// Do not pin with taskset even where it works.
    #[arg(long)]
    pub(crate) no_pin: bool,
    /// Also write the Markdown tables here.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Also write every run as JSON here (the input of `ws-bench chart`).
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Exit non-zero if any run fails (CI).
    #[arg(long)]
    pub(crate) strict: bool,
}
