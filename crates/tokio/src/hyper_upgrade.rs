//! WebSockets inside a hyper server (the `hyper` feature): an HTTP/1.1
//! upgrade (RFC 6455 §4.2) or an HTTP/2 extended CONNECT (RFC 8441 §5)
//! that hyper has already parsed becomes a [`WebSocket`].
//!
//! ```text
//!  hyper::Request ──► HyperUpgrade::from_request ──► Err(Rejection) ──► into_response (400/426)
//!                          │ Ok (ws-handshake's checks passed)
//!                          ▼
//!                     accept(Accept, Config) ──► (Response 101 or 200, Upgrading)
//!                          return the Response to hyper; Upgrading.await ──► WebSocket
//! ```
//!
//! hyper owns the HTTP: parsing, its size limits, HTTP/2 framing and flow
//! control (one WebSocket per HTTP/2 stream, each with its own window). This
//! module only asks `ws-handshake` whether the request is a valid opening
//! handshake, so the checks and the HTTP statuses are those of
//! [`accept`](crate::accept), and hands the upgraded IO to the same socket
//! with the same [`Config`].
//!
//! For HTTP/1.1, serve the connection with hyper's `with_upgrades()`; for
//! HTTP/2, enable RFC 8441 on hyper's builder (`enable_connect_protocol()`,
//! which sends `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`, RFC 8441 §3), and
//! make the connection's receive window larger than a stream's
//! (`initial_connection_window_size` ≥ `max_concurrent_streams` ×
//! `initial_stream_window_size`): hyper's defaults are 1 MiB for both, so
//! one WebSocket whose handler stops reading would fill the connection's
//! window and stall every other stream on it.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue};
use http::{Extensions, HeaderMap, Method, Request, Response, StatusCode, Uri, Version};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::time::timeout;
use ws_frame::Role;
use ws_handshake::{ConnectRequest, ExtensionOffer, Header, accept_key, connect_response};

use crate::server::Accept;
use crate::websocket::Negotiated;
use crate::{Config, Error, WebSocket};

/// The WebSocket a hyper upgrade produces.
pub type HyperWebSocket = WebSocket<TokioIo<Upgraded>>;

/// Whether `request` asks for a WebSocket: an HTTP/1.x request whose
/// `Upgrade` has the token `websocket`, or an HTTP/2 `CONNECT` with
/// `:protocol` `websocket`. Route other requests as plain HTTP.
#[must_use]
pub fn is_upgrade_request<B>(request: &Request<B>) -> bool {
    match request.version() {
        Version::HTTP_2 => to_connect(
            request.method(),
            request.uri(),
            request.headers(),
            request.extensions(),
        )
        .is_websocket(),
        _ => request
            .headers()
            .get_all(http::header::UPGRADE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("websocket")),
    }
}

/// A validated WebSocket request inside hyper, not yet answered.
pub struct HyperUpgrade {
    version: Version,
    /// `Sec-WebSocket-Key`, for HTTP/1.1 only (RFC 8441 §5 drops it).
    key: Option<String>,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    on_upgrade: OnUpgrade,
}

impl fmt::Debug for HyperUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperUpgrade")
            .field("version", &self.version)
            .field("origin", &self.origin)
            .field("protocols", &self.protocols)
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

impl HyperUpgrade {
    /// Validates `request` with ws-handshake's rules: RFC 6455 §4.2.1 for
    /// HTTP/1.x, RFC 8441 §4–§5 for HTTP/2. Takes hyper's upgrade handle
    /// out of the request's extensions.
    ///
    /// # Errors
    /// A [`Rejection`] to send back: 400 with the broken rule as a
    /// plain-text body, 426 with `Sec-WebSocket-Version: 13`, or 500 if the
    /// connection was not served with upgrades enabled.
    pub fn from_request<B>(request: &mut Request<B>) -> Result<Self, Rejection> {
        let (method, uri, version) = (
            request.method().clone(),
            request.uri().clone(),
            request.version(),
        );
        let headers = std::mem::take(request.headers_mut());
        let result = Self::from_head(&method, &uri, version, &headers, request.extensions_mut());
        *request.headers_mut() = headers;
        result
    }

