//! ws-tokio WebSockets in axum: the [`WebSocketUpgrade`] extractor, in the
//! spirit of `axum::extract::ws::WebSocketUpgrade`, over HTTP/1.1 (RFC 6455
//! §4) and HTTP/2 (RFC 8441, which `axum::serve` enables).
//!
//! ```no_run
//! use axum::{Router, response::Response, routing::any};
//! use ws_axum::{Message, WebSocket, WebSocketUpgrade};
//!
//! async fn echo(ws: WebSocketUpgrade) -> Response {
//!     ws.protocols(["chat"]).on_upgrade(|mut socket: WebSocket| async move {
//!         while let Some(Ok(message)) = socket.recv().await {
//!             if message.is_data() && socket.send(message).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! // `any`, not `get`: over HTTP/2 the handshake is a CONNECT request.
//! let app: Router = Router::new().route("/echo", any(echo));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The socket is a plain [`ws_tokio::WebSocket`]: the same `recv`, `send`,
//! `split`, `Stream` and `Sink`, the same [`Config`] (limits, timers,
//! permessage-deflate) as ws-tokio's own `accept`.
//!
//! Over HTTP/2, `axum::serve` keeps hyper's default windows (1 MiB for the
//! connection and for each stream), so one WebSocket whose handler stops
//! reading can stall the other streams of its connection. Where that
//! matters, serve the `Router` with hyper-util's builder and a connection
//! window of `max_concurrent_streams` × `initial_stream_window_size` (see
//! ws-tokio's `HyperUpgrade` docs and the `hyper_server` example).
//!
//! Why a crate and not a feature of ws-tokio: axum is a large dependency
//! tree whose 0.x releases change the extractor traits; this crate can
//! follow axum's versions while ws-tokio's API stays put.
#![forbid(unsafe_code)]

mod rejection;
mod upgrade;

pub use rejection::WebSocketRejection;
pub use upgrade::WebSocketUpgrade;
pub use ws_tokio::{CloseCode, Config, Message};

/// The socket handed to [`WebSocketUpgrade::on_upgrade`]'s callback.
pub type WebSocket = ws_tokio::HyperWebSocket;
