//! `ws-server`: the echo and chat server, as a library so that tests can run
//! it in-process. The binary (`src/main.rs`) only parses options, starts a
//! runtime and waits for SIGINT/SIGTERM.
//!
//! ```text
//!  TcpListener ─► [TLS] ─► read_request ─┬─ GET /, /healthz, /metrics ─► HTTP answer
//!                                        ├─ /echo ─► checks ─► upgrade ─► echo loop
//!                                        ├─ /chat/{room} ─► checks ─► upgrade ─► chat::serve
//!                                        └─ anything else (bad room names too) ─► 404
//! ```
//!
//! The checks before an upgrade: `Origin` (403), `--max-connections` (503),
//! then RFC 6455 §4.2.1 (400, 426). The chat itself is in the `chat`
//! modules; its behaviour where the interface is silent is in `docs/chat.md`.
//!
//! Every route and status code follows `docs/server-interface.md` §2 and §3.
#![forbid(unsafe_code)]

mod chat;
mod close;
pub mod metrics;
pub mod options;
mod shutdown;
mod tls;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tracing::{debug, info, warn};
use ws_handshake::Request;
use ws_tokio::{Accept, CloseCode, Message, WebSocket};

use crate::close::SHUTTING_DOWN;
use crate::shutdown::Shutdown;

pub use metrics::Metrics;
pub use options::Options;

/// How long shutdown waits for the closing handshakes (`docs/server-interface.md` §1: 5 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The browser page served at `/`.
const INDEX_HTML: &str = include_str!("../static/index.html");

/// State shared by every connection task.
#[derive(Debug)]
struct Shared {
    options: Options,
    config: ws_tokio::Config,
    metrics: Arc<Metrics>,
    /// Set when the server shuts down.
    shutdown: Shutdown,
    /// WebSockets counted against `--max-connections`.
    websockets: AtomicUsize,
    /// Connection tasks still running (HTTP or WebSocket).
    tasks: AtomicUsize,
    tasks_done: Notify,
    /// The chat rooms: local, or shared through Redis (`--redis`).
    chat: chat::Chat,
}

/// A bound server, ready to [`Server::run`].
pub struct Server {
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds the listening socket and loads the TLS certificate, if any.
    ///
    /// # Errors
    /// The address cannot be bound, the certificate or key cannot be read,
    /// or `--redis` is not a Redis URL. (Redis itself need not be up: the
    /// node runs degraded until it is.)
    pub async fn bind(options: Options) -> io::Result<Self> {
        let tls = match (&options.tls_cert, &options.tls_key) {
            (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
            _ => None,
        };
        let metrics = Arc::new(Metrics::default());
        let chat = chat::Chat::new(
            &chat::Config {
                redis: options.redis.clone(),
                presence_ttl: Duration::from_secs(options.redis_presence_ttl),
            },
            Arc::clone(&metrics),
        )?;
        let listener = TcpListener::bind(options.listen).await?;
        let shared = Arc::new(Shared {
            config: options.socket_config(),
            options,
            metrics,
            shutdown: Shutdown::default(),
            websockets: AtomicUsize::new(0),
            tasks: AtomicUsize::new(0),
            tasks_done: Notify::new(),
            chat,
        });
        Ok(Self {
            listener,
            tls,
            shared,
        })
    }

    /// The address actually bound (useful with port 0).
    ///
    /// # Errors
    /// If the socket has no local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `http://ADDR` or `https://ADDR`.
    ///
    /// # Errors
    /// If the socket has no local address.
    pub fn url(&self) -> io::Result<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Ok(format!("{scheme}://{}", self.local_addr()?))
    }

