//! The fan-out comparison as Markdown (one table per setup, a row per
//! server, medians of the repeats) and as raw JSON (every run, for the
//! charts of `ws-bench chart`).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Results, Run};
use crate::stats::{finite_or_null, human, median};

/// The median of one figure over the repeats.
pub(crate) fn median_of(runs: &[Run], figure: impl Fn(&Run) -> f64) -> f64 {
    median(&runs.iter().map(figure).collect::<Vec<_>>())
}

fn cell(v: f64, format: impl Fn(f64) -> String) -> String {
    if v.is_finite() {
        format(v)
    } else {
        "–".to_owned()
    }
}

/// The tables, as Markdown.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Conditions: {}.", results.conditions);
    for (setup, per_server) in &results.setups {
        let rooms = per_server
            .iter()
            .flatten()
            .map(|r| r.rooms)
            .next()
            .unwrap_or(1);
        let _ = writeln!(
            out,
            "\n**{}**{} ({} deliveries/s offered)\n",
            setup.title,
            if setup.many_rooms {
                format!(", {rooms} rooms")
            } else {
                String::new()
            },
            human(setup.offered(rooms))
        );
        let _ = writeln!(
            out,
            "| server | deliveries/s | CPU µs/delivery (user + kernel) | latency p50 / p99 / p99.9 ms | lost | RSS MiB | KiB/member | fill s |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for (name, runs) in results.servers.iter().zip(per_server) {
            if runs.is_empty() {
                continue;
            }
            let m = |figure: fn(&Run) -> f64| median_of(runs, figure);
            let ms = |v: f64| cell(v / 1e3, |x| format!("{x:.1}"));
            let _ = writeln!(
                out,
                "| {name} | {} | {} ({} + {}) | {} / {} / {} | {} | {} | {} | {} |",
                human(m(|r| r.deliveries_per_sec)),
                cell(m(|r| r.cpu_us), |x| format!("{x:.2}")),
                cell(m(|r| r.user_us), |x| format!("{x:.2}")),
                cell(m(|r| r.sys_us), |x| format!("{x:.2}")),
                ms(m(|r| r.p50_us)),
                ms(m(|r| r.p99_us)),
                ms(m(|r| r.p999_us)),
                cell(m(|r| r.lost), |x| format!("{x:.0}")),
                cell(m(|r| r.rss_mib), |x| format!("{x:.1}")),
                cell(m(|r| r.kib_per_member), |x| format!("{x:.1}")),
                cell(m(|r| r.fill_s), |x| format!("{x:.2}")),
            );
        }
    }
    for (name, why) in &results.skipped {
        let _ = writeln!(out, "\nNot run: `{name}`: {why}.");
    }
    out
}

/// Every run of the comparison, as one JSON document.
pub fn raw_json(results: &Results) -> Value {
    let setups: Vec<Value> = results
        .setups
        .iter()
        .map(|(setup, per_server)| {
            let servers: serde_json::Map<String, Value> = results
                .servers
                .iter()
                .zip(per_server)
                .filter(|(_, runs)| !runs.is_empty())
                .map(|(name, runs)| {
                    (
                        name.clone(),
                        json!({
                            "median_deliveries_per_sec": finite_or_null(median_of(runs, |r| r.deliveries_per_sec)),
                            "median_cpu_us_per_delivery": finite_or_null(median_of(runs, |r| r.cpu_us)),
                            "runs": runs.iter().map(Run::to_json).collect::<Vec<_>>(),
                        }),
                    )
                })
                .collect();
            json!({
                "name": setup.name,
                "title": setup.title,
                "members": setup.members,
                "senders": setup.senders,
                "rate": setup.rate,
                "servers": servers,
            })
        })
        .collect();
    json!({
        "kind": "fanout-compare",
        "conditions": results.conditions,
        "servers": results.servers,
        "setups": setups,
        "skipped": results.skipped.iter().map(|(n, w)| json!({"setup": n, "why": w})).collect::<Vec<_>>(),
    })
}