    /// As [`HyperUpgrade::from_request`], for a request already split into
    /// parts (what an axum extractor receives).
    ///
    /// # Errors
    /// As [`HyperUpgrade::from_request`].
    pub fn from_parts(parts: &mut http::request::Parts) -> Result<Self, Rejection> {
        Self::from_head(
            &parts.method,
            &parts.uri,
            parts.version,
            &parts.headers,
            &mut parts.extensions,
        )
    }

    fn from_head(
        method: &Method,
        uri: &Uri,
        version: Version,
        headers: &HeaderMap,
        extensions: &mut Extensions,
    ) -> Result<Self, Rejection> {
        let (key, origin, protocols, offers) = match version {
            Version::HTTP_2 => {
                let upgrade = to_connect(method, uri, headers, extensions).validate()?;
                (None, upgrade.origin, upgrade.protocols, upgrade.extensions)
            }
            Version::HTTP_11 | Version::HTTP_10 | Version::HTTP_09 => {
                let minor = u8::from(version == Version::HTTP_11);
                let target = uri.path_and_query().map_or("/", |p| p.as_str());
                let upgrade =
                    ws_handshake::Request::new(method.as_str(), target, minor, to_headers(headers))
                        .validate()?;
                (
                    Some(upgrade.key),
                    upgrade.origin,
                    upgrade.protocols,
                    upgrade.extensions,
                )
            }
            _ => return Err(Rejection::new(400, "WebSocket requires HTTP/1.1 or HTTP/2")),
        };
        let on_upgrade = extensions.remove::<OnUpgrade>().ok_or_else(|| {
            Rejection::new(
                500,
                "this connection cannot be upgraded (hyper's upgrades are not enabled)",
            )
        })?;
        Ok(Self {
            version,
            key,
            origin,
            protocols,
            extensions: offers,
            on_upgrade,
        })
    }

    /// The HTTP version of the request: `HTTP_11` (upgrade) or `HTTP_2`
    /// (extended CONNECT).
    #[must_use]
    pub fn http_version(&self) -> Version {
        self.version
    }

    /// `Origin`, if sent; check it against an allow list to refuse
    /// cross-site pages (RFC 6455 §10.2).
    #[must_use]
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The subprotocols the client offers, in its order of preference.
    #[must_use]
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The extensions the client offers, in its order of preference.
    #[must_use]
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    // ANCHOR: hyper_accept
    /// Accepts the WebSocket: returns the response to hand back to hyper
    /// (101 for HTTP/1.1, 200 for HTTP/2) and the [`Upgrading`] that becomes
    /// the [`WebSocket`] once hyper has sent it.
    ///
    /// `accept.protocol` is sent only if the client offered it (RFC 6455
    /// §4.2.2 /subprotocol/); permessage-deflate is negotiated by
    /// [`Config::deflate`], as [`accept`](crate::accept) does (RFC 7692 §5).
    pub fn accept<B: From<Bytes>>(
        self,
        accept: Accept,
        config: Config,
    ) -> (Response<B>, Upgrading) {
        let protocol = accept
            .protocol
            .filter(|p| self.protocols.iter().any(|offered| offered == p));
        // RFC 7692 §5: accept the first acceptable permessage-deflate offer.
        let deflate = config.deflate.as_ref().and_then(|policy| {
            ws_frame::deflate::negotiate(
                self.extensions
                    .iter()
                    .map(|o| (o.name.as_str(), o.params.as_slice())),
                policy,
            )
        });
        let answer = deflate.as_ref().map(|(answer, _)| answer.as_str());
        let mut fields = Vec::new();
        let status = match &self.key {
            Some(key) => {
                // RFC 6455 §4.2.2 item 5: 101, Upgrade, Connection and the
                // Sec-WebSocket-Accept hash.
                fields.push(("upgrade".to_owned(), "websocket".to_owned()));
                fields.push(("connection".to_owned(), "Upgrade".to_owned()));
                fields.push((
                    "sec-websocket-accept".to_owned(),
                    accept_key(key.as_bytes()),
                ));
                fields.extend(
                    protocol
                        .iter()
                        .map(|p| ("sec-websocket-protocol".to_owned(), p.clone())),
                );
                fields
                    .extend(answer.map(|a| ("sec-websocket-extensions".to_owned(), a.to_owned())));
                fields.extend(accept.headers);
                StatusCode::SWITCHING_PROTOCOLS
            }
            // RFC 8441 §5: a 2xx, without Sec-WebSocket-Accept.
            None => {
                fields = connect_response(protocol.as_deref(), answer, &accept.headers);
                StatusCode::OK
            }
        };
        let mut response = Response::new(B::from(Bytes::new()));
        *response.status_mut() = status;
        for (name, value) in fields {
            // Lines that are not valid HTTP are left out, as ws-handshake
            // does for HTTP/1.1.
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                response.headers_mut().append(name, value);
            }
        }
        let upgrading = Upgrading {
            on_upgrade: self.on_upgrade,
            config,
            negotiated: Negotiated {
                protocol,
                extension: deflate.map(|(_, ext)| Box::new(ext) as Box<dyn ws_frame::Extension>),
            },
        };
        (response, upgrading)
    }
    // ANCHOR_END: hyper_accept
}

