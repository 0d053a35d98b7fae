//! One run of a setup against a server: the `ws-bench fanout` processes
//! (one per room, pinned to core 1), and the runner's own probe of the
//! server meanwhile; their figures combined into a [`Run`].
//!
//! ```text
//!  settle (last run's sockets closed) ─► spawn generators ─► probe: room full (fill time)
//!     ─► warm-up ─► sample CPU, RSS ─► window ─► sample ─► generators' JSON lines
//! ```
//!
//! The window is the runner's, started when the server holds every
//! member's socket; each generator times its own window from the same
//! moment (its last `welcome`), so the two cover the same seconds to within
//! a join. CPU is the server's `utime`/`stime` over the runner's window
//! divided by the deliveries the generators counted per second times its
//! length.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::probe;
use super::servers::Running;
use super::setups::Setup;
use crate::compare::pinned;
use crate::stats::{finite_or_null, human, median};

/// What a run does.
pub(super) struct Load<'a> {
    pub(super) setup: &'a Setup,
    /// Generator processes, one room each.
    pub(super) rooms: usize,
    pub(super) warmup: Duration,
    pub(super) duration: Duration,
}

/// What one run measured (every figure for the whole server: all rooms, all
/// its processes).
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// Rooms (generator processes) and members in each.
    pub rooms: usize,
    /// Members per room.
    pub members: usize,
    /// Deliveries per second, all generators together.
    pub deliveries_per_sec: f64,
    /// Server CPU per delivery, µs: user + kernel, then each part.
    pub cpu_us: f64,
    /// In user space.
    pub user_us: f64,
    /// In the kernel.
    pub sys_us: f64,
    /// Delivery latency, µs: median of the generators' p50.
    pub p50_us: f64,
    /// The worst generator's p99.
    pub p99_us: f64,
    /// The worst generator's p99.9 (NaN while the generator reports none).
    pub p999_us: f64,
    /// Deliveries expected in the window (sent × members) and not counted.
    pub lost: f64,
    /// `sent × members` over the window.
    pub expected: f64,
    /// Server RSS at the end of the window, MiB.
    pub rss_mib: f64,
    /// RSS growth over the run per member, KiB.
    pub kib_per_member: f64,
    /// From the first connection to the last member's socket, seconds.
    pub fill_s: f64,
    /// The generators' own JSON lines, as printed.
    pub generators: Vec<Value>,
}

impl Run {
    /// One line for the progress output.
    pub fn summary(&self) -> String {
        format!(
            "{} deliveries/s  {:.2} µs CPU/delivery ({:.2} user, {:.2} kernel)  p50 {:.1} ms  p99 {:.1} ms  \
             lost {:.0}  RSS {:.1} MiB  filled in {:.2} s",
            human(self.deliveries_per_sec),
            self.cpu_us,
            self.user_us,
            self.sys_us,
            self.p50_us / 1e3,
            self.p99_us / 1e3,
            self.lost,
            self.rss_mib,
            self.fill_s
        )
    }

    /// As JSON, for the raw results.
    pub fn to_json(&self) -> Value {
        json!({
            "rooms": self.rooms,
            "members": self.members,
            "deliveries_per_sec": finite_or_null(self.deliveries_per_sec),
            "cpu_us_per_delivery": finite_or_null(self.cpu_us),
            "user_us_per_delivery": finite_or_null(self.user_us),
            "sys_us_per_delivery": finite_or_null(self.sys_us),
            "p50_us": finite_or_null(self.p50_us),
            "p99_us": finite_or_null(self.p99_us),
            "p999_us": finite_or_null(self.p999_us),
            "lost": finite_or_null(self.lost),
            "expected": finite_or_null(self.expected),
            "rss_mib": finite_or_null(self.rss_mib),
            "kib_per_member": finite_or_null(self.kib_per_member),
            "fill_s": finite_or_null(self.fill_s),
            "generators": self.generators,
        })
    }
}

