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

use clap::{Parser, Subcommand};
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
    Echo {
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
        /// Warm-up seconds (not measured).
        #[arg(long, default_value = "1", value_parser = seconds)]
        warmup: Duration,
        /// Measured seconds.
        #[arg(long, default_value = "5", value_parser = seconds)]
        duration: Duration,
        /// The server's PID: report its CPU time per echo from /proc/PID/stat.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Label of the progress line.
        #[arg(long, default_value = "echo")]
        label: String,
        /// Print one JSON object instead of the summary.
        #[arg(long)]
        json: bool,
        /// No progress line.
        #[arg(long)]
        quiet: bool,
    },
    /// Chat fan-out: M members of /chat/{room}, K of them sending.
    Fanout {
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
        /// Messages per second per sender (the server allows 20 sustained).
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
        /// Warm-up seconds.
        #[arg(long, default_value = "1", value_parser = seconds)]
        warmup: Duration,
        /// Measured seconds.
        #[arg(long, default_value = "5", value_parser = seconds)]
        duration: Duration,
        /// The server's PID, for its CPU time per delivery.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Print one JSON object instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Server RSS growth per idle connection.
    Idle {
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
    },
    /// Our server against the peers, interleaved, with a table of medians.
    Compare {
        /// Servers to run: ours, tokio-tungstenite, fastwebsockets, tokio-websockets.
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
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Cmd::Echo {
            url,
            conns,
            size,
            text,
            deflate,
            warmup,
            duration,
            server_pid,
            label,
            json,
            quiet,
        } => {
            let options = echo::Options {
                url,
                conns,
                size,
                text,
                deflate,
                warmup,
                duration,
                server_pid,
                label,
                progress: !quiet,
            };
            match echo::run(&options) {
                Ok(report) if json => println!("{}", report.to_json()),
                Ok(report) => println!("{}", report.summary()),
                Err(e) => return fail(&e),
            }
        }
        Cmd::Fanout {
            url,
            room,
            members,
            senders,
            rate,
            warmup,
            duration,
            server_pid,
            json,
        } => {
            let options = fanout::Options {
                url,
                room,
                members,
                senders: senders.min(members),
                rate,
                warmup,
                duration,
                server_pid,
                progress: !json,
            };
            match fanout::run(&options) {
                Ok(report) if json => println!("{}", report.to_json()),
                Ok(report) => println!("{}", report.summary()),
                Err(e) => return fail(&*e),
            }
        }
        Cmd::Idle {
            url,
            conns,
            server_pid,
            json,
        } => match idle::run(&url, conns, server_pid) {
            Ok(report) if json => println!("{}", report.to_json()),
            Ok(report) => println!(
                "{:.2} KiB per idle connection (RSS {} → {} KiB over {} connections)",
                report.kib_per_conn(),
                report.rss_before / 1024,
                report.rss_after / 1024,
                report.conns
            ),
            Err(e) => return fail(&e),
        },
        Cmd::Compare {
            servers,
            payloads,
            conns,
            repeats,
            warmup,
            duration,
            idle_conns,
            text,
            bin_dir,
            no_pin,
            out,
            strict,
        } => {
            let bin_dir = match bin_dir {
                Some(dir) => dir,
                None => match std::env::current_exe() {
                    Ok(exe) => exe.parent().map(PathBuf::from).unwrap_or_default(),
                    Err(e) => return fail(&e),
                },
            };
            let options = compare::Options {
                servers,
                payloads: payloads.0,
                conns: conns.0,
                repeats: repeats.max(1),
                warmup,
                duration,
                idle_conns,
                text,
                bin_dir,
                pin: no_pin.then_some(false),
                out,
                strict,
            };
            if let Err(e) = compare::run(&options) {
                return fail(&e);
            }
        }
    }
    ExitCode::SUCCESS
}

fn fail(e: &dyn std::error::Error) -> ExitCode {
    eprintln!("ws-bench: {e}");
    ExitCode::FAILURE
}
