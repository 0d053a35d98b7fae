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

use clap::Parser;
mod cli;

use cli::{ChartArgs, Cli, Cmd, CompareArgs, EchoArgs, FanoutArgs, FanoutCompareArgs, IdleArgs};
use ws_bench::{chart, compare, echo, fanout, fanout_compare, idle};

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
