//! The targets for our server, each checked against the medians
//! of the peers: server CPU per echo, echoes per second, p99 round trip,
//! idle memory per connection.

use super::Results;
use super::tables::{best_peer, medians, size_label};
use crate::stats::human;

/// The targets, each checked against the medians.
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
    if let Some(ours) = results.idle.kib.first().filter(|v| v.is_finite()) {
        lines.push(format!(
            "idle memory: {ours:.2} KiB per connection (≤ 4 KiB: {})",
            mark(*ours <= 4.0)
        ));
    }
    lines
}
