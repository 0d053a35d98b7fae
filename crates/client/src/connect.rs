//! From a URL to an open WebSocket, one step at a time so that each failure
//! says which step failed and gets its own exit status: the name (DNS), the
//! TCP connection, TLS, the opening handshake (RFC 6455 §4.1), all within
//! `--timeout`.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use ws_handshake::{ClientRequest, Response, Url};
use ws_tokio::{Config, MaybeTlsStream, WebSocket};

use crate::exit::{Failure, Status};
use crate::tls::{self, Trust};

/// What the opening handshake offers and how TLS is checked.
pub(crate) struct Request<'a> {
    pub(crate) url: &'a str,
    pub(crate) config: Config,
    pub(crate) trust: Trust<'a>,
    pub(crate) origin: Option<&'a str>,
    pub(crate) protocols: &'a [String],
    pub(crate) headers: &'a [(String, String)],
    /// Connect, TLS and the opening handshake together.
    pub(crate) timeout: Duration,
}

/// An open WebSocket and the server's 101 answer.
pub(crate) type Connected = (WebSocket<MaybeTlsStream>, Response);

/// Connects as `request` says.
///
/// # Errors
/// A [`Failure`] whose status names the step that failed.
pub(crate) async fn connect(request: Request<'_>) -> Result<Connected, Failure> {
    bounded(request, async |url, peer, request| {
        steps(&url, &peer, request).await
    })
    .await
}

/// Parses the URL, then runs `steps` (given the URL, `host:port` and the
/// request) within `--timeout`: the HTTP/1.1 steps here, the HTTP/2 ones
/// in `http2`.
///
/// # Errors
/// [`Status::Usage`] for a URL that is not `ws://` or `wss://`,
/// [`Status::Timeout`], or what `steps` fails with.
pub(crate) async fn bounded<'a, T>(
    mut request: Request<'a>,
    steps: impl AsyncFnOnce(Url, String, Request<'a>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let url = Url::parse(request.url).map_err(|e| {
        Failure::new(
            Status::Usage,
            format!("{:?} is not a WebSocket URL: {e}", request.url),
        )
    })?;
    let peer = if url.host.contains(':') {
        format!("[{}]:{}", url.host, url.port)
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let limit = request.timeout;
    // The total is what --timeout bounds; ws-tokio's own handshake timer
    // gets the same value so that it never fires first with another error.
    request.config.handshake_timeout = limit;
    let for_steps = peer.clone();
    match tokio::time::timeout(limit, steps(url, for_steps, request)).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(&peer, limit)),
    }
}

fn timed_out(peer: &str, limit: Duration) -> Failure {
    Failure::new(
        Status::Timeout,
        format!(
            "no WebSocket connection to {peer} within {} s (TCP connect, TLS and the \
             opening handshake; --timeout SECS)",
            limit.as_secs()
        ),
    )
}

