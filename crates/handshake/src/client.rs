//! The client role: send the opening handshake (RFC 6455 §4.1), validate
//! the server's answer.
//!
//! Call order: [`Url::parse`]; [`ClientRequest::new`] plus builder calls;
//! write [`ClientRequest::encode`]; feed the bytes read so far to
//! [`ClientRequest::parse_response`] until it returns `Some`; hand
//! `buf[consumed..]` to the frame layer.

use crate::error::Error;
use crate::head::{self, Header};
use crate::header::{ExtensionOffer, format_extensions};
use crate::key::{KEY_LEN, accept_key, encode_key};
use crate::limits::Limits;
use crate::negotiate::{accepted_extensions, selected_protocol};
use crate::parse::{collect, parse_head};
use crate::url::Url;

/// The client's opening handshake (RFC 6455 §4.1), built step by step.
///
/// ```
/// use ws_handshake::{ClientRequest, Url};
///
/// let url = Url::parse("ws://example.com/chat")?;
/// let request = ClientRequest::new(&url)
///     .with_key(*b"the sample nonce")
///     .origin("http://example.com")
///     .protocol("chat")
///     .protocol("superchat");
/// assert_eq!(request.key(), "dGhlIHNhbXBsZSBub25jZQ==");
/// let bytes = String::from_utf8(request.encode()).unwrap();
/// assert!(bytes.starts_with("GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
/// assert!(bytes.contains("Sec-WebSocket-Protocol: chat, superchat\r\n"));
/// # Ok::<(), ws_handshake::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    host: String,
    resource: String,
    key: String,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Vec<(String, String)>,
}

