//! HTTP/2 connections (ALPN `h2` over TLS): hyper serves them, with RFC
//! 8441 enabled, so that `/echo` and `/chat/{room}` open as streams of the
//! connection; the page, `/healthz` and `/metrics` are answered as over
//! HTTP/1.1 (`docs/server-interface.md` §2, §3).
//!
//! The same gate applies as to HTTP/1.1: the `Origin` allow list (403),
//! the connection limit (503, counting each WebSocket stream), ws-handshake's
//! checks (400/426), the socket `Config`, and the shutdown (Close 1001,
//! then a GOAWAY). hyper's HTTP/2 flow control is per stream, so one slow
//! WebSocket does not stall the others on the connection.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::debug;
use ws_tokio::{Accept, HyperUpgrade};

use crate::chat;
use crate::echo::echo;
use crate::http::INDEX_HTML;
use crate::routes;
use crate::shared::Shared;

/// How many streams (requests and WebSockets) one HTTP/2 connection may
/// have open at once; the connection limit still counts each WebSocket.
const MAX_CONCURRENT_STREAMS: u32 = 100;

/// Each stream's receive window (RFC 7540 §6.9.2; 64 KiB as HTTP/2's own
/// default). The connection's window holds every stream's in full, so a
/// WebSocket whose handler stops reading fills only its own window and the
/// others on the connection go on (hyper's defaults, 1 MiB for both, let
/// one stalled stream hold up the whole connection). At most 6.25 MiB per
/// connection, and only while handlers do not read.
const STREAM_WINDOW: u32 = 64 * 1024;

/// Serves one HTTP/2 connection until it ends or the server shuts down.
pub(crate) async fn serve<S>(stream: S, peer: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let for_service = Arc::clone(&shared);
    let service = service_fn(move |request| {
        let shared = Arc::clone(&for_service);
        async move { Ok::<_, Infallible>(handle(request, peer, shared)) }
    });
    let header_bytes = shared.config.handshake_limits.max_header_bytes;
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    // RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
    builder
        .enable_connect_protocol()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(STREAM_WINDOW * MAX_CONCURRENT_STREAMS)
        .max_header_list_size(u32::try_from(header_bytes).unwrap_or(u32::MAX));
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                debug!(%peer, error = %e, "HTTP/2 connection ended");
            }
            return;
        }
        () = shared.shutdown.wait() => {}
    }
    // GOAWAY; the WebSockets on it close with 1001 on their own.
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// One HTTP/2 request.
fn handle(
    mut request: Request<Incoming>,
    peer: SocketAddr,
    shared: Arc<Shared>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let room = chat::room_of(&path).map(str::to_owned);
    let is_route = path == "/echo" || room.is_some();
    if !is_route || !ws_tokio::is_upgrade_request(&request) {
        shared.metrics.http_requests.fetch_add(1, Ordering::Relaxed);
        let get = request.method() == Method::GET && !is_route;
        return match path.as_str() {
            "/" if get => text(200, "text/html; charset=utf-8", INDEX_HTML.to_owned()),
            "/healthz" if get => {
                let body = if shared.chat.is_degraded() {
                    "degraded: redis unavailable"
                } else {
                    "ok"
                };
                text(200, "text/plain; charset=utf-8", body.to_owned())
            }
            "/metrics" if get => text(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                shared.metrics.render(),
            ),
            _ => text(404, "text/plain; charset=utf-8", "not found\n".to_owned()),
        };
    }
    // The same checks, in the same order, as over HTTP/1.1: the token (or
    // the name), then since/epoch/backlog (400).
    let query = request.uri().query();
    let join = match &room {
        None => None,
        Some(room) => {
            let admitted = routes::admit(query, room, peer, &shared)
                .map_err(|(status, why)| (status, why.to_owned()))
                .and_then(|who| Ok((who, chat::resume_of(query).map_err(|why| (400, why))?)));
            match admitted {
                Ok(((requested, identity), resume)) => Some((requested, identity, resume)),
                Err((status, why)) => {
                    shared
                        .metrics
                        .rejected_upgrades
                        .fetch_add(1, Ordering::Relaxed);
                    return text(status, "text/plain; charset=utf-8", format!("{why}\n"));
                }
            }
        }
    };
    let upgrade = match HyperUpgrade::from_request(&mut request) {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            shared
                .metrics
                .rejected_upgrades
                .fetch_add(1, Ordering::Relaxed);
            debug!(%peer, error = %rejection, "HTTP/2 upgrade refused");
            return rejection.into_response();
        }
    };
    if let Err((status, why)) = shared.gate.admit(upgrade.origin(), peer) {
        return text(status, "text/plain; charset=utf-8", format!("{why}\n"));
    }
    let config = if room.is_some() {
        &shared.chat_config
    } else {
        &shared.config
    };
    let (response, upgrading) = upgrade.accept(Accept::default(), config.clone());
    tokio::spawn(async move {
        let ws = match upgrading.await {
            Ok(ws) => ws,
            Err(e) => {
                shared.gate.failed(peer);
                debug!(%peer, error = %e, "HTTP/2 upgrade failed");
                return;
            }
        };
        shared.gate.upgraded_http2();
        let session = shared.gate.open(peer, &path);
        let code = match (room, join) {
            (Some(room), Some((requested, identity, resume))) => {
                let join = chat::Join {
                    room: &room,
                    requested: requested.as_deref(),
                    resume: &resume,
                    identity,
                };
                shared.chat.serve(ws, join, &shared.shutdown).await
            }
            _ => {
                let mut ws = ws;
                echo(&mut ws, &shared.shutdown, &shared.metrics).await
            }
        };
        session.close(code);
    });
    response
}

/// A plain answer.
fn text(status: u16, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}
