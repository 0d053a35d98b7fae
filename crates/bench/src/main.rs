//! `ws-bench`: the load generator and the peer comparison.
//!
//! ```text
//! ws-bench echo    --url ws://127.0.0.1:8080/echo --conns 100 --size 1024 --duration 10
//! ws-bench fanout  --url ws://127.0.0.1:8080 --members 100 --senders 10
//! ws-bench idle    --url ws://127.0.0.1:8080/echo --conns 10000 --server-pid PID
//! ws-bench compare                      (or crates/bench/run.sh)
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ws_bench::{chart, compare, echo, fanout, fanout_compare, idle};

#[derive(Parser, Debug)]
#[command(
    name = "ws-bench",
    about = "WebSocket load generator and peer comparison"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

fn seconds(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("not a number of seconds: {s}"))
}

/// A comma-separated list of sizes or counts (one clap value).
#[derive(Clone, Debug)]
struct List(Vec<usize>);

fn size(s: &str) -> Result<usize, String> {
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

fn list(s: &str) -> Result<List, String> {
    s.split(',').map(size).collect::<Result<_, _>>().map(List)
}

#[derive(Subcommand, Debug)]
enum Cmd {
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
struct ChartArgs {
    /// The raw results of `ws-bench fanout-compare --json`.
    #[arg(long)]
    fanout: PathBuf,
    /// Where the SVG files go.
    #[arg(long, default_value = "docs/charts")]
    out_dir: PathBuf,
}

/// The measured window of a load run, and whose CPU time to read over it.
#[derive(Args, Debug)]
struct WindowArgs {
    /// Warm-up seconds (not measured).
    #[arg(long, default_value = "1", value_parser = seconds)]
    warmup: Duration,
    /// Measured seconds.
    #[arg(long, default_value = "5", value_parser = seconds)]
    duration: Duration,
    /// The server's PID: report its CPU time per echo or delivery, from
    /// /proc/PID/stat.
    #[arg(long)]
    server_pid: Option<u32>,
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
struct EchoArgs {
    /// Echo endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:8080/echo")]
    url: String,
    /// Connections.
    #[arg(long, default_value_t = 10)]
    conns: usize,
    /// Payload bytes (suffixes K/KiB, M/MiB).
    #[arg(long, default_value = "1KiB", value_parser = size)]
    size: usize,
    /// Send text messages (UTF-8 validated by the server) instead of binary.
    #[arg(long)]
    text: bool,
    /// Negotiate permessage-deflate and send chat-like JSON text (compressed echo).
    #[arg(long)]
    deflate: bool,
    /// For wss://: trust the CA certificate(s) of this PEM file.
    #[arg(long, value_name = "PEM")]
    ca: Option<PathBuf>,
    /// Open each WebSocket as a stream of an HTTP/2 connection (RFC 8441,
    /// TLS with ALPN h2; needs a wss:// URL and --ca).
    #[arg(long, requires = "ca")]
    http2: bool,
    /// With --http2: WebSockets per HTTP/2 connection.
    #[arg(long, default_value_t = 1, requires = "http2",
          value_parser = clap::value_parser!(u64).range(1..))]
    streams: u64,
    #[command(flatten)]
    window: WindowArgs,
    /// Label of the progress line.
    #[arg(long, default_value = "echo")]
    label: String,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
}

/// `ws-bench fanout`.
#[derive(Args, Debug)]
struct FanoutArgs {
    /// Server base URL (`/chat/{room}` is appended); comma-separated
    /// URLs spread the members over several nodes (ws-server --redis).
    #[arg(long, default_value = "ws://127.0.0.1:8080")]
    url: String,
    /// Room name.
    #[arg(long, default_value = "bench")]
    room: String,
    /// Members.
    #[arg(long, default_value_t = 100)]
    members: usize,
    /// Members that send.
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Messages per second per sender (the server allows each member 20 a
    /// second sustained, bursts of up to 50; the excess gets `rate_limited`).
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    #[command(flatten)]
    window: WindowArgs,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// Offer permessage-deflate as browsers do (compressed frames are
    /// inflated as docs/benchmarks.md says).
    #[arg(long)]
    deflate: bool,
    /// Fraction of deliveries parsed for their latency, 0 < F ≤ 1
    /// (default: about 20 000 a second at the expected rate).
    #[arg(long)]
    sample: Option<f64>,
    /// Joins in flight at once while the room fills.
    #[arg(long, default_value_t = 64)]
    join_concurrency: usize,
}

/// `ws-bench idle`.
#[derive(Args, Debug)]
struct IdleArgs {
    /// Echo endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:8080/echo")]
    url: String,
    /// Connections to hold open.
    #[arg(long, default_value_t = 10_000)]
    conns: usize,
    /// The server's PID (RSS from /proc/PID/status).
    #[arg(long)]
    server_pid: u32,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// `ws-bench compare`.
#[derive(Args, Debug)]
struct CompareArgs {
    /// Servers to run: ours, tokio-tungstenite, fastwebsockets, tokio-websockets;
    /// `ours-uring` (ws-server --io-uring) in place of `ours` compares the
    /// io_uring transport with the same peers.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ours,tokio-tungstenite,fastwebsockets,tokio-websockets"
    )]
    servers: Vec<String>,
    /// Payload sizes.
    #[arg(long, default_value = "16,1KiB,64KiB,1MiB", value_parser = list)]
    payloads: List,
    /// Connection counts.
    #[arg(long, default_value = "1,10,100", value_parser = list)]
    conns: List,
    /// Repeats per cell (medians are reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Warm-up seconds per run.
    #[arg(long, default_value = "1", value_parser = seconds)]
    warmup: Duration,
    /// Measured seconds per run.
    #[arg(long, default_value = "3", value_parser = seconds)]
    duration: Duration,
    /// Idle connections for the memory figure (0: skip).
    #[arg(long, default_value_t = 10_000)]
    idle_conns: usize,
    /// Text messages instead of binary.
    #[arg(long)]
    text: bool,
    /// Directory of the server binaries (default: this binary's).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Do not pin with taskset even where it works.
    #[arg(long)]
    no_pin: bool,
    /// Also write the Markdown tables here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Exit non-zero if any run fails (CI).
    #[arg(long)]
    strict: bool,
}

/// `ws-bench fanout-compare`.
#[derive(Args, Debug)]
struct FanoutCompareArgs {
    /// Servers: ours, tokio-tungstenite, fastwebsockets, python-websockets, node-ws, ours-redis.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ours,tokio-tungstenite,fastwebsockets,python-websockets,node-ws,ours-redis"
    )]
    servers: Vec<String>,
    /// Setups: 1000x50, 10000x5, rooms, deflate, redis, small.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000x50,10000x5,rooms,deflate,redis"
    )]
    setups: Vec<String>,
    /// Rooms of the `rooms` setup (one generator process each).
    #[arg(long, default_value_t = 50)]
    rooms: usize,
    /// Repeats (medians are reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Warm-up seconds after the room is full.
    #[arg(long, default_value = "1", value_parser = seconds)]
    warmup: Duration,
    /// Measured seconds per run.
    #[arg(long, default_value = "3", value_parser = seconds)]
    duration: Duration,
    /// Directory of the Rust binaries (default: this binary's).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Where crates/bench/fanout.sh installed the Python and Node peers.
    #[arg(long, default_value = "target/bench-peers")]
    peer_dir: PathBuf,
    /// Do not pin with taskset even where it works.
    #[arg(long)]
    no_pin: bool,
    /// Also write the Markdown tables here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write every run as JSON here (the input of `ws-bench chart`).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Exit non-zero if any run fails (CI).
    #[arg(long)]
    strict: bool,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Echo(args) => echo(args),
        Cmd::Fanout(args) => fanout(args),
        Cmd::Idle(args) => idle(&args),
        Cmd::Compare(args) => compare(args),
        Cmd::FanoutCompare(args) => fanout_compare(args),
        Cmd::Chart(args) => charts(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn echo(a: EchoArgs) -> Outcome {
    let options = echo::Options {
        url: a.url,
        conns: a.conns,
        size: a.size,
        text: a.text,
        deflate: a.deflate,
        ca_pem: a.ca.map(std::fs::read).transpose()?,
        http2: a.http2,
        streams: usize::try_from(a.streams)?,
        window: a.window.into(),
        label: a.label,
        progress: !a.quiet,
    };
    let report = echo::run(&options)?;
    print(a.json, &report.to_json(), report.summary());
    Ok(())
}

fn fanout(a: FanoutArgs) -> Outcome {
    let options = fanout::Options {
        url: a.url,
        room: a.room,
        members: a.members,
        senders: a.senders.min(a.members),
        rate: a.rate,
        window: a.window.into(),
        progress: !a.json,
        deflate: a.deflate,
        sample: a.sample,
        join_concurrency: a.join_concurrency,
    };
    let report = fanout::run(&options)?;
    print(a.json, &report.to_json(), report.summary());
    Ok(())
}

/// A report as one JSON object (`--json`) or as its summary line.
fn print(json: bool, object: &serde_json::Value, summary: String) {
    if json {
        println!("{object}");
    } else {
        println!("{summary}");
    }
}

fn idle(a: &IdleArgs) -> Outcome {
    let report = idle::run(&a.url, a.conns, a.server_pid)?;
    if a.json {
        println!("{}", report.to_json());
    } else {
        println!(
            "{:.2} KiB per idle connection (RSS {} → {} KiB over {} connections)",
            report.kib_per_conn(),
            report.rss_before / 1024,
            report.rss_after / 1024,
            report.conns
        );
    }
    Ok(())
}

/// `--bin-dir`, or the directory of this binary.
fn bin_dir(given: Option<PathBuf>) -> std::io::Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir),
        None => Ok(std::env::current_exe()?
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default()),
    }
}