/// Whether this build's `ws-bench fanout` can negotiate permessage-deflate.
pub(super) fn generator_has_deflate(bin_dir: &Path) -> bool {
    std::process::Command::new(bin_dir.join("ws-bench"))
        .args(["fanout", "--help"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--deflate"))
}

/// Kills the generators still running when a run fails half-way.
struct Generators(Vec<Child>);

impl Drop for Generators {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `load` against `server`.
///
/// # Errors
/// A generator fails to start or exits with an error, or the room does not
/// fill within 5 minutes.
pub(super) fn run(
    pin: bool,
    bin_dir: &Path,
    server: &Running,
    load: &Load<'_>,
) -> std::io::Result<Run> {
    let pids = server.pids();
    let setup = load.setup;
    // The previous run's sockets first: they would count as members.
    let idle = probe::descriptors(&pids);
    std::thread::sleep(Duration::from_millis(300));
    probe::settle(&pids, idle, Duration::from_secs(20));
    let baseline = probe::descriptors(&pids);
    let (_, rss0) = probe::sample(&pids)?;
    let mut generators = Generators(Vec::with_capacity(load.rooms));
    for room in 0..load.rooms {
        let mut cmd = pinned(pin, 1, &bin_dir.join("ws-bench"));
        cmd.args(["fanout", "--url", &server.url])
            .args([
                "--room",
                &format!("{}-{room}", setup.name.replace('x', "-")),
            ])
            .args(["--members", &setup.members.to_string()])
            .args(["--senders", &setup.senders.to_string()])
            .args(["--rate", &setup.rate.to_string()])
            .args(["--warmup", &load.warmup.as_secs_f64().to_string()])
            .args(["--duration", &load.duration.as_secs_f64().to_string()])
            .args(["--server-pid", &pids[0].to_string(), "--json"]);
        if setup.deflate {
            cmd.arg("--deflate");
        }
        generators.0.push(
            cmd.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()?,
        );
    }
    let target = baseline + setup.members * load.rooms;
    let fill = probe::filled(&pids, target, Duration::from_secs(300), || {
        generators
            .0
            .iter_mut()
            .any(|c| c.try_wait().ok().flatten().is_some())
    })
    .ok_or_else(|| {
        std::io::Error::other("the room did not fill (generator ended or 5 min passed)")
    })?;
    std::thread::sleep(load.warmup);
    let (cpu_a, _) = probe::sample(&pids)?;
    let start = Instant::now();
    std::thread::sleep(load.duration);
    let (cpu_b, rss) = probe::sample(&pids)?;
    let seconds = start.elapsed().as_secs_f64();
    let mut lines = Vec::new();
    for child in std::mem::take(&mut generators.0) {
        let output = child.wait_with_output()?;
        if !output.status.success() {
            return Err(std::io::Error::other(format!(
                "ws-bench fanout failed ({})",
                output.status
            )));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or("{}");
        lines.push(serde_json::from_str::<Value>(line).map_err(std::io::Error::other)?);
    }
    Ok(combine(
        setup,
        load.rooms,
        &lines,
        (cpu_b - cpu_a, seconds),
        (rss0, rss),
        fill,
        lines.clone(),
    ))
}

/// The run's figures from the generators' lines and the probe's samples.
fn combine(
    setup: &Setup,
    rooms: usize,
    lines: &[Value],
    (cpu, seconds): (crate::procfs::CpuTimes, f64),
    (rss0, rss): (u64, u64),
    fill: Duration,
    generators: Vec<Value>,
) -> Run {
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let sum = |k: &str| lines.iter().map(|v| f(v, k)).sum::<f64>();
    let worst = |k: &str| lines.iter().map(|v| f(v, k)).fold(f64::NAN, f64::max);
    let rate = sum("deliveries_per_sec");
    let deliveries = rate * seconds;
    let expected = lines
        .iter()
        .map(|v| f(v, "sent") * setup.members as f64)
        .sum::<f64>();
    let members = (setup.members * rooms) as f64;
    Run {
        rooms,
        members: setup.members,
        deliveries_per_sec: rate,
        cpu_us: cpu.total().as_secs_f64() * 1e6 / deliveries,
        user_us: cpu.user.as_secs_f64() * 1e6 / deliveries,
        sys_us: cpu.system.as_secs_f64() * 1e6 / deliveries,
        p50_us: median(&lines.iter().map(|v| f(v, "p50_us")).collect::<Vec<_>>()),
        p99_us: worst("p99_us"),
        p999_us: worst("p999_us"),
        lost: (expected - sum("deliveries")).max(0.0),
        expected,
        rss_mib: rss as f64 / f64::from(1 << 20),
        kib_per_member: (rss as f64 - rss0 as f64) / 1024.0 / members,
        fill_s: fill.as_secs_f64(),
        generators,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::CpuTimes;

    #[test]
    fn combines_generators_and_probe() {
        let setup = &super::super::SETUPS[2];
        let lines = vec![
            json!({"sent": 40, "deliveries": 400, "deliveries_per_sec": 400.0, "p50_us": 100.0, "p99_us": 900.0}),
            json!({"sent": 40, "deliveries": 390, "deliveries_per_sec": 390.0, "p50_us": 300.0, "p99_us": 700.0}),
        ];
        let cpu = CpuTimes {
            user: Duration::from_millis(60),
            system: Duration::from_millis(19),
        };
        let run = combine(
            setup,
            2,
            &lines,
            (cpu, 1.0),
            (1 << 20, 3 << 20),
            Duration::from_millis(5),
            vec![],
        );
        assert_eq!(run.deliveries_per_sec, 790.0);
        assert!((run.cpu_us - 100.0).abs() < 1e-9, "{}", run.cpu_us);
        assert!((run.user_us - 60e3 / 790.0).abs() < 1e-9);
        assert_eq!(run.p50_us, 200.0);
        assert_eq!(run.p99_us, 900.0);
        assert!(run.p999_us.is_nan());
        assert_eq!((run.expected, run.lost), (800.0, 10.0));
        assert_eq!(run.kib_per_member, 2048.0 / 20.0);
        assert_eq!(run.rss_mib, 3.0);
    }
}
