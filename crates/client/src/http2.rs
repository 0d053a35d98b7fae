//! `--http2`: the WebSocket as a stream of an HTTP/2 connection (RFC 8441).
//! TLS asks for `h2` alone by ALPN (RFC 7301; RFC 7540 §3.3); the server's
//! first frame must enable `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3,
//! read by [`crate::preface`]); then ws-tokio's `connect_http2` sends the
//! extended CONNECT and checks the 200. A server that offers neither is
//! told apart from a refused WebSocket by its own exit status
//! ([`Status::NoHttp2`]), so that a script can fall back to HTTP/1.1.

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use ws_handshake::{ClientConnect, ConnectResponse, Url};
use ws_tokio::HyperWebSocket;

use crate::connect::{self, Request};
use crate::exit::{Failure, Status};
use crate::preface::Watched;

/// A WebSocket open on a stream of an HTTP/2 connection.
pub(crate) struct Open {
    pub(crate) ws: HyperWebSocket,
    /// The server's 200 answer (RFC 8441 §5).
    pub(crate) response: ConnectResponse,
    /// Held while the WebSocket is open: the connection's task ends once
    /// every handle and stream is gone.
    _connection: SendRequest<Empty<Bytes>>,
}

/// Connects as `request` says, within `--timeout`.
///
/// # Errors
/// A [`Failure`] whose status names the step that failed.
pub(crate) async fn connect(request: Request<'_>) -> Result<Open, Failure> {
    connect::bounded(request, async |url, peer, request| {
        steps(&url, &peer, request).await
    })
    .await
}

/// TCP, TLS with ALPN `h2`, the server's SETTINGS, the extended CONNECT.
async fn steps(url: &Url, peer: &str, request: Request<'_>) -> Result<Open, Failure> {
    if !url.secure {
        return Err(Failure::new(
            Status::Usage,
            format!(
                "--http2 needs a wss:// URL, not {:?}: HTTP/2 is chosen in the TLS \
                 handshake (ALPN h2)",
                request.url
            ),
        ));
    }
    let tcp = connect::tcp(url, peer).await?;
    let tls = connect::tls(url, peer, tcp, &request.trust, b"h2").await?;
    let chosen = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    if chosen.as_deref() != Some(b"h2") {
        // RFC 7301 §3.2: a server that does not support ALPN answers
        // without it; one that does chose something else.
        let answer = chosen.map_or("no ALPN answer".to_owned(), |p| {
            format!("ALPN chose {:?}", String::from_utf8_lossy(&p))
        });
        return Err(Failure::new(
            Status::NoHttp2,
            format!("{peer} does not offer HTTP/2 ({answer}, not \"h2\"); --http2 needs it"),
        ));
    }
    let (watched, first_settings) = Watched::new(tls);
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(watched))
            .await
            .map_err(|e| {
                Failure::new(Status::Handshake, format!("HTTP/2 with {peer} failed: {e}"))
            })?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    // RFC 8441 §3: no extended CONNECT before the server said it may come.
    match first_settings.await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            return Err(Failure::new(
                Status::NoHttp2,
                format!(
                    "{peer} speaks HTTP/2 but does not take WebSockets over it: its SETTINGS \
                     lack SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3)"
                ),
            ));
        }
        Ok(Err(why)) => {
            return Err(Failure::new(
                Status::NoHttp2,
                format!("{peer} is not an HTTP/2 server: {why}"),
            ));
        }
        Err(_) => {
            return Err(Failure::new(
                Status::Handshake,
                format!("{peer} closed the HTTP/2 connection before its SETTINGS"),
            ));
        }
    }
    let mut connect = ClientConnect::new(url);
    if let Some(origin) = request.origin {
        connect = connect.origin(origin);
    }
    for protocol in request.protocols {
        connect = connect.protocol(protocol);
    }
    for (name, value) in request.headers {
        connect = connect.header(name, value);
    }
    // permessage-deflate (RFC 7692 §5) is offered by connect_http2 itself
    // when the configuration asks for it.
    let limit = request.config.handshake_timeout;
    let (ws, response) = ws_tokio::connect_http2(&mut send, connect, request.config)
        .await
        .map_err(|e| connect::refused(e, peer, limit, "HTTP/2"))?;
    Ok(Open {
        ws,
        response,
        _connection: send,
    })
}
