//! What `/proc` says about a process: CPU time and resident memory.

use std::io;
use std::sync::OnceLock;
use std::time::Duration;

/// CPU time (user + system, all threads) of process `pid`, from fields 14
/// and 15 of `/proc/PID/stat` (`utime`, `stime`, in clock ticks).
///
/// # Errors
/// The file cannot be read or parsed (the process is gone).
pub fn cpu_time(pid: u32) -> io::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may contain spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::other("unexpected /proc/PID/stat"))?;
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = || -> io::Result<u64> {
        fields
            .next()
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::other("unexpected /proc/PID/stat"))
    };
    let ticks = next()? + next()?;
    Ok(Duration::from_secs_f64(ticks as f64 / clock_ticks()))
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
        // Burn a little CPU so the figure is visibly non-negative and parses.
        let t = cpu_time(pid).unwrap();
        assert!(t >= Duration::ZERO);
    }
}
