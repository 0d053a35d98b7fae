//! Counters served at `/metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Server-wide counters. Updated with relaxed atomics: each is independent.
#[derive(Debug, Default)]
pub struct Metrics {
    /// WebSockets open right now.
    pub open_connections: AtomicU64,
    /// Successful upgrades since start.
    pub upgrades: AtomicU64,
    /// Upgrades refused (bad request, origin, limits).
    pub rejected_upgrades: AtomicU64,
    /// Plain HTTP requests answered.
    pub http_requests: AtomicU64,
    /// Data messages received.
    pub messages_in: AtomicU64,
    /// Data messages sent.
    pub messages_out: AtomicU64,
    /// Payload bytes of data messages received.
    pub bytes_in: AtomicU64,
    /// Payload bytes of data messages sent.
    pub bytes_out: AtomicU64,
    closes: Mutex<BTreeMap<u16, u64>>,
}

impl Metrics {
    /// Counts one message received.
    pub fn message_in(&self, bytes: usize) {
        self.messages_in.fetch_add(1, Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Relaxed);
    }

    /// Counts one message sent.
    pub fn message_out(&self, bytes: usize) {
        self.messages_out.fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    /// Counts a finished WebSocket by its close code (1006: no Close frame).
    pub fn closed(&self, code: u16) {
        let mut closes = self
            .closes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *closes.entry(code).or_default() += 1;
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "ws_open_connections",
            "gauge",
            "WebSocket connections open now.",
            self.open_connections.load(Relaxed),
        );
        metric(
            "ws_upgrades_total",
            "counter",
            "Successful WebSocket upgrades.",
            self.upgrades.load(Relaxed),
        );
        metric(
            "ws_rejected_upgrades_total",
            "counter",
            "Refused WebSocket upgrades.",
            self.rejected_upgrades.load(Relaxed),
        );
        metric(
            "ws_http_requests_total",
            "counter",
            "Plain HTTP requests answered.",
            self.http_requests.load(Relaxed),
        );
        metric(
            "ws_messages_in_total",
            "counter",
            "Data messages received.",
            self.messages_in.load(Relaxed),
        );
        metric(
            "ws_messages_out_total",
            "counter",
            "Data messages sent.",
            self.messages_out.load(Relaxed),
        );
        metric(
            "ws_bytes_in_total",
            "counter",
            "Payload bytes received.",
            self.bytes_in.load(Relaxed),
        );
        metric(
            "ws_bytes_out_total",
            "counter",
            "Payload bytes sent.",
            self.bytes_out.load(Relaxed),
        );
        out.push_str("# HELP ws_closes_total Closed WebSockets by close code (1006: without a Close frame).\n");
        out.push_str("# TYPE ws_closes_total counter\n");
        let closes = self
            .closes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (code, count) in closes.iter() {
            let _ = writeln!(out, "ws_closes_total{{code=\"{code}\"}} {count}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.message_in(5);
        m.closed(1000);
        m.closed(1000);
        let text = m.render();
        assert!(text.contains("ws_messages_in_total 1\n"));
        assert!(text.contains("ws_bytes_in_total 5\n"));
        assert!(text.contains("ws_closes_total{code=\"1000\"} 2\n"));
        assert!(text.contains("# TYPE ws_open_connections gauge\n"));
    }
}
