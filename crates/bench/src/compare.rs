//! The comparison: our `/echo` and each peer server, interleaved (A B C D
//! A B C D …) so that a slow moment of the shared machine hits every server
//! alike, each run in its own load-generator process, then a table of
//! medians with the ratio ours / best peer per cell.
//!
//! ```text
//!  for each server: spawn `taskset -c 0 SERVER --listen 127.0.0.1:0`, read `listening on`
//!  idle memory:     `taskset -c 1 ws-bench idle` against each, one after the other
//!  for each cell (payload × conns), for each repeat, for each server:
//!                   `taskset -c 1 ws-bench echo … --server-pid PID --json`
//!  medians → tables (server CPU per echo, its user and kernel parts, msgs/s,
//!            p99, server load, idle KiB/conn) → targets
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | `servers` | the servers under test, starting one, the private copy of the binaries |
//! | `taskset` | pinning servers and load generators to their cores |
//! | `runs` | one `ws-bench idle` or `ws-bench echo` process and its JSON line |
//! | `tables` | the Markdown tables of medians |
//! | `targets` | the issue's targets checked against the medians |

use std::path::PathBuf;
use std::time::Duration;

use crate::echo::Report;

mod runs;
mod servers;
mod tables;
mod targets;
mod taskset;

pub use servers::{SERVERS, ServerSpec};
pub(crate) use servers::{Snapshot, listening};
pub use tables::{render, size_label};
pub use targets::targets;
pub(crate) use taskset::{command as pinned, works as pinning_works};

/// What to compare.
#[derive(Clone, Debug)]
pub struct Options {
    /// Names from [`SERVERS`] to run (ours should be among them).
    pub servers: Vec<String>,
    /// Payload sizes in bytes.
    pub payloads: Vec<usize>,
    /// Connection counts.
    pub conns: Vec<usize>,
    /// Repeats of every cell (medians are reported).
    pub repeats: usize,
    /// How every echo run goes.
    pub echo: EchoRun,
    /// Idle connections for the memory figure (0: skip it).
    pub idle_conns: usize,
    /// Where the binaries come from and which cores they run on.
    pub launch: Launch,
    /// Also write the tables (Markdown) to this file.
    pub out: Option<PathBuf>,
    /// Fail if any run fails (for CI), instead of leaving a gap in the table.
    pub strict: bool,
}

/// How every echo run of a comparison goes: the same for every server.
#[derive(Clone, Debug)]
pub struct EchoRun {
    /// Warm-up of every run.
    pub warmup: Duration,
    /// Measured window of every run.
    pub duration: Duration,
    /// Text messages instead of binary.
    pub text: bool,
}

/// Where the processes of a comparison come from and where they run.
#[derive(Clone, Debug)]
pub struct Launch {
    /// Where the binaries are (default: next to this one).
    pub bin_dir: PathBuf,
    /// Pin the servers to core 0 and the load to core 1 with `taskset`
    /// (`None`: when `taskset` works and there are two cores).
    pub pin: Option<bool>,
}

/// One cell of the table: `(payload, conns)` and, per server, the report
/// of every repeat.
pub type Cell = ((usize, usize), Vec<Vec<Report>>);

/// The results of a comparison.
#[derive(Debug, Default)]
pub struct Results {
    /// Server names, ours first.
    pub servers: Vec<String>,
    /// Per cell `(payload, conns)`: per server, the reports of every repeat.
    pub cells: Vec<Cell>,
    /// The idle memory figure.
    pub idle: IdleMemory,
    /// Runs that failed.
    pub failures: usize,
}

/// The idle memory figure of a comparison.
#[derive(Debug, Default)]
pub struct IdleMemory {
    /// Idle connections used.
    pub conns: usize,
    /// Idle KiB per connection per server (NaN: not measured or failed).
    pub kib: Vec<f64>,
}

/// Runs the comparison and prints (and writes) the tables.
///
/// # Errors
/// A server fails to start; with [`Options::strict`], any run fails.
pub fn run(options: &Options) -> std::io::Result<Results> {
    let pin = options.launch.pin.unwrap_or_else(taskset::works);
    let specs: Vec<ServerSpec> = SERVERS
        .iter()
        .filter(|s| options.servers.iter().any(|n| n == s.name))
        .cloned()
        .collect();
    if specs.is_empty() {
        return Err(std::io::Error::other("no known server selected"));
    }
    eprintln!(
        "ws-bench compare: {} server(s), {} cell(s) × {} repeat(s), {:?} warm-up + {:?} each, pinned: {pin}",
        specs.len(),
        options.payloads.len() * options.conns.len(),
        options.repeats,
        options.echo.warmup,
        options.echo.duration
    );
    let binaries: Vec<&str> = specs.iter().map(|s| s.binary).collect();
    let snapshot = Snapshot::take(&options.launch.bin_dir, &binaries)?;
    let bin_dir = snapshot.dir.as_path();
    let mut running = Vec::with_capacity(specs.len());
    for spec in &specs {
        running.push(servers::start(spec, bin_dir, pin)?);
    }
    let mut results = Results {
        servers: specs.iter().map(|s| s.name.to_owned()).collect(),
        idle: IdleMemory {
            conns: options.idle_conns,
            kib: Vec::with_capacity(specs.len()),
        },
        ..Results::default()
    };

    // Idle memory first, on fresh servers.
    for server in &running {
        let kib = if options.idle_conns == 0 {
            f64::NAN
        } else {
            runs::idle(pin, bin_dir, server, options.idle_conns).unwrap_or_else(|e| {
                eprintln!("idle memory of {}: {e}", server.spec.name);
                results.failures += 1;
                f64::NAN
            })
        };
        if options.idle_conns > 0 {
            eprintln!(
                "idle memory {:>18}: {kib:.2} KiB per connection ({} connections)",
                server.spec.name, options.idle_conns
            );
        }
        results.idle.kib.push(kib);
    }
    if options.idle_conns > 0 {
        // Let the servers tear the idle connections down before timing.
        std::thread::sleep(Duration::from_secs(1));
    }

    for &size in &options.payloads {
        for &conns in &options.conns {
            let mut per_server = vec![Vec::new(); running.len()];
            for repeat in 0..options.repeats {
                for (i, server) in running.iter().enumerate() {
                    let label = format!(
                        "{:>6} × {:<4} {:<18} #{}",
                        size_label(size),
                        conns,
                        server.spec.name,
                        repeat + 1
                    );
                    match runs::echo(pin, bin_dir, server, (size, conns), &options.echo, &label) {
                        Ok(report) => {
                            eprintln!("{label}  {}", report.summary());
                            per_server[i].push(report);
                        }
                        Err(e) => {
                            eprintln!("{label}  failed: {e}");
                            results.failures += 1;
                        }
                    }
                }
            }
            results.cells.push(((size, conns), per_server));
        }
    }
    drop(running);
    drop(snapshot);

    let tables = render(&results);
    println!("{tables}");
    if let Some(path) = &options.out {
        std::fs::write(path, &tables)?;
    }
    if options.strict && results.failures > 0 {
        return Err(std::io::Error::other(format!(
            "{} run(s) failed",
            results.failures
        )));
    }
    Ok(results)
}
