//! The plain HTTP answers (`docs/server-interface.md` §2): the page,
//! `/healthz`, `/metrics`, 404, and writing an answer out.

use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The browser page served at `/`.
pub(crate) const INDEX_HTML: &str = include_str!("../static/index.html");

/// Writes a whole HTTP response and closes the connection.
pub(crate) async fn respond<S: AsyncWrite + Unpin>(mut stream: S, response: &[u8]) {
    let _ = stream.write_all(response).await;
    let _ = stream.shutdown().await;
}

/// `GET /`: the chat page, self-contained.
pub(crate) fn page() -> Vec<u8> {
    ws_handshake::http_response(
        200,
        &[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ],
        INDEX_HTML.as_bytes(),
    )
}

/// `GET /healthz`: 200 either way, since a degraded node still serves
/// its own members (docs/redis.md).
pub(crate) fn healthz(degraded: bool) -> Vec<u8> {
    ws_handshake::http_response(
        200,
        &[("Content-Type", "text/plain; charset=utf-8")],
        if degraded {
            b"degraded: redis unavailable".as_slice()
        } else {
            b"ok"
        },
    )
}

/// `GET /metrics`: the Prometheus text exposition `text`.
pub(crate) fn metrics(text: &str) -> Vec<u8> {
    ws_handshake::http_response(
        200,
        &[("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
        text.as_bytes(),
    )
}

/// A request refused before its upgrade, with the reason.
pub(crate) fn bad_request(why: &str) -> Vec<u8> {
    ws_handshake::http_response(
        400,
        &[("Content-Type", "text/plain; charset=utf-8")],
        format!("{why}\n").as_bytes(),
    )
}

/// A request refused with `status` (401, 403, 429) and a short reason.
pub(crate) fn refusal(status: u16, why: &str) -> Vec<u8> {
    ws_handshake::http_response(
        status,
        &[("Content-Type", "text/plain; charset=utf-8")],
        format!("{why}\n").as_bytes(),
    )
}

/// Any other plain HTTP request.
pub(crate) fn not_found() -> Vec<u8> {
    ws_handshake::http_response(
        404,
        &[("Content-Type", "text/plain; charset=utf-8")],
        b"not found\n",
    )
}
