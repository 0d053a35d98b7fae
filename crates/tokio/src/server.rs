//! The server side of the opening handshake (RFC 6455 §4.2) over a stream.
//!
//! ```text
//!  accept ──► read_request ──► Request::validate ──► callback ──► 101 ──► WebSocket
//!               (timeout,         (§4.2.1: 400/426     (Accept /
//!                limits: 431)      on failure)          Reject)
//! ```
//!
//! [`accept`] and [`accept_with_config`] do it all. A server that also answers
//! plain HTTP on the same port calls [`read_request`], routes on the request,
//! and calls [`upgrade`] for WebSocket requests.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;
use ws_frame::Role;
use ws_handshake::{Request, Upgrade, accept_response, http_response};

use crate::websocket::Negotiated;
use crate::{Config, Error, WebSocket};

/// How the server answers an acceptable upgrade (RFC 6455 §4.2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accept {
    /// The subprotocol to select: one of
    /// [`Upgrade::protocols`](ws_handshake::Upgrade::protocols), or `None`
    /// for none (RFC 6455 §4.2.2 /subprotocol/).
    pub protocol: Option<String>,
    /// Extra header lines for the 101 answer (e.g. `Set-Cookie`).
    pub headers: Vec<(String, String)>,
}

/// How the server refuses an upgrade: any HTTP answer (RFC 6455 §4.2.2: "the
/// server ... MAY ... send an appropriate HTTP error code"), e.g. 403 for an
/// unwanted `Origin` (§10.2) or 401 with `WWW-Authenticate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The HTTP status, e.g. 403.
    pub status: u16,
    /// Header lines of the answer (`Content-Length` is set from `body`).
    pub headers: Vec<(String, String)>,
    /// The body of the answer.
    pub body: Vec<u8>,
}

impl Reject {
    /// A refusal with a status and a plain-text body.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![(
                "Content-Type".to_owned(),
                "text/plain; charset=utf-8".to_owned(),
            )],
            body: body.into(),
        }
    }
}

/// Accepts a WebSocket connection with the default [`Config`], selecting no
/// subprotocol.
///
/// # Cancel safety
/// Not cancel-safe: the handshake is lost if the future is dropped.
///
/// # Errors
/// As [`accept_with_config`].
pub async fn accept<S>(stream: S) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_config(stream, Config::default(), |_, _| Ok(Accept::default())).await
}

/// Accepts a WebSocket connection: reads the HTTP request (within
/// [`Config::handshake_timeout`] and [`Config::handshake_limits`]), validates
/// it (RFC 6455 §4.2.1), asks `callback` whether and how to accept it, and
/// writes the answer.
///
/// Every refusal is answered before the error is returned: 400/426/431 for
/// a bad request, the callback's [`Reject`] otherwise. Bytes that arrived
/// after the request head are kept as the first frames.
///
/// # Cancel safety
/// Not cancel-safe: the handshake is lost if the future is dropped.
///
/// # Errors
/// [`Error::Handshake`] for a malformed, oversized or invalid request;
/// [`Error::Rejected`] when the callback refused; [`Error::Timeout`];
/// [`Error::Io`].
// ANCHOR: accept_with_config
pub async fn accept_with_config<S, F>(
    mut stream: S,
    config: Config,
    callback: F,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request, &Upgrade) -> Result<Accept, Reject>,
{
    let (request, leftover) = read_request(&mut stream, &config).await?;
    let upgrade = validate(&mut stream, &request, &config).await?;
    match callback(&request, &upgrade) {
        Ok(accept) => {
            let answer = Answer {
                upgrade: &upgrade,
                leftover,
                accept,
            };
            finish(stream, answer, config).await
        }
        Err(reject) => {
            let headers: Vec<(&str, &str)> = reject
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let response = http_response(reject.status, &headers, &reject.body);
            refuse(&mut stream, &response, &config).await;
            Err(Error::Rejected {
                status: reject.status,
            })
        }
    }
}
// ANCHOR_END: accept_with_config

