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
use ws_bench::{compare, echo, fanout, idle};

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

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Echo(args) => echo(args),
        Cmd::Fanout(args) => fanout(args),
        Cmd::Idle(args) => idle(&args),
        Cmd::Compare(args) => compare(args),
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

fn compare(a: CompareArgs) -> Outcome {
    let bin_dir = match a.bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()?
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default(),
    };
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
