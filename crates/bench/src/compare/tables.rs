//! The tables of a comparison, as Markdown: one per metric, a row per
//! cell (payload × conns), the median of the repeats per server, and for
//! the ranked ones the ratio ours / best peer.

use std::fmt::Write as _;

use super::Results;
use super::targets::targets;
use crate::echo::Report;
use crate::stats::{human, median};

/// Formats a byte count as in the tables: 16 B, 1 KiB, 64 KiB, 1 MiB.
pub fn size_label(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// The medians of one metric for every server of a cell.
pub(super) fn medians(reports: &[Vec<Report>], metric: impl Fn(&Report) -> f64) -> Vec<f64> {
    reports
        .iter()
        .map(|runs| median(&runs.iter().map(&metric).collect::<Vec<_>>()))
        .collect()
}

/// The best finite peer value (index ≥ 1), the lowest if `lower_is_better`,
/// else the highest; NaN if no peer has one.
pub(super) fn best_peer(values: &[f64], lower_is_better: bool) -> f64 {
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
    /// `Some(true)`: lower is better, `Some(false)`: higher; either adds the
    /// column ours / best peer. `None`: no ranking, no such column.
    lower_is_better: Option<bool>,
    metric: fn(&Report) -> f64,
    format: fn(f64) -> String,
}

impl Table {
    /// A table with the column ours / best peer.
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
    if results.idle.kib.iter().any(|v| v.is_finite()) {
        let _ = writeln!(
            out,
            "\n**Idle memory per connection (KiB of server RSS growth over {} idle connections)**\n",
            results.idle.conns
        );
        let _ = writeln!(out, "| server | KiB / connection |\n|---|---:|");
        for (s, kib) in results.servers.iter().zip(&results.idle.kib) {
            let _ = writeln!(out, "| {s} | {kib:.2} |");
        }
    }
    let _ = writeln!(out, "\n**Targets**\n");
    for line in targets(results) {
        let _ = writeln!(out, "- {line}");
    }
    out
}
