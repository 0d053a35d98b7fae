//! What the runner reads of a server during a run, from `/proc`, without
//! any help from the load generator: its open descriptors (the room is full
//! when one socket per member is open), and its CPU time and RSS at the
//! edges of the measured window.

use std::time::{Duration, Instant};

use crate::procfs::{CpuTimes, cpu_times, rss_bytes};

/// Open descriptors of all of `pids` (sockets, mostly).
pub(super) fn descriptors(pids: &[u32]) -> usize {
    pids.iter()
        .map(|pid| std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count))
        .sum()
}

/// CPU time (user and kernel, summed over `pids`) and their total RSS.
pub(super) fn sample(pids: &[u32]) -> std::io::Result<(CpuTimes, u64)> {
    let mut cpu = CpuTimes::default();
    let mut rss = 0;
    for &pid in pids {
        let t = cpu_times(pid)?;
        cpu.user += t.user;
        cpu.system += t.system;
        rss += rss_bytes(pid)?;
    }
    Ok((cpu, rss))
}

/// Waits until `pids` hold at most `idle` descriptors (the previous run's
/// sockets are closed), for at most `limit`.
pub(super) fn settle(pids: &[u32], idle: usize, limit: Duration) {
    let start = Instant::now();
    while descriptors(pids) > idle && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `pids` hold `target` descriptors or more (every member's
/// socket open: the generator opens the next only after the previous got
/// its `welcome`), polling every 20 ms; the time it took, or `None` if
/// `limit` passed first or `gone` says the generator ended.
pub(super) fn filled(
    pids: &[u32],
    target: usize,
    limit: Duration,
    mut gone: impl FnMut() -> bool,
) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if descriptors(pids) >= target {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit || gone() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
