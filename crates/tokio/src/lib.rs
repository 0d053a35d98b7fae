//! Async WebSocket (RFC 6455) over tokio: the thin IO layer around the
//! sans-IO crates [`ws_frame`] (framing, §5–§8) and [`ws_handshake`]
//! (opening handshake, §4).
//!
//! ```text
//!   TcpStream / TLS / duplex            ws-tokio                       sans-IO cores
//!  ┌──────────────────────┐  read   ┌───────────────────┐  receive   ┌─────────────────┐
//!  │ AsyncRead            │ ──────► │ WebSocket::recv   │ ─────────► │ ws_frame::      │
//!  │                      │         │  (sleeps until    │ poll_event │   Connection    │
//!  │ AsyncWrite           │ ◄────── │   poll_timeout)   │ ◄───────── │                 │
//!  └──────────────────────┘ vectored│ WebSocket::send   │ transmit_  │ auto Pong,      │
//!                           writes  └───────────────────┘ chunks     │ Close reply,    │
//!                                                        handle_     │ timers, §7.1.1  │
//!                                                        timeout     └─────────────────┘
//!   accept / upgrade / connect / client: ws_handshake over the same stream, then the above
//! ```
//!
//! The core queues everything that must be written, including the automatic
//! Pong and the Close reply, and owns every protocol deadline (keepalive
//! Ping, idle timeout, closing-handshake timeout) and the order of the end
//! (the server closes TCP first, RFC 6455 §7.1.1). This crate only moves
//! bytes, sleeps until the core's next deadline, and carries out what
//! [`ws_frame::Connection::transport`] says.
//!
//! # Server
//!
//! ```no_run
//! use ws_tokio::Message;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9002").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     tcp.set_nodelay(true)?;
//!     tokio::spawn(async move {
//!         let Ok(mut ws) = ws_tokio::accept(tcp).await else { return };
//!         while let Some(Ok(message)) = ws.recv().await {
//!             if message.is_data() && ws.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     });
//! }
//! # }
//! ```
//!
//! # Client
//!
//! ```no_run
//! # async fn run() -> Result<(), ws_tokio::Error> {
//! use ws_tokio::{CloseCode, Message};
//! let (mut ws, _response) = ws_tokio::connect("ws://127.0.0.1:9002/").await?;
//! ws.send(Message::text("hello")).await?;
//! if let Some(Ok(Message::Text(echo))) = ws.recv().await {
//!     assert_eq!(echo, "hello");
//! }
//! ws.close(CloseCode::NORMAL, "done").await
//! # }
//! ```
//!
//! | module | RFC 6455 | what it does |
//! |---|---|---|
//! | `websocket` | §5–§7 | [`WebSocket`], its halves, `Stream` and `Sink` |
//! | `socket` | §5.5, §7.1 | the IO driver: reads, vectored writes, sleeping until the core's deadline, the end of a connection |
//! | `server` | §4.2 | [`accept`], [`read_request`], [`upgrade`] |
//! | `client` | §3, §4.1 | [`connect`], [`client`], TLS |
//! | `config` | — | [`Config`]: every limit and timer |
//! | `error` | §7.4.1 | [`Error`] |
//! | `hyper_connect` | RFC 8441 §5 | feature `hyper`: `connect_http2`, the client role over a hyper HTTP/2 connection |
//! | `hyper_upgrade` | §4.2, RFC 8441 §5 | feature `hyper`: `HyperUpgrade`, a WebSocket inside a hyper server, HTTP/1.1 or HTTP/2 |
#![forbid(unsafe_code)]

mod client;
mod config;
mod error;
#[cfg(feature = "hyper")]
mod hyper_connect;
#[cfg(feature = "hyper")]
mod hyper_upgrade;
mod message;
mod server;
mod socket;
mod stream;
mod waker;
mod websocket;

pub use client::{ConnectOptions, client, connect, connect_with};
pub use config::Config;
pub use error::Error;
#[cfg(feature = "hyper")]
pub use hyper_connect::connect_http2;
#[cfg(feature = "hyper")]
pub use hyper_upgrade::{HyperUpgrade, HyperWebSocket, Rejection, Upgrading, is_upgrade_request};
pub use message::Message;
pub use server::{Accept, Reject, accept, accept_with_config, read_request, upgrade};
pub use stream::MaybeTlsStream;
pub use websocket::{MessageRef, WebSocket, WebSocketReader, WebSocketWriter};
pub use ws_frame::{CloseCode, CloseFrame, Role, State, Utf8Bytes};
pub use ws_handshake;
pub use {bytes, ws_frame};

/// The examples of the repository's `README.md`, compiled (and the
/// socket-free one run) as doctests of this crate, so the README cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
