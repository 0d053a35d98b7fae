//! What `/proc` says about a process: CPU time and resident memory.

use std::io;
use std::sync::OnceLock;
use std::time::Duration;

/// CPU time (user + system, all threads) of process `pid`.
///
/// # Errors
/// The file cannot be read or parsed (the process is gone).
pub fn cpu_time(pid: u32) -> io::Result<Duration> {
    cpu_times(pid).map(|t| t.total())
}

/// A process's CPU time, split by where it was spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// In the process's own code and libraries (`utime`).
    pub user: Duration,
    /// In the kernel on its behalf: system calls, and the TCP stack work
    /// they do (`stime`).
    pub system: Duration,
}

impl CpuTimes {
    /// User plus system time.
    pub fn total(self) -> Duration {
        self.user + self.system
    }
}

impl std::ops::Sub for CpuTimes {
    type Output = Self;

    fn sub(self, earlier: Self) -> Self {
        Self {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// User and system CPU time of process `pid` (all threads), from fields 14
/// and 15 of `/proc/PID/stat` (`utime`, `stime`, in clock ticks). The
/// kernel charges each tick to the mode the CPU was in, so over a few
/// seconds the split is a sample, good to a few percent.
///
/// # Errors
/// The file cannot be read or parsed (the process is gone).
pub fn cpu_times(pid: u32) -> io::Result<CpuTimes> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may contain spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::other("unexpected /proc/PID/stat"))?;
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = || -> io::Result<Duration> {
        fields
            .next()
            .and_then(|f| f.parse::<u64>().ok())
            .map(|ticks| Duration::from_secs_f64(ticks as f64 / clock_ticks()))
            .ok_or_else(|| io::Error::other("unexpected /proc/PID/stat"))
    };
    Ok(CpuTimes {
        user: next()?,
        system: next()?,
    })
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux unless asked).
fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Resident set size of process `pid` in bytes (`VmRSS` of `/proc/PID/status`).
///
/// # Errors
/// The file cannot be read or has no `VmRSS` line.
pub fn rss_bytes(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::other("no VmRSS in /proc/PID/status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_process() {
        let pid = std::process::id();
        assert!(rss_bytes(pid).unwrap() > 0);
        // Burn CPU until the kernel has charged at least 30 ms of it.
        let before = cpu_times(pid).unwrap();
        let started = std::time::Instant::now();
        let mut x = 0_u64;
        while cpu_time(pid).unwrap() < before.total() + Duration::from_millis(30)
            && started.elapsed() < Duration::from_secs(10)
        {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
            }
        }
        let used = cpu_times(pid).unwrap() - before;
        assert!(used.total() >= Duration::from_millis(30), "{used:?}");
    }
}
