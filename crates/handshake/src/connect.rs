//! The server role of a WebSocket over HTTP/2 (RFC 8441): validate an
//! extended CONNECT request (§4, §5), build the header fields of the 200
//! answer.
//!
//! HTTP/2 itself (frames, HPACK, flow control, `SETTINGS`) belongs to an
//! HTTP/2 library; what reaches this module is the decoded request: its
//! pseudo-headers and header fields. What comes out is a
//! [`ConnectUpgrade`], the same negotiation inputs as an HTTP/1.1
//! [`Upgrade`](crate::Upgrade) but without `Sec-WebSocket-Key` (§5: "do not
//! do the processing of the Sec-WebSocket-Key and Sec-WebSocket-Accept
//! header fields"). After the 2xx answer the stream's DATA carries the
//! WebSocket frames of RFC 6455 unchanged.
//!
//! Before sending such a request a client must have received
//! `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` ([`SETTINGS_ENABLE_CONNECT_PROTOCOL`],
//! RFC 8441 §3): that is the HTTP/2 library's job.

use crate::error::Error;
use crate::head::{self, Header};
use crate::header::ExtensionOffer;
use crate::negotiate::{is_version_13, offered_extensions, offered_protocols};

/// The identifier of the HTTP/2 setting a server sends with value 1 to allow
/// extended CONNECT (RFC 8441 §3, §9.1).
pub const SETTINGS_ENABLE_CONNECT_PROTOCOL: u16 = 0x8;

/// Header fields that are about one HTTP/1.1 connection and make an HTTP/2
/// request malformed. RFC 8441 §5: "[RFC6455] requires the use of
/// Connection and Upgrade header fields that are not part of HTTP/2. They
/// MUST NOT be included in the CONNECT request". RFC 7540 §8.1.2.2 adds the
/// others.
pub(crate) const CONNECTION_SPECIFIC: [&str; 5] = [
    "Connection",
    "Upgrade",
    "Keep-Alive",
    "Proxy-Connection",
    "Transfer-Encoding",
];

/// A decoded HTTP/2 request: its pseudo-headers and header fields, as an
/// HTTP/2 library hands them over. A pseudo-header the request did not
/// carry is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectRequest {
    /// `:method`: `CONNECT` for a WebSocket (RFC 8441 §4).
    pub method: String,
    /// `:protocol`: `websocket` for a WebSocket (RFC 8441 §5).
    pub protocol: Option<String>,
    /// `:scheme`: `http` for `ws://`, `https` for `wss://` (RFC 8441 §5).
    pub scheme: Option<String>,
    /// `:authority`: what HTTP/1.1 sends as `Host` (RFC 8441 §5).
    pub authority: Option<String>,
    /// `:path`: the resource name, path and query (RFC 6455 §3).
    pub path: Option<String>,
    /// The regular header fields (`sec-websocket-version`, `origin`, …).
    pub headers: Vec<Header>,
}

impl ConnectRequest {
    /// Whether this request asks for a WebSocket: `:method` `CONNECT` with
    /// `:protocol` `websocket`. Other requests are plain HTTP/2 (a page,
    /// `/healthz`); these go through [`ConnectRequest::validate`].
    #[must_use]
    pub fn is_websocket(&self) -> bool {
        self.method == "CONNECT" && self.protocol.as_deref().is_some_and(is_websocket_token)
    }

    /// The path part of `:path`, without the query (`/` if there is none).
    #[must_use]
    pub fn path(&self) -> &str {
        let full = self.path.as_deref().unwrap_or("/");
        let path = full.split_once('?').map_or(full, |(p, _)| p);
        if path.is_empty() { "/" } else { path }
    }