/// Reads one HTTP request head, within [`Config::handshake_timeout`] and the
/// size limits of [`Config::handshake_limits`]. Returns the request and the
/// bytes read past its head (the start of the WebSocket stream, or an HTTP
/// body).
///
/// For servers that answer plain HTTP on the same port: route on
/// [`Request::path`] and [`Request::is_upgrade`], then call [`upgrade`] or
/// write an HTTP answer.
///
/// # Cancel safety
/// Not cancel-safe: bytes read are lost if the future is dropped.
///
/// # Errors
/// [`Error::Handshake`] for a malformed or oversized head, after its
/// 400/431 answer was written and the stream shut down; [`Error::Timeout`];
/// [`Error::Io`], including `UnexpectedEof` when the peer closes first.
pub async fn read_request<S>(stream: &mut S, config: &Config) -> Result<(Request, BytesMut), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits = config.handshake_limits;
    let read = async {
        let mut buf = BytesMut::new();
        loop {
            if buf.capacity() - buf.len() < 1024 {
                buf.reserve(4096);
            }
            let n = stream.read_buf(&mut buf).await?;
            match Request::parse(&buf, &limits) {
                Ok(Some((request, consumed))) => {
                    buf.advance(consumed);
                    return Ok(Ok((request, buf)));
                }
                Ok(None) if n == 0 => {
                    return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
                }
                Ok(None) => {}
                Err(e) => return Ok(Err(e)),
            }
        }
    };
    match timeout(config.handshake_timeout, read).await?? {
        Ok(parsed) => Ok(parsed),
        Err(e) => {
            tracing::debug!(error = %e, "bad HTTP request");
            refuse(stream, &e.to_response(), config).await;
            Err(Error::Handshake(e))
        }
    }
}

/// Completes the handshake for a request read by [`read_request`]: validates
/// it (RFC 6455 §4.2.1), writes the 101 answer with the chosen subprotocol
/// and headers (§4.2.2), and returns the socket. `leftover` is what
/// [`read_request`] returned with the request.
///
/// # Cancel safety
/// Not cancel-safe: the handshake is lost if the future is dropped.
///
/// # Errors
/// [`Error::Handshake`] for an invalid upgrade request, after the 400 (or
/// 426 with `Sec-WebSocket-Version: 13`) answer was written and the stream
/// shut down; [`Error::Timeout`] if the answer cannot be written within
/// [`Config::handshake_timeout`]; [`Error::Io`].
pub async fn upgrade<S>(
    mut stream: S,
    request: &Request,
    leftover: BytesMut,
    config: Config,
    accept: Accept,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let upgrade = validate(&mut stream, request, &config).await?;
    let answer = Answer {
        upgrade: &upgrade,
        leftover,
        accept,
    };
    finish(stream, answer, config).await
}

/// §4.2.1 checks; a failure is answered before it is returned.
async fn validate<S>(stream: &mut S, request: &Request, config: &Config) -> Result<Upgrade, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match request.validate() {
        Ok(upgrade) => Ok(upgrade),
        Err(e) => {
            tracing::debug!(error = %e, "invalid upgrade request");
            refuse(stream, &e.to_response(), config).await;
            Err(Error::Handshake(e))
        }
    }
}

/// What the 101 answer is made of: the validated request, the bytes read
/// past its head (the first frames), and the application's choices.
struct Answer<'a> {
    upgrade: &'a Upgrade,
    leftover: BytesMut,
    accept: Accept,
}

// ANCHOR: finish
/// Writes the 101 answer and wraps the stream.
async fn finish<S>(mut stream: S, answer: Answer<'_>, config: Config) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Answer {
        upgrade,
        leftover,
        accept,
    } = answer;
    // RFC 7692 §5: accept the first acceptable permessage-deflate offer.
    let deflate = config.deflate.as_ref().and_then(|policy| {
        ws_frame::deflate::negotiate(
            upgrade
                .extensions
                .iter()
                .map(|o| (o.name.as_str(), o.params.as_slice())),
            policy,
        )
    });
    let response = accept_response(
        upgrade,
        accept.protocol.as_deref(),
        deflate.as_ref().map(|(answer, _)| answer.as_str()),
        &accept.headers,
    );
    timeout(config.handshake_timeout, async {
        stream.write_all(&response).await?;
        stream.flush().await
    })
    .await??;
    let negotiated = Negotiated {
        protocol: accept.protocol,
        extension: deflate.map(|(_, ext)| Box::new(ext) as Box<dyn ws_frame::Extension>),
    };
    Ok(WebSocket::from_parts(
        stream,
        Role::Server,
        config,
        leftover,
        negotiated,
    ))
}
// ANCHOR_END: finish

/// Writes an HTTP refusal, shuts the stream down, and reads what the client
/// still sends for a moment, so that closing with unread bytes does not reset
/// the connection before the client has read the answer.
async fn refuse<S>(stream: &mut S, response: &[u8], config: &Config)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let grace = config.handshake_timeout.min(Duration::from_secs(1));
    let _ = timeout(grace, async {
        stream.write_all(response).await?;
        stream.shutdown().await?;
        // On the heap: an array here would sit in every handshake future
        // (and so in every connection task) for the whole connection.
        let mut scratch = vec![0; 4096];
        let mut drained = 0;
        while drained < 256 * 1024 {
            match stream.read(&mut scratch).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
}
