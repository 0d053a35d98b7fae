//! The server role: read the client's opening handshake (RFC 6455 §4.2.1),
//! answer it (§4.2.2).
//!
//! Call order: feed the bytes read so far to [`Request::parse`] until it
//! returns `Some`; route on [`Request::path`] (plain HTTP when
//! [`Request::is_upgrade`] is false); [`Request::validate`]; send either
//! [`accept_response`] or the error's [`Error::to_response`]; hand
//! `buf[consumed..]` to the frame layer.

use crate::error::Error;
use crate::head::{self, Header};
use crate::header::ExtensionOffer;
use crate::key::{accept_key, is_valid_key};
use crate::limits::Limits;
use crate::negotiate::{is_version_13, offered_extensions, offered_protocols};
use crate::parse::{collect, parse_head};

/// A parsed HTTP request head: the client's opening handshake (RFC 6455
/// §4.2.1). Nothing is validated beyond the HTTP/1.x
/// grammar; [`Request::validate`] checks the WebSocket rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    target: String,
    version: u8,
    headers: Vec<Header>,
}

impl Request {
    /// Parses a request head from the start of `buf`, incrementally.
    ///
    /// `Ok(None)`: the head is not complete yet; call again with more bytes.
    /// `Ok(Some((request, consumed)))`: `consumed` is the length of the head
    /// including its final empty line; `buf[consumed..]` already belongs to
    /// the WebSocket stream.
    ///
    /// At most `limits.max_header_bytes + 1` bytes are examined per call.
    ///
    /// # Errors
    ///
    /// [`Error::HeadersTooLarge`] (431) if the head does not end within
    /// `limits.max_header_bytes`; [`Error::TooManyHeaders`] (431) for more
    /// than `limits.max_headers` header lines; [`Error::Malformed`] (400) if
    /// the bytes are not an HTTP/1.x request head.
    pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<(Self, usize)>, Error> {
        parse_head(buf, limits, |window, slots| {
            let mut parsed = httparse::Request::new(slots);
            let httparse::Status::Complete(consumed) = parsed.parse(window)? else {
                return Ok(httparse::Status::Partial);
            };
            let (Some(method), Some(target), Some(version)) =
                (parsed.method, parsed.path, parsed.version)
            else {
                return Err(Error::Malformed("incomplete request line"));
            };
            let request = Self {
                method: method.to_owned(),
                target: target.to_owned(),
                version,
                headers: collect(parsed.headers),
            };
            Ok(httparse::Status::Complete((consumed, request)))
        })
    }