    /// The first header field named `name` (case-insensitive), trimmed, if
    /// its value is UTF-8.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        head::find(&self.headers, name)
    }

    // ANCHOR: connect_validate
    /// Checks every rule of RFC 8441 §4 and §5 for a WebSocket request, and
    /// RFC 6455's rules for the header fields §5 keeps.
    ///
    /// # Errors
    ///
    /// The first rule broken, in this order: [`Error::NotConnect`],
    /// [`Error::NotWebSocketProtocol`], [`Error::MissingPseudoHeader`]
    /// (`:scheme`, `:path`, `:authority`), [`Error::BadScheme`],
    /// [`Error::BadRequestTarget`], [`Error::Malformed`] (an uppercase
    /// header name), [`Error::ConnectionSpecificHeader`],
    /// [`Error::UnsupportedWebSocketVersion`] (426),
    /// [`Error::InvalidProtocol`], [`Error::InvalidExtension`]. All but the
    /// 426 are answered with 400.
    pub fn validate(&self) -> Result<ConnectUpgrade, Error> {
        // RFC 8441 §4: "A new pseudo-header field :protocol MAY be included
        // on request HEADERS indicating the desired protocol to be spoken on
        // the tunnel created by CONNECT."
        if self.method != "CONNECT" {
            return Err(Error::NotConnect);
        }
        // RFC 8441 §5: "The :protocol pseudo-header field MUST be included
        // in the CONNECT request, and it MUST have a value of "websocket"".
        // Upgrade tokens compare case-insensitively (RFC 6455 §4.2.1 item 3).
        if !self.protocol.as_deref().is_some_and(is_websocket_token) {
            return Err(Error::NotWebSocketProtocol);
        }
        // RFC 8441 §4: "On requests that contain the :protocol pseudo-header
        // field, the :scheme and :path pseudo-header fields of the target
        // URI (see Section 5) MUST also be included."
        let scheme =
            present(self.scheme.as_deref()).ok_or(Error::MissingPseudoHeader(":scheme"))?;
        let path = present(self.path.as_deref()).ok_or(Error::MissingPseudoHeader(":path"))?;
        // RFC 8441 §5: "The Host information is conveyed as part of the
        // :authority pseudo-header field, which is required on every HTTP/2
        // transaction." §4: it names this server (RFC 7540 §8.1.2.3), not a
        // host to tunnel to: "the server MUST NOT create a tunnel to the host
        // indicated by the :authority". We only ever return it as the Host.
        let authority =
            present(self.authority.as_deref()).ok_or(Error::MissingPseudoHeader(":authority"))?;
        // RFC 8441 §5: "The scheme of the target URI [...] MUST be "https"
        // for "wss"-schemed WebSockets and "http" for "ws"-schemed
        // WebSockets."
        let secure = match scheme {
            "https" => true,
            "http" => false,
            _ => return Err(Error::BadScheme),
        };
        // RFC 8441 §5: "The remainder of the target URI is the same as the
        // WebSocket URI": a resource name (RFC 6455 §3), which "MUST NOT"
        // carry a fragment.
        if !path.starts_with('/') || path.contains('#') {
            return Err(Error::BadRequestTarget);
        }
        // RFC 7540 §8.1.2: "A request or response containing uppercase header
        // field names MUST be treated as malformed".
        if self
            .headers
            .iter()
            .any(|h| h.name.bytes().any(|b| b.is_ascii_uppercase()))
        {
            return Err(Error::Malformed(
                "uppercase letters in an HTTP/2 header field name",
            ));
        }
        if let Some(name) = CONNECTION_SPECIFIC
            .into_iter()
            .find(|name| head::count(&self.headers, name) > 0)
        {
            return Err(Error::ConnectionSpecificHeader(name));
        }
        // RFC 8441 §5: "The Origin [RFC6454], Sec-WebSocket-Version,
        // Sec-WebSocket-Protocol, and Sec-WebSocket-Extensions header fields
        // are used in the CONNECT request and response header fields as
        // defined in [RFC6455]." RFC 6455 §4.2.2 /version/: 426 otherwise.
        if !is_version_13(&self.headers) {
            return Err(Error::UnsupportedWebSocketVersion);
        }
        let protocols = offered_protocols(&self.headers)?;
        let extensions = offered_extensions(&self.headers)?;
        Ok(ConnectUpgrade {
            secure,
            authority: authority.to_owned(),
            path: path.to_owned(),
            origin: self.header("Origin").map(str::to_owned),
            protocols,
            extensions,
        })
    }
    // ANCHOR_END: connect_validate
}

/// `s` if it is present and not empty.
fn present(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// Whether `:protocol` names the WebSocket Protocol.
fn is_websocket_token(protocol: &str) -> bool {
    protocol.eq_ignore_ascii_case("websocket")
}

/// A validated extended CONNECT request: what the server needs to answer it
/// (RFC 8441 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectUpgrade {
    /// `:scheme` was `https`: a `wss://` WebSocket. A server may refuse a
    /// scheme that does not match how the connection was reached.
    pub secure: bool,
    /// `:authority` as sent (the HTTP/1.1 `Host`).
    pub authority: String,
    /// `:path` as sent: path and query.
    pub path: String,
    /// `Origin`, if sent (RFC 6455 §4.2.1 item 7, §10.2).
    pub origin: Option<String>,
    /// Subprotocols offered, in the client's order of preference.
    pub protocols: Vec<String>,
    /// Extensions offered, in the client's order of preference.
    pub extensions: Vec<ExtensionOffer>,
}

// ANCHOR: connect_response
/// The header fields of the server's answer to an extended CONNECT, whose
/// status is 200 (RFC 8441 §5: "Once the server returns a 2xx status code
/// (e.g., 200) to the client", the stream carries WebSocket frames).
///
/// There is no `Sec-WebSocket-Accept` (§5) and no `Upgrade` or
/// `Connection`. As for [`accept_response`](crate::accept_response),
/// `protocol` must be one of [`ConnectUpgrade::protocols`] and `extensions`
/// must name offered extensions only. Names come out in lowercase, as
/// HTTP/2 requires (RFC 7540 §8.1.2); extra lines whose name is not a token
/// or is connection-specific, or whose value has CR, LF or NUL, are left
/// out.
#[must_use]
pub fn connect_response(
    protocol: Option<&str>,
    extensions: Option<&str>,
    extra_headers: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |name: &str, value: &str| {
        let connection_specific = CONNECTION_SPECIFIC
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name));
        if head::is_safe_line(name, value) && !connection_specific {
            out.push((name.to_ascii_lowercase(), value.to_owned()));
        }
    };
    // RFC 6455 §4.2.2 /subprotocol/: no header field if none was selected.
    if let Some(protocol) = protocol {
        push("sec-websocket-protocol", protocol);
    }
    if let Some(extensions) = extensions {
        push("sec-websocket-extensions", extensions);
    }
    for (name, value) in extra_headers {
        push(name, value);
    }
    out
}
// ANCHOR_END: connect_response

#[cfg(test)]
mod tests;
