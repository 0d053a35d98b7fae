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
//! | module | what it holds |
//! |---|---|
//! | `server` | [`Server`]: binding, the accept loop, TLS, the shutdown |
//! | `routes` | one request read and routed |
//! | `http` | the plain HTTP answers |
//! | `gate` | the checks before an upgrade; each WebSocket's bookkeeping |
//! | `echo` | `/echo` |
//! | `api` | `/api/rooms/...`: the HTTP API of `--api-key` |
//! | `auth` | the join tokens of `--auth-secret` / `--auth-public-key` |
//! | `chat` | `/chat/{room}` |
//! | `close` | the server's own Closes; the code a WebSocket ended with |
//! | `shared` | the state every connection task shares |
//! | [`metrics`], [`options`], `shutdown`, `tls` | counters, command line, the stop signal, certificates |
//! | [`startup`] | why the server could not start, and its exit status |
//! | [`untrusted`] | the token and API-body parsers, public for the fuzz targets |
//! | `uring` | the io_uring transport of `--io-uring` (feature `io-uring`) |
//!
//! Every route and status code follows `docs/server-interface.md` §2 and §3.
#![forbid(unsafe_code)]

mod api;
mod auth;
mod chat;
mod close;
mod echo;
mod gate;
mod http;
mod http2;
pub mod metrics;
pub mod options;
mod routes;
mod server;
mod shared;
mod shutdown;
pub mod startup;
mod tls;
pub mod untrusted;
#[cfg(feature = "io-uring")]
mod uring;

pub use metrics::Metrics;
pub use options::Options;
pub use server::{SHUTDOWN_GRACE, Server};
pub use startup::StartError;
#[cfg(feature = "io-uring")]
pub use uring::UringServer;
