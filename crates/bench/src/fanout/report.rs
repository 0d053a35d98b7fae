//! What a fan-out run measured, as one JSON object or a summary line.
//!
//! The JSON fields of the first version (`sent` … `errors`) keep their
//! names and meaning: scripts read them.

use std::time::Duration;

use serde_json::json;

use super::quantiles;
use crate::procfs::CpuTimes;
use crate::stats::{Latencies, finite_or_null, human};

/// What a fan-out run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Messages sent in the window.
    pub sent: u64,
    /// Room messages received by members in the window.
    pub deliveries: u64,
    /// Window length in seconds.
    pub seconds: f64,
    /// Deliveries per second.
    pub deliveries_per_sec: f64,
    /// Delivery latency percentiles in microseconds (of the sample).
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Latencies taken (the sampled deliveries in the window).
    pub samples: usize,
    /// The fraction of deliveries sampled.
    pub sample_fraction: f64,
    /// Server CPU time (user + system) per delivery in microseconds.
    pub server_cpu_us_per_delivery: f64,
    /// Of which in user space.
    pub server_user_us_per_delivery: f64,
    /// Of which in the kernel.
    pub server_system_us_per_delivery: f64,
    /// The load generator's own CPU over the window, in cores (1.0: one
    /// core busy all the time: it may be the bottleneck).
    pub client_cpu_cores: f64,
    /// Server RSS at the end of the window, in bytes.
    pub server_rss_bytes: Option<u64>,
    /// Seconds from the first connect to the last `welcome` (room fill time).
    pub fill_seconds: f64,
    /// Server CPU seconds spent while the room filled.
    pub fill_server_cpu_seconds: f64,
    /// Errors (`rate_limited`, `bad_request`) the server answered with.
    pub errors: u64,
    /// `join`, `leave` and `presence` events the members received over
    /// the whole run (a fill of n members without batching: n(n-1)/2).
    pub presence_events: u64,
    /// Members the server closed or dropped before the end (slow consumers).
    pub closed_by_server: u64,
    /// Whether members offered permessage-deflate.
    pub deflate: bool,
}

/// Counts of a run.
#[derive(Debug)]
pub(super) struct Counts {
    pub(super) sent: u64,
    pub(super) deliveries: u64,
    pub(super) seconds: f64,
    pub(super) errors: u64,
    pub(super) presence_events: u64,
    pub(super) closed_by_server: u64,
}

/// What the run cost the server and the load generator.
#[derive(Debug)]
pub(super) struct Costs {
    /// Server CPU over the window.
    pub(super) server: Option<CpuTimes>,
    /// This process's CPU over the window.
    pub(super) client: CpuTimes,
    pub(super) server_rss: Option<u64>,
    pub(super) fill_seconds: f64,
    /// Server CPU while the room filled.
    pub(super) fill_server: Option<Duration>,
}

/// How the run was set up.
#[derive(Debug)]
pub(super) struct Setup {
    pub(super) sample_fraction: f64,
    pub(super) deflate: bool,
}

impl Report {
    pub(super) fn new(counts: Counts, latencies: &Latencies, costs: Costs, setup: Setup) -> Self {
        let per_delivery = |d: Option<Duration>| {
            d.map_or(f64::NAN, |d| {
                d.as_secs_f64() * 1e6 / counts.deliveries as f64
            })
        };
        let [p50_us, p99_us, p999_us] = quantiles(latencies);
        Self {
            sent: counts.sent,
            deliveries: counts.deliveries,
            seconds: counts.seconds,
            deliveries_per_sec: counts.deliveries as f64 / counts.seconds,
            p50_us,
            p99_us,
            p999_us,
            samples: latencies.len(),
            sample_fraction: setup.sample_fraction,
            server_cpu_us_per_delivery: per_delivery(costs.server.map(CpuTimes::total)),
            server_user_us_per_delivery: per_delivery(costs.server.map(|c| c.user)),
            server_system_us_per_delivery: per_delivery(costs.server.map(|c| c.system)),
            client_cpu_cores: costs.client.total().as_secs_f64() / counts.seconds,
            server_rss_bytes: costs.server_rss,
            fill_seconds: costs.fill_seconds,
            fill_server_cpu_seconds: costs.fill_server.map_or(f64::NAN, |d| d.as_secs_f64()),
            errors: counts.errors,
            presence_events: counts.presence_events,
            closed_by_server: counts.closed_by_server,
            deflate: setup.deflate,
        }
    }

    /// One JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "sent": self.sent,
            "deliveries": self.deliveries,
            "seconds": self.seconds,
            "deliveries_per_sec": self.deliveries_per_sec,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "server_cpu_us_per_delivery": finite_or_null(self.server_cpu_us_per_delivery),
            "errors": self.errors,
            "presence_events": self.presence_events,
            "p999_us": self.p999_us,
            "samples": self.samples,
            "sample_fraction": self.sample_fraction,
            "server_user_us_per_delivery": finite_or_null(self.server_user_us_per_delivery),
            "server_system_us_per_delivery": finite_or_null(self.server_system_us_per_delivery),
            "client_cpu_cores": self.client_cpu_cores,
            "server_rss_bytes": self.server_rss_bytes,
            "fill_seconds": self.fill_seconds,
            "fill_server_cpu_seconds": finite_or_null(self.fill_server_cpu_seconds),
            "closed_by_server": self.closed_by_server,
            "deflate": self.deflate,
        })
    }

    /// The human-readable summary.
    pub fn summary(&self) -> String {
        format!(
            "{} deliveries/s  latency p50 {:.1} µs  p99 {:.1} µs  p99.9 {:.1} µs  \
             server {:.2} µs CPU/delivery  client {:.2} cores  \
             ({} sent, {} delivered in {:.2} s, {} errors, {} closed by the server; \
             room filled in {:.2} s, {:.2} s server CPU; {:.2}% sampled)",
            human(self.deliveries_per_sec),
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.server_cpu_us_per_delivery,
            self.client_cpu_cores,
            self.sent,
            self.deliveries,
            self.seconds,
            self.errors,
            self.closed_by_server,
            self.fill_seconds,
            self.fill_server_cpu_seconds,
            self.sample_fraction * 100.0,
        )
    }
}
