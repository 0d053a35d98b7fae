//! The gate in front of every WebSocket: the checks before an upgrade
//! (`Origin`, the connection limit, RFC 6455 §4.2.1), and the bookkeeping
//! of each WebSocket let in, from its upgrade to its close
//! (`docs/server-interface.md` §3).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite};
use tracing::{debug, info};
use ws_handshake::Request;
use ws_tokio::{Accept, CloseCode, WebSocket};

use crate::http::respond;
use crate::metrics::Metrics;

/// Who may open a WebSocket, and how many are open.
#[derive(Debug)]
pub(crate) struct Gate {
    /// `--allowed-origin`: empty lets every origin in.
    allowed_origins: Vec<String>,
    /// `--max-connections`.
    max_connections: usize,
    /// WebSockets counted against `max_connections`.
    open: AtomicUsize,
    /// `--max-connections-per-ip` (0: no limit).
    per_ip: usize,
    /// WebSockets open (or upgrading) per peer address, with `per_ip`;
    /// an address leaves the map with its last connection.
    by_ip: Mutex<HashMap<IpAddr, usize>>,
    metrics: Arc<Metrics>,
}

impl Gate {
    pub(crate) fn new(
        allowed_origins: Vec<String>,
        (max_connections, per_ip): (usize, usize),
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            allowed_origins,
            max_connections,
            open: AtomicUsize::new(0),
            per_ip,
            by_ip: Mutex::default(),
            metrics,
        }
    }

    /// Whether a request with this `Origin` header (if any) may upgrade.
    fn origin_allowed(&self, origin: Option<&str>) -> bool {
        match origin {
            Some(origin) if !self.allowed_origins.is_empty() => self
                .allowed_origins
                .iter()
                .any(|o| o.eq_ignore_ascii_case(origin)),
            _ => true,
        }
    }

    /// Counts one more WebSocket from `ip`; `false` (nothing counted) if
    /// that address already has `--max-connections-per-ip`.
    fn enter(&self, ip: IpAddr) -> bool {
        if self.per_ip == 0 {
            return true;
        }
        let mut by_ip = self.by_ip.lock().unwrap_or_else(PoisonError::into_inner);
        let count = by_ip.entry(ip).or_default();
        if *count >= self.per_ip {
            return false;
        }
        *count += 1;
        true
    }

    /// One WebSocket from `ip` fewer (see [`Gate::enter`]).
    fn exit(&self, ip: IpAddr) {
        if self.per_ip == 0 {
            return;
        }
        let mut by_ip = self.by_ip.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = by_ip.get_mut(&ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                by_ip.remove(&ip);
            }
        }
    }

    // ANCHOR: upgrade_checks
    /// The checks before an upgrade: origin (403), connection limit (503),
    /// then the RFC 6455 §4.2.1 validation inside `ws_tokio::upgrade`
    /// (400/426). A refused request is answered here; an accepted one is
    /// upgraded with `config` (the echo's or the chat's).
    pub(crate) async fn upgrade<S>(
        &self,
        (stream, request, leftover): (S, &Request, bytes::BytesMut),
        peer: SocketAddr,
        config: &ws_tokio::Config,
    ) -> Option<WebSocket<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let reject = |status: u16, why: &'static str| {
            self.metrics
                .rejected_upgrades
                .fetch_add(1, Ordering::Relaxed);
            debug!(%peer, status, why, "upgrade refused");
            ws_handshake::http_response(
                status,
                &[("Content-Type", "text/plain; charset=utf-8")],
                format!("{why}\n").as_bytes(),
            )
        };
        if !self.origin_allowed(request.header("origin")) {
            respond(stream, &reject(403, "origin not allowed")).await;
            return None;
        }
        if !self.enter(peer.ip()) {
            const WHY: &str = "too many connections from this address";
            self.metrics.refused(WHY);
            respond(stream, &reject(429, WHY)).await;
            return None;
        }
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.max_connections {
            self.open.fetch_sub(1, Ordering::AcqRel);
            self.exit(peer.ip());
            respond(stream, &reject(503, "too many connections")).await;
            return None;
        }
        match ws_tokio::upgrade(stream, request, leftover, config.clone(), Accept::default()).await
        {
            Ok(ws) => {
                self.metrics.upgrades.fetch_add(1, Ordering::Relaxed);
                self.metrics
                    .open_connections
                    .fetch_add(1, Ordering::Relaxed);
                Some(ws)
            }
            Err(e) => {
                self.open.fetch_sub(1, Ordering::AcqRel);
                self.exit(peer.ip());
                self.metrics
                    .rejected_upgrades
                    .fetch_add(1, Ordering::Relaxed);
                debug!(%peer, error = %e, "upgrade failed");
                None
            }
        }
    }
    // ANCHOR_END: upgrade_checks

    /// The same checks for a WebSocket over HTTP/2 (RFC 8441), whose
    /// handshake hyper answers: origin (403), the per-address limit (429),
    /// then the connection limit (503). `Ok` counts the WebSocket against the limit until
    /// [`Gate::upgraded`] and its [`Session::close`], or [`Gate::failed`].
    pub(crate) fn admit(
        &self,
        origin: Option<&str>,
        peer: SocketAddr,
    ) -> Result<(), (u16, &'static str)> {
        let refused = |status: u16, why: &'static str| {
            self.metrics
                .rejected_upgrades
                .fetch_add(1, Ordering::Relaxed);
            debug!(%peer, status, why, "upgrade refused");
            Err((status, why))
        };
        if !self.origin_allowed(origin) {
            return refused(403, "origin not allowed");
        }
        if !self.enter(peer.ip()) {
            const WHY: &str = "too many connections from this address";
            self.metrics.refused(WHY);
            return refused(429, WHY);
        }
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.max_connections {
            self.open.fetch_sub(1, Ordering::AcqRel);
            self.exit(peer.ip());
            return refused(503, "too many connections");
        }
        Ok(())
    }

    /// An admitted HTTP/2 WebSocket is open: counted as an upgrade of
    /// HTTP version 2.
    pub(crate) fn upgraded_http2(&self) {
        self.metrics.upgrades.fetch_add(1, Ordering::Relaxed);
        self.metrics.upgrades_http2.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .open_connections
            .fetch_add(1, Ordering::Relaxed);
    }

    /// An admitted HTTP/1.1 WebSocket is open (the io_uring transport,
    /// which answers the handshake itself).
    #[cfg(feature = "io-uring")]
    pub(crate) fn upgraded(&self) {
        self.metrics.upgrades.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .open_connections
            .fetch_add(1, Ordering::Relaxed);
    }

    /// An admitted WebSocket did not open (bad handshake, peer gone).
    pub(crate) fn failed(&self, peer: SocketAddr) {
        self.open.fetch_sub(1, Ordering::AcqRel);
        self.exit(peer.ip());
        self.metrics
            .rejected_upgrades
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A WebSocket that [`Gate::upgrade`] let in starts: logged, and
    /// counted until [`Session::close`].
    pub(crate) fn open<'a>(&'a self, peer: SocketAddr, path: &'a str) -> Session<'a> {
        info!(%peer, path, "websocket open");
        Session {
            peer,
            path,
            gate: self,
            started: Instant::now(),
        }
    }
}

/// The bookkeeping every WebSocket shares: the connection limit, metrics,
/// and one log line at open and one at close.
pub(crate) struct Session<'a> {
    peer: SocketAddr,
    path: &'a str,
    gate: &'a Gate,
    started: Instant,
}

impl Session<'_> {
    /// The WebSocket ended with `code`.
    pub(crate) fn close(self, code: CloseCode) {
        let Self {
            peer,
            path,
            gate,
            started,
        } = self;
        // The gauge drops before the close is counted, so whoever sees the
        // close in /metrics also sees the connection gone.
        gate.metrics
            .open_connections
            .fetch_sub(1, Ordering::Release);
        gate.open.fetch_sub(1, Ordering::AcqRel);
        gate.exit(peer.ip());
        gate.metrics.closed(code);
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        info!(%peer, path, code = code.0, duration_ms, "websocket closed");
    }
}
