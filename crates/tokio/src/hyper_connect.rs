//! The client role over HTTP/2 (the `hyper` feature): a WebSocket opened
//! as a stream of an HTTP/2 connection that hyper's client drives (RFC 8441
//! §5), with ws-handshake's [`ClientConnect`] building the request and
//! checking the answer.
//!
//! RFC 8441 §3: a client may send an extended CONNECT only after the
//! server's `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` arrived. hyper does not
//! hold the request back until then (its `Connection` only reports the
//! setting), so open the connection, wait for the server's SETTINGS (let
//! one request complete, or read the server's first frame as ws-client
//! does), then call [`connect_http2`].

use std::error::Error as StdError;

use bytes::BytesMut;
use http::{Method, Request};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::time::timeout;
use ws_frame::Role;
use ws_handshake::{ClientConnect, ConnectResponse, Header};

use crate::hyper_upgrade::HyperWebSocket;
use crate::websocket::Negotiated;
use crate::{Config, Error, WebSocket};

// ANCHOR: connect_http2
/// Opens a WebSocket on `send`'s HTTP/2 connection: sends `request`'s
/// extended CONNECT (offering permessage-deflate when [`Config::deflate`]
/// asks for it, RFC 7692 §5), checks the 2xx answer, and wraps the stream.
/// The whole handshake is bounded by [`Config::handshake_timeout`].
///
/// # Errors
/// [`Error::Handshake`] for a refusal ([`ws_handshake::Error::Status`]
/// with its status, header fields and the start of its body) or an answer that breaks RFC 6455's
/// negotiation rules; [`Error::Negotiation`] for a permessage-deflate
/// answer we cannot accept; [`Error::Timeout`]; [`Error::Io`] when hyper
/// fails (the server did not enable RFC 8441, the connection ended).
pub async fn connect_http2<B>(
    send: &mut SendRequest<B>,
    mut request: ClientConnect,
    config: Config,
) -> Result<(HyperWebSocket, ConnectResponse), Error>
where
    B: hyper::body::Body + Default + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    if let Some(offer) = config
        .deflate
        .as_ref()
        .and_then(ws_frame::deflate::client_offer)
    {
        for offer in ws_handshake::parse_extensions(&offer)? {
            request = request.extension(offer);
        }
    }
    let head = request.request();
    let uri = format!(
        "{}://{}{}",
        head.scheme.as_deref().unwrap_or("http"),
        head.authority.as_deref().unwrap_or_default(),
        head.path.as_deref().unwrap_or("/")
    );
    let mut builder = Request::builder()
        .method(Method::CONNECT)
        .uri(uri)
        // RFC 8441 §5: ":protocol [...] MUST have a value of "websocket"".
        .extension(hyper::ext::Protocol::from_static("websocket"));
    for header in &head.headers {
        builder = builder.header(header.name.as_str(), header.value.as_slice());
    }
    let hyper_request = builder
        .body(B::default())
        .map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let (upgraded, response) = timeout(config.handshake_timeout, async {
        let response = send
            .send_request(hyper_request)
            .await
            .map_err(std::io::Error::other)?;
        let headers: Vec<Header> = response
            .headers()
            .iter()
            .map(|(name, value)| Header {
                name: name.as_str().to_owned(),
                value: value.as_bytes().to_vec(),
            })
            .collect();
        let checked = match request.check_response(response.status().as_u16(), &headers) {
            Ok(checked) => checked,
            // A refusal's reason is in its body, on the stream: keep its
            // start, as the HTTP/1.1 client keeps the bytes after the head.
            Err(ws_handshake::Error::Status {
                status,
                reason,
                headers,
                ..
            }) => {
                let body = body_start(response.into_body()).await;
                return Err(Error::Handshake(ws_handshake::Error::Status {
                    status,
                    reason,
                    headers,
                    body,
                }));
            }
            Err(e) => return Err(e.into()),
        };
        let upgraded = hyper::upgrade::on(response)
            .await
            .map_err(std::io::Error::other)?;
        Ok::<_, Error>((upgraded, checked))
    })
    .await??;
    let negotiated =
        Negotiated::from_server_answer(response.protocol(), response.extensions(), &config)?;
    let socket = WebSocket::from_parts(
        TokioIo::new(upgraded),
        Role::Client,
        config,
        BytesMut::new(),
        negotiated,
    );
    Ok((socket, response))
}
// ANCHOR_END: connect_http2

/// How much of a refusal's body is kept: enough for a reason phrase, and a
/// bound on what a server can make the client buffer.
const REFUSAL_BODY: usize = 1024;

/// The first [`REFUSAL_BODY`] bytes of a refusal's body (fewer if the
/// stream fails or ends first); the rest is not read.
async fn body_start(mut body: hyper::body::Incoming) -> Vec<u8> {
    use hyper::body::Body;
    let mut kept = Vec::new();
    while kept.len() < REFUSAL_BODY {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let room = REFUSAL_BODY - kept.len();
                    kept.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    kept
}