/// The connection between the accepting response and the WebSocket: await
/// it (in a task of its own, after returning the response to hyper).
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    config: Config,
    negotiated: Negotiated,
}

impl fmt::Debug for Upgrading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upgrading")
            .field("protocol", &self.negotiated.protocol)
            .finish_non_exhaustive()
    }
}

impl IntoFuture for Upgrading {
    type Output = Result<HyperWebSocket, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    /// Waits (at most [`Config::handshake_timeout`]) until hyper has sent
    /// the response and handed over the connection.
    ///
    /// Errors: [`Error::Timeout`]; [`Error::Io`] if the connection ended or
    /// the response was not an acceptance.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let Self {
                on_upgrade,
                config,
                negotiated,
            } = self;
            let upgraded = timeout(config.handshake_timeout, on_upgrade)
                .await?
                .map_err(std::io::Error::other)?;
            // hyper replays whatever it read past the request head, so no
            // leftover bytes are passed here.
            Ok(WebSocket::from_parts(
                TokioIo::new(upgraded),
                Role::Server,
                config,
                BytesMut::new(),
                negotiated,
            ))
        })
    }
}

/// A refused WebSocket request: the HTTP answer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    status: u16,
    message: String,
    /// Boxed: a `Result<_, Rejection>` stays small on the success path.
    error: Option<Box<ws_handshake::Error>>,
}

impl Rejection {
    fn new(status: u16, message: &str) -> Self {
        Self {
            status,
            message: message.to_owned(),
            error: None,
        }
    }

    /// The HTTP status: 400, 426 or 500.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The handshake rule that was broken, if it was one.
    #[must_use]
    pub fn handshake_error(&self) -> Option<&ws_handshake::Error> {
        self.error.as_deref()
    }

    /// The answer: the status, `content-type: text/plain`, for 426
    /// `sec-websocket-version: 13`, and the reason as the body.
    #[must_use]
    pub fn into_response<B: From<Bytes>>(self) -> Response<B> {
        let mut response = Response::new(B::from(Bytes::from(format!("{}\n", self.message))));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let headers = self.error.as_ref().map_or_else(
            || vec![("content-type", "text/plain; charset=utf-8")],
            |e| e.response_headers(),
        );
        for (name, value) in headers {
            if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                response
                    .headers_mut()
                    .append(name, HeaderValue::from_static(value));
            }
        }
        response
    }
}

impl From<ws_handshake::Error> for Rejection {
    fn from(error: ws_handshake::Error) -> Self {
        Self {
            status: error.status(),
            message: error.to_string(),
            error: Some(Box::new(error)),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for Rejection {}

/// hyper's header map as ws-handshake's header lines.
fn to_headers(headers: &HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .map(|(name, value)| Header {
            name: name.as_str().to_owned(),
            value: value.as_bytes().to_vec(),
        })
        .collect()
}

/// An HTTP/2 request as ws-handshake's [`ConnectRequest`]: hyper keeps
/// `:scheme`, `:authority` and `:path` in the URI and `:protocol` as the
/// [`hyper::ext::Protocol`] extension.
fn to_connect(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> ConnectRequest {
    ConnectRequest {
        method: method.as_str().to_owned(),
        protocol: extensions
            .get::<hyper::ext::Protocol>()
            .map(|p| p.as_str().to_owned()),
        scheme: uri.scheme_str().map(str::to_owned),
        authority: uri.authority().map(|a| a.as_str().to_owned()),
        path: uri.path_and_query().map(|p| p.as_str().to_owned()),
        headers: to_headers(headers),
    }
}