impl ClientRequest {
    /// A handshake for `url` with a fresh random key.
    #[must_use]
    pub fn new(url: &Url) -> Self {
        // RFC 6455 §4.1 item 7: "The nonce MUST be selected randomly for each
        // connection."
        let nonce: [u8; KEY_LEN] = rand::random();
        Self {
            host: url.host_header(),
            resource: url.resource.clone(),
            key: encode_key(&nonce),
            origin: None,
            protocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Uses `key` as the nonce instead of a random one (for tests only: RFC
    /// 6455 §4.1 wants a fresh random nonce per connection).
    #[must_use]
    pub fn with_key(mut self, key: [u8; 16]) -> Self {
        self.key = encode_key(&key);
        self
    }

    /// Sends `Origin: o` (RFC 6455 §4.1 item 8).
    #[must_use]
    pub fn origin(mut self, o: &str) -> Self {
        self.origin = Some(o.to_owned());
        self
    }

    /// Offers subprotocol `p` (a token), after those already offered.
    #[must_use]
    pub fn protocol(mut self, p: &str) -> Self {
        self.protocols.push(p.to_owned());
        self
    }

    /// Offers an extension, after those already offered. A `&str` offers
    /// the name without parameters.
    #[must_use]
    pub fn extension(mut self, e: impl Into<ExtensionOffer>) -> Self {
        self.extensions.push(e.into());
        self
    }

    /// Adds a header line, e.g. `Authorization` or `Cookie`.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The `Sec-WebSocket-Key` value sent.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The subprotocols offered.
    #[must_use]
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The extensions offered.
    #[must_use]
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    // ANCHOR: client_encode
    /// The request bytes to send. Header lines whose name is not a token or
    /// whose value contains CR, LF or NUL are left out.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        // RFC 6455 §4.1 item 2: "The method of the request MUST be GET, and
        // the HTTP version MUST be at least 1.1." Item 3: the Request-URI is
        // the /resource name/.
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(self.resource.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        // Item 4: "The request MUST contain a |Host| header field".
        head::push_header(&mut out, "Host", &self.host);
        // Items 5 and 6: Upgrade "websocket" and Connection "Upgrade".
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        // Item 7: the base64-encoded 16-byte nonce.
        head::push_header(&mut out, "Sec-WebSocket-Key", &self.key);
        // Item 9: "The value of this header field MUST be 13."
        out.extend_from_slice(b"Sec-WebSocket-Version: 13\r\n");
        if let Some(origin) = &self.origin {
            head::push_header(&mut out, "Origin", origin);
        }
        if !self.protocols.is_empty() {
            head::push_header(
                &mut out,
                "Sec-WebSocket-Protocol",
                &self.protocols.join(", "),
            );
        }
        if !self.extensions.is_empty() {
            let value = format_extensions(&self.extensions);
            head::push_header(&mut out, "Sec-WebSocket-Extensions", &value);
        }
        for (name, value) in &self.headers {
            head::push_header(&mut out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        out
    }
    // ANCHOR_END: client_encode

    /// Parses the server's answer incrementally (the [`Response::parse`]
    /// contract) and validates it against this request (RFC 6455 §4.1).
    ///
    /// # Errors
    ///
    /// The [`Response::parse`] errors; [`Error::Status`] for any status
    /// other than 101, keeping status, reason, headers and the body bytes in
    /// `buf`; otherwise the first rule broken: [`Error::BadVersion`],
    /// [`Error::NotUpgrade`], [`Error::MissingConnectionUpgrade`],
    /// [`Error::DuplicateHeader`], [`Error::InvalidAccept`],
    /// [`Error::InvalidProtocol`], [`Error::UnexpectedProtocol`],
    /// [`Error::InvalidExtension`], [`Error::UnexpectedExtension`].
    pub fn parse_response(
        &self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Response, usize)>, Error> {
        let Some((mut response, consumed)) = Response::parse(buf, limits)? else {
            return Ok(None);
        };
        // RFC 6455 §4.1: "If the status code received from the server is not
        // 101, the client handles the response per HTTP [RFC2616] procedures."
        if response.status != 101 {
            let body = &buf[consumed..];
            let content_length = response
                .header("Content-Length")
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(body.len());
            return Err(Error::Status {
                status: response.status,
                reason: response.reason,
                headers: response.headers,
                body: body[..content_length.min(body.len())].to_vec(),
            });
        }
        self.validate(&mut response)?;
        Ok(Some((response, consumed)))
    }

    /// The checks of RFC 6455 §4.1 on a 101 answer; fills in the selected
    /// protocol and extensions.
    fn validate(&self, response: &mut Response) -> Result<(), Error> {
        // RFC 6455 §4.2.2 item 5: "A Status-Line with a 101 response code as
        // per RFC 2616" (HTTP/1.1).
        if response.version < 1 {
            return Err(Error::BadVersion);
        }
        let headers = &response.headers;
        // RFC 6455 §4.1: "If the response lacks an |Upgrade| header field or
        // the |Upgrade| header field contains a value that is not an ASCII
        // case-insensitive match for the value "websocket", the client MUST
        // _Fail the WebSocket Connection_."
        let mut upgrade = head::list(headers, "Upgrade");
        let is_websocket = upgrade
            .next()
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
        if !is_websocket || upgrade.next().is_some() {
            return Err(Error::NotUpgrade);
        }
        // RFC 6455 §4.1: "If the response lacks a |Connection| header field or
        // the |Connection| header field doesn't contain a token that is an
        // ASCII case-insensitive match for the value "Upgrade", the client
        // MUST _Fail the WebSocket Connection_."
        if !head::has_token(headers, "Connection", "Upgrade") {
            return Err(Error::MissingConnectionUpgrade);
        }
        // RFC 6455 §11.3.3: "The |Sec-WebSocket-Accept| header MUST NOT appear
        // more than once in an HTTP response."
        if head::count(headers, "Sec-WebSocket-Accept") > 1 {
            return Err(Error::DuplicateHeader("Sec-WebSocket-Accept"));
        }
        // ANCHOR: client_accept_check
        // RFC 6455 §4.1: "If the response lacks a |Sec-WebSocket-Accept|
        // header field or the |Sec-WebSocket-Accept| contains a value other
        // than the base64-encoded SHA-1 of the concatenation of the
        // |Sec-WebSocket-Key| [...] with the string "258EAFA5-E914-47DA-95CA-
        // C5AB0DC85B11" but ignoring any leading and trailing whitespace, the
        // client MUST _Fail the WebSocket Connection_."
        if head::find(headers, "Sec-WebSocket-Accept") != Some(&accept_key(self.key.as_bytes())) {
            return Err(Error::InvalidAccept);
        }
        // ANCHOR_END: client_accept_check
        let protocol = selected_protocol(headers, &self.protocols)?;
        let extensions = accepted_extensions(headers, &self.extensions)?;
        response.protocol = protocol;
        response.extensions = extensions;
        Ok(())
    }
}

/// A parsed HTTP response head: the server's answer to the opening
/// handshake (RFC 6455 §4.1, §4.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    reason: String,
    version: u8,
    headers: Vec<Header>,
    protocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
}

impl Response {
    /// Parses a response head from the start of `buf`, incrementally, with
    /// no WebSocket checks ([`ClientRequest::parse_response`] does those).
    ///
    /// `Ok(None)`: not complete yet. `Ok(Some((response, consumed)))`:
    /// `consumed` is the length of the head including its final empty line.
    ///
    /// # Errors
    ///
    /// [`Error::HeadersTooLarge`] or [`Error::TooManyHeaders`] past `limits`;
    /// [`Error::Malformed`] if the bytes are not an HTTP/1.x response head.
    pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<(Self, usize)>, Error> {
        parse_head(buf, limits, |window, slots| {
            let mut parsed = httparse::Response::new(slots);
            let httparse::Status::Complete(consumed) = parsed.parse(window)? else {
                return Ok(httparse::Status::Partial);
            };
            let (Some(status), Some(version)) = (parsed.code, parsed.version) else {
                return Err(Error::Malformed("incomplete status line"));
            };
            let response = Self {
                status,
                reason: parsed.reason.unwrap_or_default().to_owned(),
                version,
                headers: collect(parsed.headers),
                protocol: None,
                extensions: Vec::new(),
            };
            Ok(httparse::Status::Complete((consumed, response)))
        })
    }

    /// The status code (101 after a successful handshake).
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as sent.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    head::accessors!();

    /// The subprotocol the server selected (the _Subprotocol In Use_), after
    /// [`ClientRequest::parse_response`].
    #[must_use]
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The extensions the server accepted, in order (the _Extensions In
    /// Use_), after [`ClientRequest::parse_response`].
    #[must_use]
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }
}

#[cfg(test)]
mod tests;
