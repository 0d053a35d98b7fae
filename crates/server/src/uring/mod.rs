//! The io_uring transport (`ws-server --io-uring`, feature `io-uring`):
//! `/echo` and the plain HTTP routes over compio's io_uring runtime, on
//! ws-handshake and ws-frame directly, like the blocking adapter.
//!
//! ```text
//!  std TcpListener (bound once) ─┬─ thread 1: compio runtime (one ring) ─ accept ─► handshake ─► echo
//!                                ├─ thread 2: … (a dup of the same socket)
//!                                └─ thread N   (--threads, default: cores)
//!  main thread: the signals ─► Shutdown::trigger ─► each connection sends Close 1001
//! ```
//!
//! Each thread has its own ring and its own registered buffer ring, and
//! its tasks never move: the sends and receives of all its connections go
//! to the kernel in one `io_uring_enter` per turn of its loop. Everything
//! above the socket is shared with the default transport: the `Config`
//! (`Options::socket_config`), the `Gate`, the `Metrics`, the `Shutdown`.

mod handshake;
mod socket;

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::num::NonZero;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use futures_util::future::{Either, select};
use tokio::sync::Notify;
use tracing::{info, warn};

use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::options::Options;
use crate::server::SHUTDOWN_GRACE;
use crate::shutdown::Shutdown;
use crate::startup::StartError;

/// Buffers in each thread's registered buffer ring, and their size: a
/// receive takes one, and gives it back as soon as its bytes are copied
/// into the connection, so the ring bounds the receives in flight per
/// turn, not the connections (memory: 256 × 8 KiB = 2 MiB per thread).
const RING_BUFFERS: u16 = 256;
const RING_BUFFER_LEN: usize = 8 << 10;

/// What every connection task of every thread shares.
struct Context {
    config: ws_tokio::Config,
    gate: Gate,
    metrics: Arc<Metrics>,
    shutdown: Shutdown,
    /// Connection tasks still running, for the shutdown's grace period.
    tasks: AtomicUsize,
    tasks_done: Notify,
}

/// A bound io_uring server, ready to [`UringServer::run`].
#[derive(Debug)]
pub struct UringServer {
    listener: TcpListener,
    threads: usize,
    options: Options,
}

impl UringServer {
    /// Binds the listening socket and checks that this kernel gives us a
    /// ring (io_uring can be disabled by `kernel.io_uring_disabled` or a
    /// seccomp filter): a server that cannot serve says so at start.
    ///
    /// # Errors
    /// [`StartError::Listen`]; [`StartError::Runtime`] when no ring can
    /// be set up.
    pub fn bind(options: Options) -> Result<Self, StartError> {
        runtime().map_err(|e| {
            StartError::Runtime(io::Error::new(
                e.kind(),
                format!("io_uring unavailable: {e}"),
            ))
        })?;
        let listener = TcpListener::bind(options.listen).map_err(|source| StartError::Listen {
            addr: options.listen,
            source,
        })?;
        let threads = options
            .threads
            .or_else(|| std::thread::available_parallelism().ok().map(NonZero::get))
            .unwrap_or(1)
            .max(1);
        Ok(Self {
            listener,
            threads,
            options,
        })
    }

    /// The address actually bound (useful with port 0).
    ///
    /// # Errors
    /// If the socket has no local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `http://ADDR`.
    ///
    /// # Errors
    /// If the socket has no local address.
    pub fn url(&self) -> io::Result<String> {
        Ok(format!("http://{}", self.local_addr()?))
    }

    /// Serves until `shutdown` completes, then as the default transport:
    /// stops accepting, sends Close 1001 to every open WebSocket and waits
    /// up to [`SHUTDOWN_GRACE`] for the closing handshakes. `shutdown` is
    /// polled by whatever runs this future (the binary: a tokio
    /// current-thread runtime, for the signals); the rings run on threads
    /// of their own.
    ///
    /// # Errors
    /// The listening socket cannot be shared with the threads.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        if let Ok(url) = self.url() {
            info!(%url, threads = self.threads, "listening (io_uring)");
        }
        let config = self.options.socket_config();
        let metrics = Arc::new(Metrics::default());
        let gate = Gate::new(
            self.options.allowed_origins.clone(),
            (
                self.options.max_connections,
                self.options.max_connections_per_ip,
            ),
            Arc::clone(&metrics),
        );
        let cx = Arc::new(Context {
            config,
            gate,
            metrics,
            shutdown: Shutdown::default(),
            tasks: AtomicUsize::new(0),
            tasks_done: Notify::new(),
        });
        let mut threads: Vec<JoinHandle<()>> = Vec::with_capacity(self.threads);
        for i in 0..self.threads {
            let listener = self.listener.try_clone()?;
            let cx = Arc::clone(&cx);
            let thread = std::thread::Builder::new()
                .name(format!("ws-uring-{i}"))
                .spawn(move || ring_thread(listener, &cx))?;
            threads.push(thread);
        }
        drop(self.listener);
        shutdown.await;
        info!(open = cx.tasks.load(Ordering::Acquire), "shutting down");
        cx.shutdown.trigger();
        for thread in threads {
            let _ = thread.join();
        }
        Ok(())
    }
}

/// A compio runtime on io_uring, with the registered buffer ring of the
/// multishot receives.
fn runtime() -> io::Result<compio::runtime::Runtime> {
    let mut proactor = compio::driver::ProactorBuilder::new();
    proactor
        .buffer_pool_size(NonZero::new(RING_BUFFERS).unwrap_or(NonZero::<u16>::MIN))
        .buffer_pool_buffer_len(RING_BUFFER_LEN);
    compio::runtime::RuntimeBuilder::new()
        .with_proactor(proactor)
        .build()
}

/// One thread's ring: accepts until the shutdown, then gives its
/// connections [`SHUTDOWN_GRACE`] to close.
fn ring_thread(listener: TcpListener, cx: &Arc<Context>) {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            warn!(error = %e, "io_uring thread cannot start");
            return;
        }
    };
    runtime.block_on(async {
        let listener = match compio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                warn!(error = %e, "io_uring thread cannot accept");
                return;
            }
        };
        accept_loop(&listener, cx).await;
        drop(listener);
        let drained = compio::time::timeout(SHUTDOWN_GRACE, async {
            loop {
                let done = cx.tasks_done.notified();
                if cx.tasks.load(Ordering::Acquire) == 0 {
                    break;
                }
                done.await;
            }
        })
        .await;
        if drained.is_err() {
            warn!(
                left = cx.tasks.load(Ordering::Acquire),
                "shutdown grace period over"
            );
        }
    });
}

// ANCHOR: uring_accept
/// Accepts connections until the shutdown; each is a task of this thread.
async fn accept_loop(listener: &compio::net::TcpListener, cx: &Arc<Context>) {
    loop {
        let accepted = match select(pin!(listener.accept()), pin!(cx.shutdown.wait())).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(_) => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                warn!(error = %e, "accept failed");
                compio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let cx = Arc::clone(cx);
        cx.tasks.fetch_add(1, Ordering::AcqRel);
        compio::runtime::spawn(async move {
            handshake::serve(stream, peer, &cx).await;
            if cx.tasks.fetch_sub(1, Ordering::AcqRel) == 1 {
                cx.tasks_done.notify_waiters();
            }
        })
        .detach();
    }
}
// ANCHOR_END: uring_accept
