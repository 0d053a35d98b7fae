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
//!  medians → tables (server CPU per echo, msgs/s, p99, idle KiB/conn) → targets
//! ```

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::echo::Report;
use crate::stats::{human, median};

/// One server under test.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// Short name in the tables.
    pub name: &'static str,
    /// Binary name in the build directory.
    pub binary: &'static str,
    /// Arguments after `--listen ADDR`.
    pub args: &'static [&'static str],
}

/// Our server and the three peers, ours first.
pub const SERVERS: [ServerSpec; 4] = [
    ServerSpec {
        name: "ours",
        binary: "ws-server",
        args: &[
            "--threads",
            "1",
            "--log",
            "warn",
            "--max-connections",
            "30000",
        ],
    },
    ServerSpec {
        name: "tokio-tungstenite",
        binary: "peer-tungstenite",
        args: &[],
    },
    ServerSpec {
        name: "fastwebsockets",
        binary: "peer-fastwebsockets",
        args: &[],
    },
    ServerSpec {
        name: "tokio-websockets",
        binary: "peer-tokio-websockets",
        args: &[],
    },
];

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
    /// Warm-up of every run.
    pub warmup: Duration,
    /// Measured window of every run.
    pub duration: Duration,
    /// Idle connections for the memory figure (0: skip it).
    pub idle_conns: usize,
    /// Text messages instead of binary.
    pub text: bool,
    /// Where the binaries are (default: next to this one).
    pub bin_dir: PathBuf,
    /// Pin the servers to core 0 and the load to core 1 with `taskset`
    /// (`None`: when `taskset` works and there are two cores).
    pub pin: Option<bool>,
    /// Also write the tables (Markdown) to this file.
    pub out: Option<PathBuf>,
    /// Fail if any run fails (for CI), instead of leaving a gap in the table.
    pub strict: bool,
}

