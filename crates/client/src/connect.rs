//! From a URL to an open WebSocket, one step at a time so that each failure
//! says which step failed and gets its own exit status: the name (DNS), the
//! TCP connection, TLS, the opening handshake (RFC 6455 §4.1), all within
//! `--timeout`.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
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
pub(crate) async fn connect(mut request: Request<'_>) -> Result<Connected, Failure> {
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
    match tokio::time::timeout(limit, steps(&url, &peer, request)).await {
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
        let (config, refused) = tls::client_config(&request.trust)
            .map_err(|e| Failure::new(Status::Usage, format!("--ca: {e}")))?;
        let name = tls::server_name(&url.host).map_err(|e| Failure::new(Status::Tls, e))?;
        let stream = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| Failure::new(Status::Tls, tls::describe(&e, &url.host, peer, &refused)))?;
        MaybeTlsStream::Tls(Box::new(stream))
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
        .map_err(|e| refused(e, peer, limit))
}

/// Resolves the host (RFC 6455 §4.1 item 2 leaves that to the client) and
/// connects to the first address that answers.
async fn tcp(url: &Url, peer: &str) -> Result<TcpStream, Failure> {
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

/// The failure for an opening handshake that did not end in a valid 101.
fn refused(e: ws_tokio::Error, peer: &str, limit: Duration) -> Failure {
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
                .with_status_line(format!("HTTP/1.1 {status} {reason}"))
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
