//! Counters served at `/metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use ws_tokio::CloseCode;

/// Server-wide counters. Updated with relaxed atomics: each is independent.
#[derive(Debug, Default)]
pub struct Metrics {
    /// WebSockets open right now.
    pub open_connections: AtomicU64,
    /// Successful upgrades since start.
    pub upgrades: AtomicU64,
    /// Of those, WebSockets opened over HTTP/2 (RFC 8441 extended CONNECT).
    pub upgrades_http2: AtomicU64,
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
    /// Chat rooms now.
    pub chat_rooms: AtomicU64,
    /// Chat members now.
    pub chat_members: AtomicU64,
    /// Room messages accepted (each fanned out to every member).
    pub chat_messages: AtomicU64,
    /// Direct messages delivered.
    pub chat_directs: AtomicU64,
    /// Chat frames queued for members (one per recipient).
    pub chat_queued: AtomicU64,
    /// Members disconnected with 1008 because their queue was full.
    pub chat_slow_consumers: AtomicU64,
    /// Chat frames deflated for members' queues: at most one per frame
    /// and window size, however many members it goes to (RFC 7692
    /// §7.1.1.1).
    pub chat_deflate_compressions: AtomicU64,
    /// Chat frames sent with those shared compressed bytes (one per
    /// recipient).
    pub chat_deflate_shared: AtomicU64,
    /// Chat messages refused by the rate limit.
    pub chat_rate_limited: AtomicU64,
    /// Joins with `since` whose every missed message was replayed.
    pub chat_resumes_recovered: AtomicU64,
    /// Joins with `since` that got `recovered: false` (and the backlog).
    pub chat_resumes_unrecovered: AtomicU64,
    /// History messages sent to joiners (backlog and replays).
    pub chat_backlog_sent: AtomicU64,
    /// Room messages whose `id` was already placed: acknowledged, not
    /// delivered again.
    pub chat_deduplicated: AtomicU64,
    /// Whether `--redis` is configured (the `ws_redis_*` lines are shown).
    pub redis_configured: std::sync::atomic::AtomicBool,
    /// 1 while Redis is usable (subscribed, and the last command worked).
    pub redis_up: AtomicU64,
    /// Publishes (and other Redis commands of the chat) that failed; the
    /// event was then delivered on this node only.
    pub redis_publish_failures: AtomicU64,
    /// Times the subscription to Redis was made again after a loss.
    pub redis_reconnects: AtomicU64,
    /// Events received from Redis.
    pub redis_events: AtomicU64,
    /// Events received out of sequence (a gap: events lost in between).
    pub redis_gaps: AtomicU64,
    /// `leave`s received for members whose node stopped refreshing its
    /// presence (removed by whichever node noticed first).
    pub redis_reaped: AtomicU64,
    closes: Mutex<BTreeMap<CloseCode, u64>>,
    /// Requests refused before an upgrade by who may join (a token, the
    /// per-address limit), by reason. The reasons are a fixed set of
    /// `&'static str`, so the map stays small.
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    /// HTTP API calls by endpoint and status.
    api_calls: Mutex<BTreeMap<(&'static str, u16), u64>>,
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

    /// Counts `count` messages sent, `bytes` in all.
    pub fn messages_out(&self, count: usize, bytes: usize) {
        self.messages_out.fetch_add(count as u64, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    /// Counts a finished WebSocket by its close code (1006: no Close frame).
    pub fn closed(&self, code: CloseCode) {
        let mut closes = self
            .closes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *closes.entry(code).or_default() += 1;
    }

    /// Counts a join or upgrade refused for `reason` (its plain-text reason).
    pub fn refused(&self, reason: &'static str) {
        *lock(&self.refusals).entry(reason).or_default() += 1;
    }

    /// Counts an HTTP API call to `endpoint` answered with `status`.
    pub fn api_call(&self, endpoint: &'static str, status: u16) {
        *lock(&self.api_calls).entry((endpoint, status)).or_default() += 1;
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        // Snapshot the closes first: a connection's gauge is decremented
        // before its close is counted, so every close seen here is also
        // reflected in the gauges read below (the lock orders the two).
        let closes = self
            .closes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
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
        // By HTTP version: which protocol browsers really used.
        let http2 = self.upgrades_http2.load(Relaxed);
        let http1 = self.upgrades.load(Relaxed).saturating_sub(http2);
        out.push_str("# HELP ws_upgrades_by_http_version_total Successful WebSocket upgrades by HTTP version.\n");
        out.push_str("# TYPE ws_upgrades_by_http_version_total counter\n");
        let _ = writeln!(
            out,
            "ws_upgrades_by_http_version_total{{version=\"1.1\"}} {http1}"
        );
        let _ = writeln!(
            out,
            "ws_upgrades_by_http_version_total{{version=\"2\"}} {http2}"
        );
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
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
        metric(
            "ws_chat_rooms",
            "gauge",
            "Chat rooms now.",
            self.chat_rooms.load(Relaxed),
        );
        metric(
            "ws_chat_members",
            "gauge",
            "Chat members now.",
            self.chat_members.load(Relaxed),
        );
        metric(
            "ws_chat_messages_total",
            "counter",
            "Chat room messages accepted.",
            self.chat_messages.load(Relaxed),
        );
        metric(
            "ws_chat_directs_total",
            "counter",
            "Chat direct messages delivered.",
            self.chat_directs.load(Relaxed),
        );
        metric(
            "ws_chat_fanout_total",
            "counter",
            "Chat frames queued for members (one per recipient).",
            self.chat_queued.load(Relaxed),
        );
        metric(
            "ws_chat_slow_consumers_total",
            "counter",
            "Chat members disconnected (1008) because their queue stayed full.",
            self.chat_slow_consumers.load(Relaxed),
        );
        metric(
            "ws_chat_deflate_compressions_total",
            "counter",
            "Chat frames deflated once for every member that shares the result.",
            self.chat_deflate_compressions.load(Relaxed),
        );
        metric(
            "ws_chat_deflate_shared_total",
            "counter",
            "Chat frames sent to members with shared compressed bytes.",
            self.chat_deflate_shared.load(Relaxed),
        );
        metric(
            "ws_chat_rate_limited_total",
            "counter",
            "Chat messages refused by the rate limit.",
            self.chat_rate_limited.load(Relaxed),
        );
        metric(
            "ws_chat_backlog_messages_total",
            "counter",
            "History messages sent to joiners (backlog and resumes).",
            self.chat_backlog_sent.load(Relaxed),
        );
        metric(
            "ws_chat_deduplicated_total",
            "counter",
            "Room messages with an id already placed: acknowledged, not delivered again.",
            self.chat_deduplicated.load(Relaxed),
        );
        if self.redis_configured.load(Relaxed) {
            metric(
                "ws_redis_up",
                "gauge",
                "1 while the Redis channel layer is usable.",
                self.redis_up.load(Relaxed),
            );
            metric(
                "ws_redis_publish_failures_total",
                "counter",
                "Redis publishes that failed (the event stayed on this node).",
                self.redis_publish_failures.load(Relaxed),
            );
            metric(
                "ws_redis_reconnects_total",
                "counter",
                "Redis subscriptions made again after a loss.",
                self.redis_reconnects.load(Relaxed),
            );
            metric(
                "ws_redis_events_total",
                "counter",
                "Chat events received from Redis.",
                self.redis_events.load(Relaxed),
            );
            metric(
                "ws_redis_sequence_gaps_total",
                "counter",
                "Chat events received from Redis after a gap in the room's sequence.",
                self.redis_gaps.load(Relaxed),
            );
            metric(
                "ws_redis_reaped_total",
                "counter",
                "Leaves received for members of nodes that stopped refreshing their presence.",
                self.redis_reaped.load(Relaxed),
            );
        }
        out.push_str("# HELP ws_chat_resumes_total Chat joins with `since`, by whether every missed message was replayed.\n");
        out.push_str("# TYPE ws_chat_resumes_total counter\n");
        for (recovered, counter) in [
            ("true", &self.chat_resumes_recovered),
            ("false", &self.chat_resumes_unrecovered),
        ] {
            let _ = writeln!(
                out,
                "ws_chat_resumes_total{{recovered=\"{recovered}\"}} {}",
                counter.load(Relaxed)
            );
        }
        out.push_str("# HELP ws_refusals_total Requests refused before an upgrade by who may join, by reason.\n");
        out.push_str("# TYPE ws_refusals_total counter\n");
        for (reason, count) in lock(&self.refusals).iter() {
            let _ = writeln!(out, "ws_refusals_total{{reason=\"{reason}\"}} {count}");
        }
        out.push_str("# HELP ws_api_requests_total HTTP API calls by endpoint and status.\n");
        out.push_str("# TYPE ws_api_requests_total counter\n");
        for ((endpoint, status), count) in lock(&self.api_calls).iter() {
            let _ = writeln!(
                out,
                "ws_api_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP ws_closes_total Closed WebSockets by close code (1006: without a Close frame).\n");
        out.push_str("# TYPE ws_closes_total counter\n");
        for (code, count) in &closes {
            let _ = writeln!(out, "ws_closes_total{{code=\"{}\"}} {count}", code.0);
        }
        out
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.message_in(5);
        m.closed(CloseCode::NORMAL);
        m.closed(CloseCode::NORMAL);
        let text = m.render();
        assert!(text.contains("ws_messages_in_total 1\n"));
        assert!(text.contains("ws_bytes_in_total 5\n"));
        assert!(text.contains("ws_closes_total{code=\"1000\"} 2\n"));
        assert!(text.contains("# TYPE ws_open_connections gauge\n"));
        m.upgrades.fetch_add(3, Relaxed);
        m.upgrades_http2.fetch_add(1, Relaxed);
        let text = m.render();
        assert!(text.contains("ws_upgrades_by_http_version_total{version=\"1.1\"} 2\n"));
        assert!(text.contains("ws_upgrades_by_http_version_total{version=\"2\"} 1\n"));
    }

    #[test]
    fn renders_refusals_and_api_calls_by_label() {
        let m = Metrics::default();
        m.refused("token expired");
        m.refused("token expired");
        m.api_call("publish", 202);
        m.api_call("publish", 400);
        let text = m.render();
        assert!(text.contains("ws_refusals_total{reason=\"token expired\"} 2\n"));
        assert!(text.contains("ws_api_requests_total{endpoint=\"publish\",status=\"202\"} 1\n"));
        assert!(text.contains("ws_api_requests_total{endpoint=\"publish\",status=\"400\"} 1\n"));
        assert!(text.contains("# TYPE ws_refusals_total counter\n"));
    }
}