    /// Serves until `shutdown` completes, then stops accepting, sends Close
    /// 1001 to every open WebSocket and waits up to [`SHUTDOWN_GRACE`] for
    /// the closing handshakes.
    ///
    /// # Errors
    /// Only if accepting fails in a way that is not a per-connection problem.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Self {
            listener,
            tls,
            shared,
        } = self;
        // The Redis layer's tasks run until the end, so that members
        // leaving during the shutdown still reach the other nodes.
        let layer_tasks = shared.chat.spawn();
        tokio::pin!(shutdown);
        // ANCHOR: accept_loop
        loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let shared = Arc::clone(&shared);
            let tls = tls.clone();
            shared.tasks.fetch_add(1, Ordering::AcqRel);
            tokio::spawn(async move {
                serve_connection(stream, peer, tls, &shared).await;
                if shared.tasks.fetch_sub(1, Ordering::AcqRel) == 1 {
                    shared.tasks_done.notify_waiters();
                }
            });
        }
        // ANCHOR_END: accept_loop
        drop(listener);
        info!(open = shared.tasks.load(Ordering::Acquire), "shutting down");
        shared.shutdown.trigger();
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            loop {
                let done = shared.tasks_done.notified();
                if shared.tasks.load(Ordering::Acquire) == 0 {
                    break;
                }
                done.await;
            }
        })
        .await;
        if drained.is_err() {
            warn!(
                left = shared.tasks.load(Ordering::Acquire),
                "shutdown grace period over"
            );
        }
        for task in layer_tasks {
            task.abort();
        }
        Ok(())
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: &Shared,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_stream(stream, peer, shared).await,
        // Boxed: the TLS state and its futures are several KiB, and a
        // future's size is that of its largest branch, which every plain
        // connection task would otherwise pay for its whole life.
        Some(acceptor) => Box::pin(serve_tls(stream, peer, acceptor, shared)).await,
    }
}

async fn serve_tls(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: &Shared,
) {
    let timeout = shared.config.handshake_timeout;
    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_stream(stream, peer, shared).await,
        Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
        Err(_) => debug!(%peer, "TLS handshake timed out"),
    }
}

// ANCHOR: routes
/// Reads one HTTP request and routes it.
async fn serve_stream<S>(mut stream: S, peer: SocketAddr, shared: &Shared)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Limit violations and timeouts are answered (400/431) inside
    // read_request. A connection still without a request when the server
    // shuts down (a browser's idle preconnect) is just dropped.
    // The handshake futures are boxed so that they are freed once the
    // connection is upgraded: what stays in the task for the life of a
    // WebSocket is only the echo or chat loop (idle memory per connection).
    let read = tokio::select! {
        read = Box::pin(ws_tokio::read_request(&mut stream, &shared.config)) => read,
        () = shared.shutdown.wait() => return,
    };
    let (request, leftover) = match read {
        Ok(parts) => parts,
        Err(e) => {
            debug!(%peer, error = %e, "no usable HTTP request");
            return;
        }
    };
    let path = request.path().to_owned();
    if let Some(room) = chat::room_of(&path) {
        let name = chat::name_of(request.query());
        let Some(ws) = Box::pin(upgrade(stream, &request, leftover, peer, shared)).await else {
            return;
        };
        drop(request);
        let session = Session::open(peer, &path, shared);
        let code = shared
            .chat
            .serve(ws, room, name.as_deref(), &shared.shutdown)
            .await;
        session.close(code);
        return;
    }
    match path.as_str() {
        "/echo" => {
            let Some(mut ws) = Box::pin(upgrade(stream, &request, leftover, peer, shared)).await
            else {
                return;
            };
            drop(request);
            let session = Session::open(peer, &path, shared);
            session.close(echo(&mut ws, shared).await);
        }
        "/" | "/healthz" | "/metrics" if request.method() == "GET" && !request.is_upgrade() => {
            shared.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
            let response = match path.as_str() {
                "/" => ws_handshake::http_response(
                    200,
                    &[
                        ("Content-Type", "text/html; charset=utf-8"),
                        ("Cache-Control", "no-cache"),
                        ("X-Content-Type-Options", "nosniff"),
                    ],
                    INDEX_HTML.as_bytes(),
                ),
                // 200 either way: a degraded node still serves its own
                // members (docs/redis.md).
                "/healthz" => ws_handshake::http_response(
                    200,
                    &[("Content-Type", "text/plain; charset=utf-8")],
                    if shared.chat.is_degraded() {
                        b"degraded: redis unavailable".as_slice()
                    } else {
                        b"ok"
                    },
                ),
                _ => ws_handshake::http_response(
                    200,
                    &[("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                    shared.metrics.render().as_bytes(),
                ),
            };
            respond(stream, &response).await;
        }
        _ => {
            shared.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
            respond(
                stream,
                &ws_handshake::http_response(
                    404,
                    &[("Content-Type", "text/plain; charset=utf-8")],
                    b"not found\n",
                ),
            )
            .await;
        }
    }
}
// ANCHOR_END: routes

/// Writes a whole HTTP response and closes the connection.
async fn respond<S: AsyncWrite + Unpin>(mut stream: S, response: &[u8]) {
    let _ = stream.write_all(response).await;
    let _ = stream.shutdown().await;
}

// ANCHOR: upgrade_checks
/// The checks before an upgrade: origin (403), connection limit (503), then
/// the RFC 6455 §4.2.1 validation inside `ws_tokio::upgrade` (400/426).
async fn upgrade<S>(
    stream: S,
    request: &Request,
    leftover: bytes::BytesMut,
    peer: SocketAddr,
    shared: &Shared,
) -> Option<WebSocket<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let reject = |status: u16, why: &'static str| {
        shared
            .metrics
            .rejected_upgrades
            .fetch_add(1, Ordering::Relaxed);
        debug!(%peer, status, why, "upgrade refused");
        ws_handshake::http_response(
            status,
            &[("Content-Type", "text/plain; charset=utf-8")],
            format!("{why}\n").as_bytes(),
        )
    };
    if let Some(origin) = request.header("origin")
        && !shared.options.allowed_origins.is_empty()
        && !shared
            .options
            .allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    {
        respond(stream, &reject(403, "origin not allowed")).await;
        return None;
    }
    if shared.websockets.fetch_add(1, Ordering::AcqRel) >= shared.options.max_connections {
        shared.websockets.fetch_sub(1, Ordering::AcqRel);
        respond(stream, &reject(503, "too many connections")).await;
        return None;
    }
    match ws_tokio::upgrade(
        stream,
        request,
        leftover,
        shared.config.clone(),
        Accept::default(),
    )
    .await
    {
        Ok(ws) => {
            shared.metrics.upgrades.fetch_add(1, Ordering::Relaxed);
            shared
                .metrics
                .open_connections
                .fetch_add(1, Ordering::Relaxed);
            Some(ws)
        }
        Err(e) => {
            shared.websockets.fetch_sub(1, Ordering::AcqRel);
            shared
                .metrics
                .rejected_upgrades
                .fetch_add(1, Ordering::Relaxed);
            debug!(%peer, error = %e, "upgrade failed");
            None
        }
    }
}
// ANCHOR_END: upgrade_checks

