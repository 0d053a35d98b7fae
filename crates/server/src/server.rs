//! A bound server: the listening socket, the accept loop, TLS, and the
//! shutdown (`docs/server-interface.md` §1).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use crate::api::Api;
use crate::auth::Auth;
use crate::chat;
use crate::gate::Gate;
use crate::http2;
use crate::metrics::Metrics;
use crate::options::Options;
use crate::routes::serve_stream;
use crate::shared::Shared;
use crate::shutdown::Shutdown;
use crate::startup::{StartError, redact_url};
use crate::tls;

/// How long shutdown waits for the closing handshakes
/// (`docs/server-interface.md` §1: 5 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
    /// The address cannot be bound, the certificate or key cannot be read
    /// or do not belong together, or `--redis` is not a Redis URL: each a
    /// [`StartError`] naming the option and the cause. (Redis itself need
    /// not be up: the node runs degraded until it is, and says so.)
    pub async fn bind(options: Options) -> Result<Self, StartError> {
        let tls = match (&options.tls_cert, &options.tls_key) {
            (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
            _ => None,
        };
        let auth = auth_of(&options)?;
        let metrics = Arc::new(Metrics::default());
        let chat = chat::Chat::new(
            &chat::Config {
                redis: options.redis.clone(),
                presence_ttl: Duration::from_secs(options.redis_presence_ttl),
                history: chat::HistoryLimits {
                    count: options.history,
                    ttl: Duration::from_secs(options.history_ttl),
                    bytes: options.history_bytes,
                },
                batching: chat::PresenceBatching {
                    above: options.presence_batch_above,
                    interval: Duration::from_millis(options.presence_interval_ms),
                },
            },
            Arc::clone(&metrics),
        )
        .map_err(|e| StartError::Redis {
            url: redact_url(options.redis.as_deref().unwrap_or_default()),
            problem: e.to_string(),
        })?;
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: options.listen,
                    source,
                })?;
        let config = options.socket_config();
        let chat_config = options.chat_socket_config();
        let gate = Gate::new(
            options.allowed_origins,
            (options.max_connections, options.max_connections_per_ip),
            Arc::clone(&metrics),
        );
        let shared = Arc::new(Shared {
            config,
            chat_config,
            metrics,
            shutdown: Shutdown::default(),
            gate,
            tasks: AtomicUsize::new(0),
            tasks_done: Notify::new(),
            chat,
            auth,
            api: Api::new(&options.api_keys),
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
        if let Ok(url) = self.url() {
            info!(%url, "listening");
        }
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

/// The token verifier of `--auth-secret` or `--auth-public-key`, if any.
/// The public key is a PEM file, or the PEM text itself.
fn auth_of(options: &Options) -> Result<Option<Auth>, StartError> {
    if let Some(secret) = &options.auth_secret {
        if secret.is_empty() {
            return Err(StartError::AuthKey {
                option: "--auth-secret",
                problem: "an empty secret would let anyone sign tokens".into(),
            });
        }
        return Ok(Some(Auth::hmac(secret.as_bytes())));
    }
    let Some(key) = &options.auth_public_key else {
        return Ok(None);
    };
    let pem = if key.trim_start().starts_with("-----BEGIN") {
        key.as_bytes().to_vec()
    } else {
        std::fs::read(key).map_err(|e| StartError::AuthKey {
            option: "--auth-public-key",
            problem: format!("cannot read {key}: {e}"),
        })?
    };
    Auth::public_key(&pem)
        .map(Some)
        .map_err(|problem| StartError::AuthKey {
            option: "--auth-public-key",
            problem,
        })
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: &Arc<Shared>,
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
    shared: &Arc<Shared>,
) {
    let timeout = shared.config.handshake_timeout;
    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
        // ALPN chose HTTP/2: hyper serves the connection (RFC 8441).
        Ok(Ok(stream)) if stream.get_ref().1.alpn_protocol() == Some(b"h2") => {
            http2::serve(stream, peer, Arc::clone(shared)).await;
        }
        Ok(Ok(stream)) => serve_stream(stream, peer, shared).await,
        Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
        Err(_) => debug!(%peer, "TLS handshake timed out"),
    }
}