fn fanout_compare(a: FanoutCompareArgs) -> Outcome {
    let options = fanout_compare::Options {
        servers: a.servers,
        setups: a.setups,
        rooms: a.rooms.max(1),
        repeats: a.repeats.max(1),
        warmup: a.warmup,
        duration: a.duration,
        launch: compare::Launch {
            bin_dir: bin_dir(a.bin_dir)?,
            pin: a.no_pin.then_some(false),
        },
        peer_dir: a.peer_dir,
        out: a.out,
        json: a.json,
        strict: a.strict,
    };
    fanout_compare::run(&options)?;
    Ok(())
}

fn charts(a: &ChartArgs) -> Outcome {
    let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&a.fanout)?)?;
    for file in chart::fanout(&results, &a.out_dir)? {
        eprintln!("wrote {}", a.out_dir.join(file).display());
    }
    Ok(())
}

fn compare(a: CompareArgs) -> Outcome {
    let bin_dir = bin_dir(a.bin_dir)?;
    let options = compare::Options {
        servers: a.servers,
        payloads: a.payloads.0,
        conns: a.conns.0,
        repeats: a.repeats.max(1),
        echo: compare::EchoRun {
            warmup: a.warmup,
            duration: a.duration,
            text: a.text,
        },
        idle_conns: a.idle_conns,
        launch: compare::Launch {
            bin_dir,
            pin: a.no_pin.then_some(false),
        },
        out: a.out,
        strict: a.strict,
    };
    compare::run(&options)?;
    Ok(())
}