/// A running server.
struct Running {
    spec: ServerSpec,
    child: Child,
    url: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `taskset -c CORE` in front of a command, when pinning.
fn command(pin: bool, core: u32, program: &Path) -> Command {
    if pin {
        let mut c = Command::new("taskset");
        c.arg("-c").arg(core.to_string()).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn taskset_works() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores >= 2
        && Command::new("taskset")
            .args(["-c", "1", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

fn start(spec: &ServerSpec, bin_dir: &Path, pin: bool) -> std::io::Result<Running> {
    let program = bin_dir.join(spec.binary);
    let mut child = command(pin, 0, &program)
        .args(["--listen", "127.0.0.1:0"])
        .args(spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", program.display())))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let Some(line) = lines.next().transpose()? else {
            let _ = child.kill();
            return Err(std::io::Error::other(format!(
                "{} exited before printing `listening on`",
                spec.binary
            )));
        };
        if let Some((_, rest)) = line.split_once("listening on http://") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    // Keep draining stdout so that a chatty server never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(Running {
        spec: spec.clone(),
        child,
        url: format!("ws://{addr}/echo"),
    })
}

/// Copies the binaries of a run (this one and the servers) into a private
/// directory, so that a rebuild of the workspace during a long comparison
/// (a neighbour running `cargo build --release`) cannot pull them away.
struct Snapshot {
    dir: PathBuf,
}

impl Snapshot {
    fn take(bin_dir: &Path, specs: &[ServerSpec]) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("ws-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::copy(std::env::current_exe()?, dir.join("ws-bench"))?;
        for spec in specs {
            let from = bin_dir.join(spec.binary);
            std::fs::copy(&from, dir.join(spec.binary))
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", from.display())))?;
        }
        Ok(Self { dir })
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs one load-generator process and reads its JSON line.
fn run_child(pin: bool, bin_dir: &Path, args: &[String]) -> std::io::Result<serde_json::Value> {
    let me = bin_dir.join("ws-bench");
    let output = command(pin, 1, &me)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "ws-bench {} failed ({})",
            args.first().map_or("", String::as_str),
            output.status
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("{}");
    serde_json::from_str(line).map_err(std::io::Error::other)
}

/// Formats a byte count as in the tables: 16 B, 1 KiB, 64 KiB, 1 MiB.
pub fn size_label(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
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
    /// Idle KiB per connection per server (NaN: not measured or failed).
    pub idle_kib: Vec<f64>,
    /// Idle connections used.
    pub idle_conns: usize,
    /// Runs that failed.
    pub failures: usize,
}

/// Runs the comparison and prints (and writes) the tables.
///
/// # Errors
/// A server fails to start; with [`Options::strict`], any run fails.
pub fn run(options: &Options) -> std::io::Result<Results> {
    let pin = options.pin.unwrap_or_else(taskset_works);
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
        options.warmup,
        options.duration
    );
    let snapshot = Snapshot::take(&options.bin_dir, &specs)?;
    let bin_dir = snapshot.dir.as_path();
    let mut running = Vec::with_capacity(specs.len());
    for spec in &specs {
        running.push(start(spec, bin_dir, pin)?);
    }
    let mut results = Results {
        servers: specs.iter().map(|s| s.name.to_owned()).collect(),
        idle_conns: options.idle_conns,
        ..Results::default()
    };

    // Idle memory first, on fresh servers.
    for server in &running {
        let kib = if options.idle_conns == 0 {
            f64::NAN
        } else {
            let args = vec![
                "idle".to_owned(),
                "--url".to_owned(),
                server.url.clone(),
                "--conns".to_owned(),
                options.idle_conns.to_string(),
                "--server-pid".to_owned(),
                server.child.id().to_string(),
                "--json".to_owned(),
            ];
            match run_child(pin, bin_dir, &args) {
                Ok(v) => v["kib_per_conn"].as_f64().unwrap_or(f64::NAN),
                Err(e) => {
                    eprintln!("idle memory of {}: {e}", server.spec.name);
                    results.failures += 1;
                    f64::NAN
                }
            }
        };
        if options.idle_conns > 0 {
            eprintln!(
                "idle memory {:>18}: {kib:.2} KiB per connection ({} connections)",
                server.spec.name, options.idle_conns
            );
        }
        results.idle_kib.push(kib);
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
                    let mut args = vec![
                        "echo".to_owned(),
                        "--url".to_owned(),
                        server.url.clone(),
                        "--conns".to_owned(),
                        conns.to_string(),
                        "--size".to_owned(),
                        size.to_string(),
                        "--warmup".to_owned(),
                        options.warmup.as_secs_f64().to_string(),
                        "--duration".to_owned(),
                        options.duration.as_secs_f64().to_string(),
                        "--server-pid".to_owned(),
                        server.child.id().to_string(),
                        "--label".to_owned(),
                        label.clone(),
                        "--json".to_owned(),
                    ];
                    if options.text {
                        args.push("--text".to_owned());
                    }
                    match run_child(pin, bin_dir, &args) {
                        Ok(v) => {
                            let report = Report::from_json(&v);
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

/// The medians of one metric for every server of a cell.
fn medians(reports: &[Vec<Report>], metric: impl Fn(&Report) -> f64) -> Vec<f64> {
    reports
        .iter()
        .map(|runs| median(&runs.iter().map(&metric).collect::<Vec<_>>()))
        .collect()
}

/// The best peer value (index ≥ 1) by `better`, or NaN.
fn best_peer(values: &[f64], lower_is_better: bool) -> f64 {
    values
        .iter()
        .skip(1)
        .copied()
        .filter(|v| v.is_finite())
        .reduce(|a, b| if (b < a) == lower_is_better { b } else { a })
        .unwrap_or(f64::NAN)
}

fn ratio(ours: f64, best: f64) -> String {
    if ours.is_finite() && best.is_finite() && best > 0.0 {
        format!("{:.2}", ours / best)
    } else {
        "–".to_owned()
    }
}

/// One Markdown table of a metric over every cell.
fn table(out: &mut String, results: &Results, spec: &Table) {
    let Table {
        title,
        lower_is_better,
        metric,
        format,
    } = *spec;
    let _ = writeln!(out, "\n**{title}**\n");
    let _ = write!(out, "| payload × conns |");
    for s in &results.servers {
        let _ = write!(out, " {s} |");
    }
    if lower_is_better.is_some() {
        let _ = writeln!(out, " ours / best peer |");
        let _ = writeln!(out, "|---|{}---:|", "---:|".repeat(results.servers.len()));
    } else {
        let _ = writeln!(out, "\n|---|{}", "---:|".repeat(results.servers.len()));
    }
    for ((size, conns), reports) in &results.cells {
        let values = medians(reports, metric);
        let _ = write!(out, "| {} × {conns} |", size_label(*size));
        for v in &values {
            let _ = write!(
                out,
                " {} |",
                if v.is_finite() {
                    format(*v)
                } else {
                    "–".to_owned()
                }
            );
        }
        match lower_is_better {
            Some(lower) => {
                let best = best_peer(&values, lower);
                let _ = writeln!(out, " {} |", ratio(values[0], best));
            }
            None => {
                let _ = writeln!(out);
            }
        }
    }
}

/// One table of the comparison: a metric of each run, its medians per cell.
struct Table {
    title: &'static str,
    /// `Some(true)`: lower is better (the best cell is marked); `None`: no ranking.
    lower_is_better: Option<bool>,
    metric: fn(&Report) -> f64,
    format: fn(f64) -> String,
}

impl Table {
    /// A table whose best peer is marked, and ours compared with it.
    const fn ranked(
        title: &'static str,
        lower_is_better: bool,
        metric: fn(&Report) -> f64,
        format: fn(f64) -> String,
    ) -> Self {
        Self {
            title,
            lower_is_better: Some(lower_is_better),
            metric,
            format,
        }
    }
}

fn two_decimals(v: f64) -> String {
    format!("{v:.2}")
}

fn no_decimals(v: f64) -> String {
    format!("{v:.0}")
}

/// The tables before the latency detail, in the order they are printed.
const TABLES: [Table; 5] = [
    Table::ranked(
        "Server CPU per echo (µs, median; lower is better)",
        true,
        |r| r.server_cpu_us_per_msg,
        two_decimals,
    ),
    Table::ranked(
        "Of which in user space: library and runtime (µs, median; lower is better)",
        true,
        |r| r.server_user_us_per_msg,
        two_decimals,
    ),
    Table::ranked(
        "Of which in the kernel: system calls and TCP (µs, median; lower is better)",
        true,
        |r| r.server_sys_us_per_msg,
        two_decimals,
    ),
    Table::ranked(
        "Echoes per second (median; higher is better)",
        false,
        |r| r.msgs_per_sec,
        human,
    ),
    Table::ranked(
        "Round trip p99 (µs, median; lower is better)",
        true,
        |r| r.p99_us,
        no_decimals,
    ),
];

/// The server-load table, printed after the latency detail.
const LOAD_TABLE: Table = Table {
    title: "Server load in cores over the window (median; 1.00 = one core busy)",
    lower_is_better: None,
    metric: |r| r.server_cpu_cores,
    format: two_decimals,
};

/// The tables and the target check, as Markdown.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    for spec in &TABLES {
        table(&mut out, results, spec);
    }
    // The p50/p999 detail for the latency table.
    let _ = writeln!(
        out,
        "\n<details><summary>p50 / p99 / p999 per server (µs)</summary>\n"
    );
    let _ = write!(out, "| payload × conns |");
    for s in &results.servers {
        let _ = write!(out, " {s} |");
    }
    let _ = writeln!(out, "\n|---|{}", "---:|".repeat(results.servers.len()));
    for ((size, conns), reports) in &results.cells {
        let p50 = medians(reports, |r| r.p50_us);
        let p99 = medians(reports, |r| r.p99_us);
        let p999 = medians(reports, |r| r.p999_us);
        let _ = write!(out, "| {} × {conns} |", size_label(*size));
        for i in 0..results.servers.len() {
            let _ = write!(out, " {:.0} / {:.0} / {:.0} |", p50[i], p99[i], p999[i]);
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "\n</details>");
    table(&mut out, results, &LOAD_TABLE);
    if results.idle_kib.iter().any(|v| v.is_finite()) {
        let _ = writeln!(
            out,
            "\n**Idle memory per connection (KiB of server RSS growth over {} idle connections)**\n",
            results.idle_conns
        );
        let _ = writeln!(out, "| server | KiB / connection |\n|---|---:|");
        for (s, kib) in results.servers.iter().zip(&results.idle_kib) {
            let _ = writeln!(out, "| {s} | {kib:.2} |");
        }
    }
    let _ = writeln!(out, "\n**Targets**\n");
    for line in targets(results) {
        let _ = writeln!(out, "- {line}");
    }
    out
}

/// The issue's targets, each checked against the medians.
pub fn targets(results: &Results) -> Vec<String> {
    let mut lines = Vec::new();
    let mark = |ok: bool| if ok { "met" } else { "**missed**" };
    for ((size, conns), reports) in &results.cells {
        let cpu = medians(reports, |r| r.server_cpu_us_per_msg);
        let rate = medians(reports, |r| r.msgs_per_sec);
        let (best_cpu, best_rate) = (best_peer(&cpu, true), best_peer(&rate, false));
        if !best_cpu.is_finite() {
            continue;
        }
        let limit = if *size <= 64 << 10 { 0.8 } else { 1.0 };
        let cell = format!("{} × {conns}", size_label(*size));
        // What no library can go below: the kernel's share. If the best
        // peer's kernel time alone exceeds the limit, only fewer or
        // cheaper system calls could meet it, not faster user code.
        let sys = medians(reports, |r| r.server_sys_us_per_msg);
        let best_sys = best_peer(&sys, true);
        lines.push(format!(
            "{cell}: server CPU {:.2} µs vs best peer {best_cpu:.2} (≤ {limit}×: {}); \
             kernel alone {:.2} vs best peer {best_sys:.2}; msgs/s {} vs {} (≥ best: {})",
            cpu[0],
            mark(cpu[0] <= limit * best_cpu),
            sys[0],
            human(rate[0]),
            human(best_rate),
            mark(rate[0] >= best_rate),
        ));
        if *size == 1024 && *conns == 100 {
            let p99 = medians(reports, |r| r.p99_us);
            let best = best_peer(&p99, true);
            lines.push(format!(
                "{cell}: p99 {:.0} µs vs best peer {best:.0} µs (no worse: {})",
                p99[0],
                mark(p99[0] <= best)
            ));
        }
    }
    if let Some(ours) = results.idle_kib.first().filter(|v| v.is_finite()) {
        lines.push(format!(
            "idle memory: {ours:.2} KiB per connection (≤ 4 KiB: {})",
            mark(*ours <= 4.0)
        ));
    }
    lines
}
