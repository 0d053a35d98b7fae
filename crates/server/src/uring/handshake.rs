//! One connection on the io_uring transport, from its HTTP request to the
//! end: the same routes, checks, statuses, limits and timeouts as the
//! default transport (`docs/server-interface.md` §2 and §3), with the
//! sans-IO handshake of ws-handshake and owned buffers, as completion IO
//! wants them.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::time::Duration;

use compio::BufResult;
use compio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use compio::net::TcpStream;
use compio::time::timeout;
use futures_util::future::{Either, select};
use tracing::debug;
use ws_handshake::{Request, accept_response};
use ws_tokio::ws_frame::{self, Connection, Role};

use super::Context;
use super::socket::echo;
use crate::http;

/// The largest read while the request head is incomplete.
const HEAD_READ: usize = 4096;

// ANCHOR: uring_routes
/// Reads one HTTP request and answers it: `/echo` upgrades, `/`,
/// `/healthz` and `/metrics` are answered, anything else is 404 (the chat
/// and the HTTP API are served by the default transport only).
pub(super) async fn serve(stream: TcpStream, peer: SocketAddr, cx: &Context) {
    let config = &cx.config;
    let read = {
        let read = pin!(timeout(
            config.handshake_timeout,
            read_head(&stream, config)
        ));
        // A connection still without a request at shutdown is just dropped.
        match select(read, pin!(cx.shutdown.wait())).await {
            Either::Left((read, _)) => read,
            Either::Right(_) => return,
        }
    };
    let (request, leftover) = match read {
        Ok(Ok(Ok(parsed))) => parsed,
        // RFC 6455 §4.2.1 / RFC 9110: a malformed head is 400, an
        // oversized one 431 (`Limits`), answered before closing.
        Ok(Ok(Err(e))) => {
            debug!(%peer, error = %e, "bad HTTP request");
            refuse(&stream, e.to_response(), config.handshake_timeout).await;
            return;
        }
        // Timed out, or the peer left or failed.
        _ => return,
    };
    let metrics = &cx.metrics;
    match request.path() {
        "/echo" => upgrade(stream, &request, &leftover, peer, cx).await,
        path @ ("/" | "/healthz" | "/metrics")
            if request.method() == "GET" && !request.is_upgrade() =>
        {
            metrics.http_requests.fetch_add(1, Ordering::Relaxed);
            let response = match path {
                "/" => http::page(),
                "/healthz" => http::healthz(false),
                _ => http::metrics(&metrics.render()),
            };
            respond(&stream, response).await;
        }
        _ => {
            metrics.http_requests.fetch_add(1, Ordering::Relaxed);
            respond(&stream, http::not_found()).await;
        }
    }
}
// ANCHOR_END: uring_routes

/// Reads until the request head is complete. `Ok(Err)`: the head broke a
/// rule or a limit; `Err`: the peer left or reading failed.
async fn read_head(
    stream: &TcpStream,
    config: &ws_tokio::Config,
) -> std::io::Result<Result<(Request, Vec<u8>), ws_handshake::Error>> {
    let mut reader = stream;
    let mut head = Vec::new();
    loop {
        head.reserve(HEAD_READ);
        let BufResult(n, buf) = reader.read(head).await;
        head = buf;
        let n = n?;
        match Request::parse(&head, &config.handshake_limits) {
            Ok(Some((request, used))) => return Ok(Ok((request, head.split_off(used)))),
            Ok(None) if n == 0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(None) => {}
            Err(e) => return Ok(Err(e)),
        }
    }
}

/// `/echo`: origin (403), the per-address limit (429), the connection limit
/// (503), then RFC 6455 §4.2.1 (400, 426); accepted, the 101 answer with
/// permessage-deflate if offered and allowed (RFC 7692 §5), then the echo.
async fn upgrade(
    stream: TcpStream,
    request: &Request,
    leftover: &[u8],
    peer: SocketAddr,
    cx: &Context,
) {
    let gate = &cx.gate;
    let config = &cx.config;
    if let Err((status, why)) = gate.admit(request.header("origin"), peer) {
        respond(&stream, http::refusal(status, why)).await;
        return;
    }
    let upgrade = match request.validate() {
        Ok(upgrade) => upgrade,
        Err(e) => {
            gate.failed(peer);
            debug!(%peer, error = %e, "invalid upgrade request");
            refuse(&stream, e.to_response(), config.handshake_timeout).await;
            return;
        }
    };
    let deflate = config.deflate.as_ref().and_then(|policy| {
        ws_frame::deflate::negotiate(
            upgrade
                .extensions
                .iter()
                .map(|o| (o.name.as_str(), o.params.as_slice())),
            policy,
        )
    });
    let answer = accept_response(
        &upgrade,
        None,
        deflate.as_ref().map(|(answer, _)| answer.as_str()),
        &[],
    );
    let mut writer = &stream;
    let written = timeout(config.handshake_timeout, writer.write_all(answer)).await;
    if !matches!(written, Ok(BufResult(Ok(()), _))) {
        gate.failed(peer);
        debug!(%peer, "upgrade failed: the answer could not be written");
        return;
    }
    gate.upgraded();
    let mut conn = Connection::new(Role::Server, config.frame_config());
    if let Some((_, extension)) = deflate {
        conn.set_extension(Box::new(extension));
    }
    conn.receive(leftover);
    let session = gate.open(peer, "/echo");
    session.close(echo(stream, conn, &cx.shutdown, &cx.metrics).await);
}

/// Writes a whole HTTP response and closes the connection.
async fn respond(stream: &TcpStream, response: Vec<u8>) {
    let mut writer = stream;
    let _ = writer.write_all(response).await;
    let _ = writer.shutdown().await;
}

/// Writes an HTTP refusal, shuts the stream down, and reads what the client
/// still sends for a moment (at most 256 KiB), so that closing with unread
/// bytes does not reset the connection before the client has read the
/// answer (as ws-tokio's `read_request` does).
async fn refuse(stream: &TcpStream, response: Vec<u8>, handshake_timeout: Duration) {
    let grace = handshake_timeout.min(Duration::from_secs(1));
    let _ = timeout(grace, async {
        respond(stream, response).await;
        let mut reader = stream;
        let mut scratch = Vec::with_capacity(HEAD_READ);
        let mut drained = 0;
        while drained < 256 * 1024 {
            scratch.clear();
            let BufResult(n, buf) = reader.read(scratch).await;
            scratch = buf;
            match n {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}