/// The bookkeeping every WebSocket shares: the connection limit, metrics,
/// and one log line at open and one at close.
struct Session<'a> {
    peer: SocketAddr,
    path: &'a str,
    shared: &'a Shared,
    started: Instant,
}

impl<'a> Session<'a> {
    fn open(peer: SocketAddr, path: &'a str, shared: &'a Shared) -> Self {
        info!(%peer, path, "websocket open");
        Self {
            peer,
            path,
            shared,
            started: Instant::now(),
        }
    }

    fn close(self, code: CloseCode) {
        let Self {
            peer,
            path,
            shared,
            started,
        } = self;
        // The gauge drops before the close is counted, so whoever sees the
        // close in /metrics also sees the connection gone.
        shared
            .metrics
            .open_connections
            .fetch_sub(1, Ordering::Release);
        shared.websockets.fetch_sub(1, Ordering::AcqRel);
        shared.metrics.closed(code);
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        info!(%peer, path, code = code.0, duration_ms, "websocket closed");
    }
}

// ANCHOR: echo
/// `/echo`: every text or binary message goes back unchanged, with the
/// same opcode. Pings are answered by the core automatically. Returns the
/// close code the connection ended with (1006: without a Close frame).
async fn echo<S>(ws: &mut WebSocket<S>, shared: &Shared) -> CloseCode
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // One shutdown future for the whole connection: it registers once, and
    // each later poll is one atomic load (see the `shutdown` module).
    let mut shutdown = shared.shutdown.wait();
    loop {
        // `recv` is cancel-safe, so losing the race to shutdown loses nothing.
        // `biased`: polled in order, which spares a random number per poll;
        // the shutdown check first, so a peer that keeps sending cannot
        // keep its connection from noticing the shutdown.
        let message = tokio::select! {
            biased;
            () = &mut shutdown => {
                let _ = ws.close(SHUTTING_DOWN.code, SHUTTING_DOWN.reason).await;
                return SHUTTING_DOWN.code;
            }
            message = ws.recv() => message,
        };
        match message {
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                let len = message.len();
                shared.metrics.message_in(len);
                if ws.send(message).await.is_err() {
                    return CloseCode::ABNORMAL;
                }
                shared.metrics.message_out(len);
            }
            // Pings and Pongs: answered by the core; the rest ends it.
            other => {
                if let Some(code) = close::ended_by(&other) {
                    return code;
                }
            }
        }
    }
}
// ANCHOR_END: echo
