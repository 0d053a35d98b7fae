//! The crate's one error type, and how each error maps to an HTTP answer.

use core::fmt;

use crate::head::Header;
use crate::response::http_response;

/// Why a handshake failed. Each variant names the rule that was broken.
///
/// On the server, [`Error::status`] is the HTTP status to answer with and
/// [`Error::to_response`] the complete answer. On the client, every error
/// means _Fail the WebSocket Connection_ (RFC 6455 §4.1); [`Error::Status`]
/// keeps a non-101 answer (401, 3xx with `Location`, …) for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The HTTP head broke the HTTP/1.1 grammar (the detail says where). 400.
    Malformed(&'static str),
    /// The HTTP head is larger than [`crate::Limits::max_header_bytes`]. 431.
    HeadersTooLarge,
    /// The HTTP head has more lines than [`crate::Limits::max_headers`]. 431.
    TooManyHeaders,
    /// The request method is not `GET` (RFC 6455 §4.2.1 item 1). 400.
    BadMethod,
    /// The HTTP version is older than 1.1 (§4.2.1 item 1, §4.1). 400.
    BadVersion,
    /// The request-target is neither a resource name nor an absolute
    /// http/https/ws/wss URI, or carries a fragment (§3, §4.2.1 item 1). 400.
    BadRequestTarget,
    /// No `Host` header, or an empty one (§4.2.1 item 2). 400.
    MissingHost,
    /// A header that may appear only once appeared more often (§11.3, and
    /// RFC 7230 §5.4 for `Host`). 400.
    DuplicateHeader(&'static str),
    /// `Upgrade` is missing or lacks `websocket` (§4.2.1 item 3, §4.1). 400.
    NotUpgrade,
    /// `Connection` is missing or lacks the token `Upgrade` (§4.2.1 item 4,
    /// §4.1). 400.
    MissingConnectionUpgrade,
    /// `Sec-WebSocket-Version` is missing or not `13` (§4.2.1 item 6,
    /// §4.2.2 /version/). 426, with `Sec-WebSocket-Version: 13`.
    UnsupportedWebSocketVersion,
    /// No `Sec-WebSocket-Key` (§4.2.1 item 5). 400.
    MissingKey,
    /// `Sec-WebSocket-Key` appears more than once (§11.3.1). 400.
    DuplicateKey,
    /// `Sec-WebSocket-Key` is not base64 of exactly 16 bytes (§4.2.1 item 5). 400.
    InvalidKey,
    /// `Sec-WebSocket-Protocol` breaks its grammar (§4.1 item 10, §4.3). 400.
    InvalidProtocol(&'static str),
    /// `Sec-WebSocket-Extensions` breaks the §9.1 grammar. 400.
    InvalidExtension(&'static str),
    /// The URL is not a valid ws/wss URI (§3); the detail says why.
    BadUrl(&'static str),
    /// The server answered with something other than 101, or over HTTP/2
    /// other than a 2xx (RFC 8441 §5); §4.1: "the client handles the
    /// response per HTTP". Everything received is kept.
    Status {
        /// The status code, e.g. 401 or 302.
        status: u16,
        /// The reason phrase as sent.
        reason: String,
        /// The header lines as sent, e.g. `WWW-Authenticate` or `Location`.
        headers: Vec<Header>,
        /// The body bytes that were already in the buffer (at most
        /// `Content-Length` of them, when that header is present).
        body: Vec<u8>,
    },
    /// `Sec-WebSocket-Accept` is missing or is not the hash of our key (§4.1
    /// validation item 4).
    InvalidAccept,
    /// The server selected a subprotocol we did not offer, or more than one
    /// (§4.1 validation item 6, §4.2.2).
    UnexpectedProtocol,
    /// The server accepted an extension we did not offer (§4.1 validation
    /// item 5).
    UnexpectedExtension,
    /// An HTTP/2 WebSocket request whose `:method` is not `CONNECT`
    /// (RFC 8441 §4, §5). 400.
    NotConnect,
    /// An HTTP/2 `CONNECT` request without `:protocol`, or whose `:protocol`
    /// is not `websocket` (RFC 8441 §5). 400.
    NotWebSocketProtocol,
    /// A pseudo-header an extended CONNECT request must carry is missing or
    /// empty: `:scheme`, `:path` (RFC 8441 §4) or `:authority` (§5). 400.
    MissingPseudoHeader(&'static str),
    /// `:scheme` is neither `http` (for `ws`) nor `https` (for `wss`)
    /// (RFC 8441 §5). 400.
    BadScheme,
    /// A connection-specific header in an HTTP/2 request: `Connection` and
    /// `Upgrade` "MUST NOT be included" (RFC 8441 §5), nor `Keep-Alive`,
    /// `Proxy-Connection` or `Transfer-Encoding` (RFC 7540 §8.1.2.2). 400.
    ConnectionSpecificHeader(&'static str),
}

impl Error {
    // ANCHOR: error_status
    /// The HTTP status a server answers this error with: 400, 426 or 431.
    ///
    /// For [`Error::Status`] it is the status the server sent. The remaining
    /// client-side errors are never sent anywhere; they report 400.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::HeadersTooLarge | Self::TooManyHeaders => 431,
            Self::UnsupportedWebSocketVersion => 426,
            Self::Status { status, .. } => *status,
            _ => 400,
        }
    }
    // ANCHOR_END: error_status

    // ANCHOR: error_to_response
    /// The complete HTTP response a server sends for this error: the status
    /// line, `Content-Length`, `Connection: close`, for 426 also
    /// `Sec-WebSocket-Version: 13`, and this error's message as a plain-text
    /// body.
    #[must_use]
    pub fn to_response(&self) -> Vec<u8> {
        let body = format!("{self}\n");
        http_response(self.status(), &self.response_headers(), body.as_bytes())
    }
    // ANCHOR_END: error_to_response

    /// The header fields of the answer to this error, for a server that
    /// writes its answers itself (hyper, HTTP/2): `Content-Type` of the
    /// plain-text body (`format!("{error}\n")`) and, for 426,
    /// `Sec-WebSocket-Version: 13`.
    #[must_use]
    pub fn response_headers(&self) -> Vec<(&'static str, &'static str)> {
        let mut headers = vec![("Content-Type", "text/plain; charset=utf-8")];
        if let Self::UnsupportedWebSocketVersion = self {
            // RFC 6455 §4.2.2 /version/: "send an appropriate HTTP error code
            // (such as 426 Upgrade Required) and a |Sec-WebSocket-Version|
            // header field indicating the version(s) the server is capable of
            // understanding." RFC 8441 §5 keeps this header's meaning.
            headers.push(("Sec-WebSocket-Version", "13"));
        }
        headers
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(detail) => write!(f, "malformed HTTP request: {detail}"),
            Self::HeadersTooLarge => f.write_str("HTTP header block too large"),
            Self::TooManyHeaders => f.write_str("too many HTTP header fields"),
            Self::BadMethod => f.write_str("WebSocket upgrade requires method GET"),
            Self::BadVersion => f.write_str("WebSocket upgrade requires HTTP/1.1 or later"),
            Self::BadRequestTarget => f.write_str("invalid request target"),
            Self::MissingHost => f.write_str("missing Host header"),
            Self::DuplicateHeader(name) => write!(f, "duplicate {name} header"),
            Self::NotUpgrade => f.write_str("Upgrade header must be \"websocket\""),
            Self::MissingConnectionUpgrade => {
                f.write_str("Connection header must include \"Upgrade\"")
            }
            Self::UnsupportedWebSocketVersion => {
                f.write_str("unsupported Sec-WebSocket-Version (only 13 is supported)")
            }
            Self::MissingKey => f.write_str("missing Sec-WebSocket-Key header"),
            Self::DuplicateKey => f.write_str("Sec-WebSocket-Key header sent more than once"),
            Self::InvalidKey => f.write_str("Sec-WebSocket-Key must be base64 of exactly 16 bytes"),
            Self::InvalidProtocol(detail) => {
                write!(f, "invalid Sec-WebSocket-Protocol header: {detail}")
            }
            Self::InvalidExtension(detail) => {
                write!(f, "invalid Sec-WebSocket-Extensions header: {detail}")
            }
            Self::BadUrl(detail) => write!(f, "invalid WebSocket URL: {detail}"),
            Self::Status { status, reason, .. } => {
                write!(
                    f,
                    "server answered {status} {reason} instead of accepting the WebSocket"
                )
            }
            Self::InvalidAccept => f.write_str("missing or wrong Sec-WebSocket-Accept"),
            Self::UnexpectedProtocol => {
                f.write_str("server selected a subprotocol that was not offered")
            }
            Self::UnexpectedExtension => {
                f.write_str("server accepted an extension that was not offered")
            }
            Self::NotConnect => f.write_str("WebSocket over HTTP/2 requires method CONNECT"),
            Self::NotWebSocketProtocol => {
                f.write_str("WebSocket over HTTP/2 requires :protocol \"websocket\"")
            }
            Self::MissingPseudoHeader(name) => write!(f, "missing {name} pseudo-header"),
            Self::BadScheme => f.write_str(":scheme must be \"http\" or \"https\""),
            Self::ConnectionSpecificHeader(name) => {
                write!(f, "{name} header is not allowed in an HTTP/2 request")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<httparse::Error> for Error {
    fn from(e: httparse::Error) -> Self {
        match e {
            httparse::Error::TooManyHeaders => Self::TooManyHeaders,
            httparse::Error::HeaderName => Self::Malformed("invalid header name"),
            httparse::Error::HeaderValue => Self::Malformed("invalid header value"),
            httparse::Error::NewLine => Self::Malformed("invalid line ending"),
            httparse::Error::Status => Self::Malformed("invalid status"),
            httparse::Error::Token => Self::Malformed("invalid token"),
            httparse::Error::Version => Self::Malformed("invalid HTTP version"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    /// Every server-side error, the status it is answered with, and a
    /// piece of the plain-text reason in the body.
    fn server_errors() -> Vec<(Error, u16, &'static str)> {
        vec![
            (
                Error::Malformed("invalid token"),
                400,
                "malformed HTTP request: invalid token",
            ),
            (Error::HeadersTooLarge, 431, "header block too large"),
            (Error::TooManyHeaders, 431, "too many HTTP header fields"),
            (Error::BadMethod, 400, "method GET"),
            (Error::BadVersion, 400, "HTTP/1.1 or later"),
            (Error::BadRequestTarget, 400, "invalid request target"),
            (Error::MissingHost, 400, "missing Host"),
            (Error::DuplicateHeader("Host"), 400, "duplicate Host header"),
            (Error::NotUpgrade, 400, "Upgrade header"),
            (Error::MissingConnectionUpgrade, 400, "Connection header"),
            (Error::UnsupportedWebSocketVersion, 426, "only 13"),
            (Error::MissingKey, 400, "missing Sec-WebSocket-Key"),
            (Error::DuplicateKey, 400, "more than once"),
            (Error::InvalidKey, 400, "exactly 16 bytes"),
            (
                Error::InvalidProtocol("empty token"),
                400,
                "Sec-WebSocket-Protocol header: empty token",
            ),
            (
                Error::InvalidExtension("bad param"),
                400,
                "Sec-WebSocket-Extensions header: bad param",
            ),
        ]
    }

    // RFC 6455 §4.2.1: a bad upgrade is answered with an HTTP error; §4.2.2
    // /version/: 426 carries the versions the server speaks.
    #[test]
    fn each_refusal_is_answered_with_its_status_and_reason() {
        for (error, status, reason) in server_errors() {
            assert_eq!(error.status(), status, "{error:?}");
            let response = String::from_utf8(error.to_response()).unwrap();
            assert!(
                response.starts_with(&format!("HTTP/1.1 {status} ")),
                "{error:?}: {response}"
            );
            assert!(response.contains(reason), "{error:?}: {response}");
            assert!(response.ends_with(&format!("{error}\n")), "{response}");
            assert_eq!(
                response.contains("Sec-WebSocket-Version: 13\r\n"),
                status == 426,
                "{response}"
            );
        }
    }

    #[test]
    fn client_errors_say_what_the_server_did() {
        let status = Error::Status {
            status: 401,
            reason: "Unauthorized".to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        assert_eq!(status.status(), 401);
        assert_eq!(
            status.to_string(),
            "server answered 401 Unauthorized instead of accepting the WebSocket"
        );
        for (error, text) in [
            (Error::BadUrl("no host"), "invalid WebSocket URL: no host"),
            (Error::InvalidAccept, "Sec-WebSocket-Accept"),
            (
                Error::UnexpectedProtocol,
                "subprotocol that was not offered",
            ),
            (Error::UnexpectedExtension, "extension that was not offered"),
        ] {
            assert_eq!(error.status(), 400, "{error:?}");
            assert!(error.to_string().contains(text), "{error:?}: {error}");
        }
    }

    #[test]
    fn httparse_errors_become_malformed_requests() {
        use httparse::Error as H;
        assert_eq!(Error::from(H::TooManyHeaders), Error::TooManyHeaders);
        for (e, detail) in [
            (H::HeaderName, "invalid header name"),
            (H::HeaderValue, "invalid header value"),
            (H::NewLine, "invalid line ending"),
            (H::Status, "invalid status"),
            (H::Token, "invalid token"),
            (H::Version, "invalid HTTP version"),
        ] {
            assert_eq!(Error::from(e), Error::Malformed(detail));
        }
    }
}
