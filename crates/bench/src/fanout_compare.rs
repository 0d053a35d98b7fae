//! The fan-out comparison: our `/chat/{room}` and each peer broadcast
//! server, loaded alike by `ws-bench fanout`, interleaved (A B C … A B C …)
//! so that a slow moment of the shared machine hits every server alike,
//! every run a load-generator process of its own, then a table of medians
//! per setup.
//!
//! ```text
//!  for each server: spawn `taskset -c 0 SERVER --listen 127.0.0.1:0` (ours: --threads 1;
//!                   ours-redis: two nodes and a redis-server), read `listening on`
//!  for each setup, for each repeat, for each server:
//!      `taskset -c 1 ws-bench fanout … --json` (one per room), while a probe here
//!      watches the server: its sockets (room filled), then its CPU and RSS over the window
//!  medians → one Markdown table per setup, and the raw runs as JSON (for `ws-bench chart`)
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | `setups` | the loads of the issue: members × senders × rate, rooms, compression |
//! | `servers` | the broadcast servers under test and starting them |
//! | `probe` | what the runner itself reads of a server during a run |
//! | `runs` | one run: the generator processes, the probe, their figures combined |
//! | `tables` | the Markdown tables and the raw JSON |

use std::path::PathBuf;
use std::time::Duration;

use crate::compare::Launch;

mod probe;
mod runs;
mod servers;
mod setups;
mod tables;

pub use runs::Run;
pub use servers::BROADCAST_SERVERS;
pub use setups::{SETUPS, Setup};
pub use tables::{raw_json, render};

/// What to compare.
#[derive(Clone, Debug)]
pub struct Options {
    /// Names from [`BROADCAST_SERVERS`] (ours first).
    pub servers: Vec<String>,
    /// Names from [`SETUPS`].
    pub setups: Vec<String>,
    /// Generator processes (one room each) of the many-rooms setup.
    pub rooms: usize,
    /// Repeats (medians are reported).
    pub repeats: usize,
    /// Warm-up after the room is full, and the measured window.
    pub warmup: Duration,
    /// The measured window of every run.
    pub duration: Duration,
    /// Where the Rust binaries are, pinning.
    pub launch: Launch,
    /// Where `fanout.sh` installed the Python and Node peers.
    pub peer_dir: PathBuf,
    /// Also write the Markdown tables here.
    pub out: Option<PathBuf>,
    /// Also write the raw runs (JSON) here.
    pub json: Option<PathBuf>,
    /// Fail if any run fails (CI).
    pub strict: bool,
}

/// The results: per setup, per server, the runs.
#[derive(Debug, Default)]
pub struct Results {
    /// Server names, ours first.
    pub servers: Vec<String>,
    /// Per setup: per server (same order), every repeat's run.
    pub setups: Vec<(Setup, Vec<Vec<Run>>)>,
    /// Setups not run, with the reason.
    pub skipped: Vec<(String, String)>,
    /// How the runs went: pinned, window, repeats.
    pub conditions: String,
    /// Runs that failed.
    pub failures: usize,
}

/// Runs the comparison and prints (and writes) the tables.
///
/// # Errors
/// A server fails to start; with [`Options::strict`], any run fails.
pub fn run(options: &Options) -> std::io::Result<Results> {
    let pin = options
        .launch
        .pin
        .unwrap_or_else(crate::compare::pinning_works);
    let specs: Vec<_> = BROADCAST_SERVERS
        .iter()
        .filter(|s| options.servers.iter().any(|n| n == s.name))
        .collect();
    if specs.is_empty() {
        return Err(std::io::Error::other("no known server selected"));
    }
    let snapshot =
        crate::compare::Snapshot::take(&options.launch.bin_dir, &servers::binaries(&specs))?;
    let bin_dir = snapshot.dir.as_path();
    let deflate = runs::generator_has_deflate(bin_dir);
    let mut results = Results {
        servers: specs.iter().map(|s| s.name.to_owned()).collect(),
        conditions: format!(
            "{} repeat(s), {:?} warm-up after the room is full, {:?} measured, pinned (servers core 0, load core 1): {pin}",
            options.repeats, options.warmup, options.duration
        ),
        ..Results::default()
    };
    eprintln!("ws-bench fanout-compare: {}", results.conditions);
    let mut running = Vec::new();
    for spec in &specs {
        running.push(servers::start(spec, bin_dir, &options.peer_dir, pin)?);
    }
    for name in &options.setups {
        let Some(setup) = SETUPS.iter().find(|s| s.name == name) else {
            results
                .skipped
                .push((name.clone(), "no such setup".to_owned()));
            continue;
        };
        if setup.deflate && !deflate {
            results.skipped.push((
                name.clone(),
                "`ws-bench fanout` has no `--deflate` flag yet".to_owned(),
            ));
            continue;
        }
        let rooms = if setup.many_rooms { options.rooms } else { 1 };
        let mut per_server = vec![Vec::new(); running.len()];
        for repeat in 0..options.repeats {
            for (i, server) in running.iter().enumerate() {
                if !setup.runs_on(server.spec.name) {
                    continue;
                }
                let label = format!(
                    "{:<12} {:<18} #{}",
                    setup.name,
                    server.spec.name,
                    repeat + 1
                );
                let load = runs::Load {
                    setup,
                    rooms,
                    warmup: options.warmup,
                    duration: options.duration,
                };
                match runs::run(pin, bin_dir, server, &load) {
                    Ok(run) => {
                        eprintln!("{label}  {}", run.summary());
                        per_server[i].push(run);
                    }
                    Err(e) => {
                        eprintln!("{label}  failed: {e}");
                        results.failures += 1;
                    }
                }
            }
        }
        results.setups.push((setup.clone(), per_server));
    }
    drop(running);
    drop(snapshot);
    let tables = render(&results);
    println!("{tables}");
    if let Some(path) = &options.out {
        std::fs::write(path, &tables)?;
    }
    if let Some(path) = &options.json {
        std::fs::write(path, raw_json(&results).to_string() + "\n")?;
    }
    if options.strict && results.failures > 0 {
        return Err(std::io::Error::other(format!(
            "{} run(s) failed",
            results.failures
        )));
    }
    Ok(results)
}
