//! The client role of a WebSocket over HTTP/2 (RFC 8441 §5): build the
//! extended CONNECT request, check the server's answer.
//!
//! Call order: [`Url::parse`]; [`ClientConnect::new`] plus builder calls;
//! hand [`ClientConnect::request`] to the HTTP/2 library (only once the
//! server has sent `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`, RFC 8441 §3);
//! pass the answer's status and header fields to
//! [`ClientConnect::check_response`]; the stream then carries frames.

use crate::connect::{CONNECTION_SPECIFIC, ConnectRequest};
use crate::error::Error;
use crate::head::{self, Header};
use crate::header::{ExtensionOffer, format_extensions};
use crate::negotiate::{accepted_extensions, selected_protocol};
use crate::response::reason_phrase;
use crate::url::Url;

/// The client's extended CONNECT request (RFC 8441 §5), built step by step.
///
/// ```
/// use ws_handshake::{ClientConnect, Url};
///
/// let url = Url::parse("wss://server.example.com/chat")?;
/// let client = ClientConnect::new(&url).protocol("chat").protocol("superchat");
/// let request = client.request();
/// assert_eq!(request.method, "CONNECT");
/// assert_eq!(request.protocol.as_deref(), Some("websocket"));
/// assert_eq!(request.scheme.as_deref(), Some("https"));
/// assert_eq!(request.path.as_deref(), Some("/chat"));
/// assert_eq!(request.header("sec-websocket-protocol"), Some("chat, superchat"));
///
/// // The server's 200 answer selects "chat".
/// let answer = [ws_handshake::Header::new("sec-websocket-protocol", "chat")];
/// let response = client.check_response(200, &answer)?;
/// assert_eq!(response.protocol(), Some("chat"));
/// # Ok::<(), ws_handshake::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConnect {
    secure: bool,
    authority: String,
    path: String,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Vec<(String, String)>,
}

impl ClientConnect {
    /// A request for `url`.
    #[must_use]
    pub fn new(url: &Url) -> Self {
        Self {
            secure: url.secure,
            authority: url.host_header(),
            path: url.resource.clone(),
            origin: None,
            protocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Sends `origin: o` (RFC 6455 §4.1 item 8, kept by RFC 8441 §5).
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

    /// Offers an extension, after those already offered.
    #[must_use]
    pub fn extension(mut self, e: impl Into<ExtensionOffer>) -> Self {
        self.extensions.push(e.into());
        self
    }

    /// Adds a header field, e.g. `authorization` or `cookie`.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
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

    // ANCHOR: connect_request
    /// The request to send: pseudo-headers and header fields (names in
    /// lowercase, RFC 7540 §8.1.2). Extra fields that are connection-specific
    /// (`Connection`, `Upgrade`: RFC 8441 §5 "MUST NOT be included"), that
    /// HTTP/2 replaces (`Host`, `Sec-WebSocket-Key`), or that would not
    /// survive on the wire (non-token name; CR, LF or NUL) are left out.
    #[must_use]
    pub fn request(&self) -> ConnectRequest {
        let mut headers = vec![Header::new("sec-websocket-version", "13")];
        if let Some(origin) = &self.origin {
            headers.push(Header::new("origin", origin));
        }
        if !self.protocols.is_empty() {
            headers.push(Header::new(
                "sec-websocket-protocol",
                &self.protocols.join(", "),
            ));
        }
        if !self.extensions.is_empty() {
            let value = format_extensions(&self.extensions);
            headers.push(Header::new("sec-websocket-extensions", &value));
        }
        let replaced = ["Host", "Sec-WebSocket-Key", "Sec-WebSocket-Version"];
        for (name, value) in &self.headers {
            let dropped = CONNECTION_SPECIFIC
                .iter()
                .chain(&replaced)
                .any(|n| n.eq_ignore_ascii_case(name));
            if !dropped && head::is_safe_line(name, value) {
                headers.push(Header::new(&name.to_ascii_lowercase(), value));
            }
        }
        ConnectRequest {
            // RFC 8441 §5: the CONNECT request "replaces the GET-based
            // request in [RFC6455]"; ":protocol [...] MUST have a value of
            // "websocket"".
            method: "CONNECT".to_owned(),
            protocol: Some("websocket".to_owned()),
            // RFC 8441 §5: ""https" for "wss"-schemed WebSockets and "http"
            // for "ws"-schemed WebSockets"; §4: :scheme and :path "MUST also
            // be included".
            scheme: Some(if self.secure { "https" } else { "http" }.to_owned()),
            authority: Some(self.authority.clone()),
            path: Some(self.path.clone()),
            headers,
        }
    }
    // ANCHOR_END: connect_request

    /// Checks the server's answer (its `:status` and header fields) against
    /// this request.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] for a status outside 2xx (RFC 8441 §5 opens the
    /// WebSocket on "a 2xx status code"), with the header fields and an
    /// empty body (the body is on the HTTP/2 stream); otherwise the first
    /// rule broken: [`Error::DuplicateHeader`], [`Error::InvalidProtocol`],
    /// [`Error::UnexpectedProtocol`], [`Error::InvalidExtension`],
    /// [`Error::UnexpectedExtension`].
    pub fn check_response(
        &self,
        status: u16,
        headers: &[Header],
    ) -> Result<ConnectResponse, Error> {
        if !(200..300).contains(&status) {
            return Err(Error::Status {
                status,
                reason: reason_phrase(status).to_owned(),
                headers: headers.to_vec(),
                body: Vec::new(),
            });
        }
        // RFC 8441 §5: subprotocol and extensions are negotiated "as defined
        // in [RFC6455]"; Sec-WebSocket-Accept is not processed at all.
        let protocol = selected_protocol(headers, &self.protocols)?;
        let extensions = accepted_extensions(headers, &self.extensions)?;
        Ok(ConnectResponse {
            status,
            headers: headers.to_vec(),
            protocol,
            extensions,
        })
    }
}

/// A server's accepted answer to an extended CONNECT (RFC 8441 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResponse {
    status: u16,
    headers: Vec<Header>,
    protocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
}

impl ConnectResponse {
    /// The status code (2xx).
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first header field named `name` (case-insensitive), trimmed.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        head::find(&self.headers, name)
    }

    /// All header fields in the order received.
    #[must_use]
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The subprotocol the server selected (the _Subprotocol In Use_).
    #[must_use]
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The extensions the server accepted, in order (the _Extensions In
    /// Use_).
    #[must_use]
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }
}
