//! Why a request did not become a WebSocket, as an axum response: the
//! statuses of ws-server and `ws_tokio::accept` (RFC 6455 §4.2.2: 400 with
//! the broken rule as plain text, 426 with `Sec-WebSocket-Version: 13`).

use core::fmt;

use axum::body::Body;
use axum::response::{IntoResponse, Response};

/// The rejection of [`WebSocketUpgrade`](crate::WebSocketUpgrade): answer
/// it as is (it is `IntoResponse`), or look at it to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketRejection(pub(crate) ws_tokio::Rejection);

impl WebSocketRejection {
    /// The HTTP status that is sent: 400, 426, or 500 for a connection
    /// that was not served with upgrades.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.0.status()
    }

    /// The handshake rule that was broken, if it was one.
    #[must_use]
    pub fn handshake_error(&self) -> Option<&ws_tokio::ws_handshake::Error> {
        self.0.handshake_error()
    }
}

impl IntoResponse for WebSocketRejection {
    fn into_response(self) -> Response {
        self.0.into_response::<Body>()
    }
}

impl fmt::Display for WebSocketRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for WebSocketRejection {}