async fn steps(url: &Url, peer: &str, request: Request<'_>) -> Result<Connected, Failure> {
    let tcp = tcp(url, peer).await?;
    let stream = if url.secure {
        // The WebSocket handshake is HTTP/1.1 (RFC 6455 §4.1).
        MaybeTlsStream::Tls(Box::new(
            tls(url, peer, tcp, &request.trust, b"http/1.1").await?,
        ))
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    let mut handshake = ClientRequest::new(url);
    if let Some(origin) = request.origin {
        handshake = handshake.origin(origin);
    }
    for protocol in request.protocols {
        handshake = handshake.protocol(protocol);
    }
    for (name, value) in request.headers {
        handshake = handshake.header(name, value);
    }
    // RFC 7692 §5: offer permessage-deflate when asked to.
    if let Some(offer) = request
        .config
        .deflate
        .as_ref()
        .and_then(ws_tokio::ws_frame::deflate::client_offer)
    {
        let offers = ws_handshake::parse_extensions(&offer)
            .map_err(|e| Failure::new(Status::Usage, format!("deflate offer: {e}")))?;
        for offer in offers {
            handshake = handshake.extension(offer);
        }
    }
    let limit = request.config.handshake_timeout;
    ws_tokio::client(stream, handshake, request.config)
        .await
        .map_err(|e| refused(e, peer, limit, "HTTP/1.1"))
}

/// The TLS handshake over `tcp`, offering `alpn` (RFC 7301).
///
/// # Errors
/// [`Status::Usage`] for an unusable `--ca`, [`Status::Tls`] for a
/// refused certificate or another TLS failure (in words, [`tls::describe`]).
pub(crate) async fn tls(
    url: &Url,
    peer: &str,
    tcp: TcpStream,
    trust: &Trust<'_>,
    alpn: &[u8],
) -> Result<TlsStream<TcpStream>, Failure> {
    let (config, refused) = tls::client_config(trust, alpn)
        .map_err(|e| Failure::new(Status::Usage, format!("--ca: {e}")))?;
    let name = tls::server_name(&url.host).map_err(|e| Failure::new(Status::Tls, e))?;
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            if alpn == b"h2" && tls::no_common_protocol(&e) {
                return Failure::new(
                    Status::NoHttp2,
                    format!(
                        "{peer} does not offer HTTP/2: it ended the TLS handshake with \
                         no_application_protocol when asked for \"h2\" by ALPN (--http2)"
                    ),
                );
            }
            Failure::new(Status::Tls, tls::describe(&e, &url.host, peer, &refused))
        })
}

/// Resolves the host (RFC 6455 §4.1 item 2 leaves that to the client) and
/// connects to the first address that answers.
pub(crate) async fn tcp(url: &Url, peer: &str) -> Result<TcpStream, Failure> {
    let addrs: Vec<_> = tokio::net::lookup_host((url.host.as_str(), url.port))
        .await
        .map_err(|e| Failure::new(Status::Dns, format!("cannot resolve {:?}: {e}", url.host)))?
        .collect();
    if addrs.is_empty() {
        return Err(Failure::new(
            Status::Dns,
            format!("cannot resolve {:?}: no address", url.host),
        ));
    }
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                // Messages are written whole; do not hold the last segment back.
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let (addr, e) = last.expect("at least one address was tried");
    let what = if e.kind() == io::ErrorKind::ConnectionRefused {
        "connection refused (nothing listens on that port)".to_owned()
    } else {
        e.to_string()
    };
    let addr = match addrs.len() {
        _ if addr.to_string() == peer => String::new(),
        1 => format!(" ({addr})"),
        n => format!(" ({addr}, the last of {n} addresses)"),
    };
    Err(Failure::new(
        Status::Connect,
        format!("cannot connect to {peer}{addr}: {what}"),
    ))
}

/// The failure for an opening handshake that did not end in a valid 101
/// (or, over HTTP/2, a valid 200); `version` starts the status line.
pub(crate) fn refused(e: ws_tokio::Error, peer: &str, limit: Duration, version: &str) -> Failure {
    match e {
        ws_tokio::Error::Handshake(ws_handshake::Error::Status {
            status,
            reason,
            body,
            ..
        }) => {
            // The status line alone on its line, as the server sent it, so
            // that a script can match it (docs/server-interface.md §9).
            let body = String::from_utf8_lossy(&body);
            let message = match body.lines().map(str::trim).find(|l| !l.is_empty()) {
                Some(line) => {
                    format!("the server refused the WebSocket upgrade; its answer says {line:?}")
                }
                None => "the server refused the WebSocket upgrade".to_owned(),
            };
            Failure::new(Status::Handshake, message)
                .with_status_line(format!("{version} {status} {reason}"))
        }
        ws_tokio::Error::Timeout => timed_out(peer, limit),
        ws_tokio::Error::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => Failure::new(
            Status::Handshake,
            format!("{peer} closed the connection before answering the WebSocket upgrade"),
        ),
        e => Failure::new(
            Status::Handshake,
            format!("opening handshake with {peer} failed: {e}"),
        ),
    }
}