    /// A request head that an HTTP library has already parsed (hyper, for
    /// example), to be checked with [`Request::validate`] by the same rules
    /// as one read by [`Request::parse`]. `version` is the HTTP minor
    /// version: `1` for HTTP/1.1.
    #[must_use]
    pub fn new(method: &str, target: &str, version: u8, headers: Vec<Header>) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            version,
            headers,
        }
    }

    /// The method, as sent (methods are case-sensitive).
    #[must_use]
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request-target as sent: usually path and query (`/chat?x=1`).
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path part of the target, without the query; for an absolute-form
    /// target (`http://host/p`), the path of that URI (`/` if empty).
    #[must_use]
    pub fn path(&self) -> &str {
        let path = self
            .origin_form()
            .split_once('?')
            .map_or(self.origin_form(), |(p, _)| p);
        if path.is_empty() { "/" } else { path }
    }

    /// The query part of the target (after the first `?`), if there is a `?`.
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.origin_form().split_once('?').map(|(_, q)| q)
    }

    head::accessors!();

    /// Whether this request asks for a WebSocket: its `Upgrade` header has
    /// the token `websocket`. Requests without it (`GET /healthz`) are plain
    /// HTTP; requests with it go through [`Request::validate`].
    #[must_use]
    pub fn is_upgrade(&self) -> bool {
        head::has_token(&self.headers, "Upgrade", "websocket")
    }

    // ANCHOR: validate
    /// Checks every rule of RFC 6455 §4.2.1 and extracts the handshake.
    ///
    /// # Errors
    ///
    /// The first rule broken, in this order: [`Error::BadMethod`],
    /// [`Error::BadVersion`], [`Error::BadRequestTarget`],
    /// [`Error::MissingHost`] or [`Error::DuplicateHeader`],
    /// [`Error::NotUpgrade`], [`Error::MissingConnectionUpgrade`],
    /// [`Error::UnsupportedWebSocketVersion`] (426), [`Error::MissingKey`],
    /// [`Error::DuplicateKey`], [`Error::InvalidKey`],
    /// [`Error::InvalidProtocol`], [`Error::InvalidExtension`]. All but the
    /// 426 are answered with 400.
    pub fn validate(&self) -> Result<Upgrade, Error> {
        // RFC 6455 §4.2.1 item 1: "An HTTP/1.1 or higher GET request"
        if self.method != "GET" {
            return Err(Error::BadMethod);
        }
        if self.version < 1 {
            return Err(Error::BadVersion);
        }
        // RFC 6455 §4.2.1 item 1: "including a "Request-URI" [RFC2616] that
        // should be interpreted as a /resource name/ defined in Section 3 (or
        // an absolute HTTP/HTTPS URI containing the /resource name/)."
        // RFC 6455 §3: "Fragment identifiers are meaningless in the context of
        // WebSocket URIs and MUST NOT be used on these URIs."
        let resource_name = self.target.starts_with('/') || self.absolute_path().is_some();
        if !resource_name || self.target.contains('#') {
            return Err(Error::BadRequestTarget);
        }
        // RFC 6455 §4.2.1 item 2: "A |Host| header field containing the
        // server's authority." RFC 7230 §5.4: a request with more than one
        // Host "MUST" get 400.
        if head::count(&self.headers, "Host") > 1 {
            return Err(Error::DuplicateHeader("Host"));
        }
        let host = self
            .header("Host")
            .filter(|h| !h.is_empty())
            .ok_or(Error::MissingHost)?;
        // RFC 6455 §4.2.1 item 3: "An |Upgrade| header field containing the
        // value "websocket", treated as an ASCII case-insensitive value."
        if !self.is_upgrade() {
            return Err(Error::NotUpgrade);
        }
        // RFC 6455 §4.2.1 item 4: "A |Connection| header field that includes
        // the token "Upgrade", treated as an ASCII case-insensitive value."
        if !head::has_token(&self.headers, "Connection", "Upgrade") {
            return Err(Error::MissingConnectionUpgrade);
        }
        // RFC 6455 §4.2.1 item 6: "A |Sec-WebSocket-Version| header field,
        // with a value of 13." §4.2.2: "If this version does not match a
        // version understood by the server, the server MUST abort the
        // WebSocket handshake [...] (such as 426 Upgrade Required)".
        if !is_version_13(&self.headers) {
            return Err(Error::UnsupportedWebSocketVersion);
        }
        // RFC 6455 §11.3.1: "The |Sec-WebSocket-Key| header field MUST NOT
        // appear more than once in an HTTP request."
        match head::count(&self.headers, "Sec-WebSocket-Key") {
            0 => return Err(Error::MissingKey),
            1 => {}
            _ => return Err(Error::DuplicateKey),
        }
        // RFC 6455 §4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a
        // base64-encoded [...] value that, when decoded, is 16 bytes in
        // length."
        let key = self
            .header("Sec-WebSocket-Key")
            .filter(|k| is_valid_key(k))
            .ok_or(Error::InvalidKey)?;
        // RFC 6455 §4.2.1 items 8 and 9: subprotocols and extensions.
        let protocols = offered_protocols(&self.headers)?;
        let extensions = offered_extensions(&self.headers)?;
        Ok(Upgrade {
            key: key.to_owned(),
            host: host.to_owned(),
            origin: self.header("Origin").map(str::to_owned),
            protocols,
            extensions,
        })
    }
    // ANCHOR_END: validate

    /// The target without `scheme://authority` if it is in absolute form.
    fn origin_form(&self) -> &str {
        self.absolute_path().unwrap_or(&self.target)
    }

    /// For an absolute-form target (`http://host/p?q`), what follows the
    /// authority (`/p?q`, possibly empty).
    fn absolute_path(&self) -> Option<&str> {
        let scheme = ["http://", "https://", "ws://", "wss://"]
            .into_iter()
            .find(|scheme| {
                self.target
                    .as_bytes()
                    .get(..scheme.len())
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme.as_bytes()))
            })?;
        let rest = &self.target[scheme.len()..];
        let path_start = rest.find(['/', '?']).unwrap_or(rest.len());
        Some(&rest[path_start..])
    }
}

/// A validated opening handshake: what the server needs to answer it
/// (RFC 6455 §4.2.1, §4.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// `Sec-WebSocket-Key` as sent (base64 of 16 bytes, trimmed).
    pub key: String,
    /// `Host` as sent.
    pub host: String,
    /// `Origin`, if sent (browsers always send it, RFC 6455 §4.2.1 item 7).
    pub origin: Option<String>,
    /// Subprotocols offered, in the client's order of preference.
    pub protocols: Vec<String>,
    /// Extensions offered, in the client's order of preference.
    pub extensions: Vec<ExtensionOffer>,
}

impl Upgrade {
    /// The `Sec-WebSocket-Accept` value for this handshake's key.
    #[must_use]
    pub fn accept_key(&self) -> String {
        accept_key(self.key.as_bytes())
    }
}

// ANCHOR: accept_response
/// Builds the server's 101 answer (RFC 6455 §4.2.2 item 5).
///
/// `protocol` must be one of `upgrade.protocols` (or `None`) and
/// `extensions` must only name offered extensions: RFC 6455 §4.2.2 leaves
/// the choice to the server, so it is not checked here. Header lines whose
/// name is not a token, or whose value contains CR, LF or NUL, are left out
/// rather than allowed to break the response.
#[must_use]
pub fn accept_response(
    upgrade: &Upgrade,
    protocol: Option<&str>,
    extensions: Option<&str>,
    extra_headers: &[(String, String)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    // RFC 6455 §4.2.2 item 5.1-5.4: the 101 status line, "Upgrade: websocket",
    // "Connection: Upgrade" and the |Sec-WebSocket-Accept| field.
    out.extend_from_slice(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
    );
    head::push_header(&mut out, "Sec-WebSocket-Accept", &upgrade.accept_key());
    // RFC 6455 §4.2.2 /subprotocol/: "if the server does not wish to agree to
    // one of the suggested subprotocols, it MUST NOT send back a
    // |Sec-WebSocket-Protocol| header field in its response".
    if let Some(protocol) = protocol {
        head::push_header(&mut out, "Sec-WebSocket-Protocol", protocol);
    }
    if let Some(extensions) = extensions {
        head::push_header(&mut out, "Sec-WebSocket-Extensions", extensions);
    }
    for (name, value) in extra_headers {
        head::push_header(&mut out, name, value);
    }
    out.extend_from_slice(b"\r\n");
    out
}
// ANCHOR_END: accept_response

#[cfg(test)]
mod tests;
