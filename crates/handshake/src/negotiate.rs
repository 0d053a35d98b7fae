//! Reading the subprotocol and extension negotiation out of header lines,
//! the same for both HTTP versions: RFC 8441 §5 says `Sec-WebSocket-Version`,
//! `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` "are used in the
//! CONNECT request and response header fields as defined in [RFC6455]", so
//! the HTTP/1.1 handshake (`server`, `client`) and the HTTP/2 one
//! (`connect`, `connect_client`) share these checks instead of repeating
//! them.

use crate::error::Error;
use crate::head::{self, Header};
use crate::header::{ExtensionOffer, parse_extensions, parse_protocols};

/// Every `name` line joined with `, `, or `None` without such a line.
fn combined(headers: &[Header], name: &str) -> Result<Option<String>, Error> {
    let mut lines = headers.iter().filter(|h| h.is(name)).peekable();
    if lines.peek().is_none() {
        return Ok(None);
    }
    let values = lines
        .map(|h| {
            h.value_str()
                .ok_or(Error::Malformed("header value is not UTF-8"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(values.join(", ")))
}

/// RFC 6455 §4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a
/// value of 13", exactly once.
pub(crate) fn is_version_13(headers: &[Header]) -> bool {
    head::count(headers, "Sec-WebSocket-Version") == 1
        && head::find(headers, "Sec-WebSocket-Version") == Some("13")
}

/// The subprotocols a client offers, in its order of preference.
pub(crate) fn offered_protocols(headers: &[Header]) -> Result<Vec<String>, Error> {
    // RFC 6455 §4.2.1 item 8, §11.3.4: the field "MAY appear multiple
    // times in an HTTP request (which is logically the same as a single
    // |Sec-WebSocket-Protocol| header field that contains all values)."
    match combined(headers, "Sec-WebSocket-Protocol")? {
        Some(value) => parse_protocols(&value),
        None => Ok(Vec::new()),
    }
}

/// The extensions a client offers, in its order of preference.
pub(crate) fn offered_extensions(headers: &[Header]) -> Result<Vec<ExtensionOffer>, Error> {
    // RFC 6455 §9.1: "If a value is received by either the client or the
    // server during negotiation that does not conform to the ABNF below,
    // the recipient of such malformed data MUST immediately _Fail the
    // WebSocket Connection_."
    match combined(headers, "Sec-WebSocket-Extensions")? {
        Some(value) => parse_extensions(&value),
        None => Ok(Vec::new()),
    }
}

/// The subprotocol a server's answer selects, checked against the offer.
pub(crate) fn selected_protocol(
    headers: &[Header],
    offered: &[String],
) -> Result<Option<String>, Error> {
    // RFC 6455 §11.3.4: "the |Sec-WebSocket-Protocol| header field MUST NOT
    // appear more than once in an HTTP response."
    if head::count(headers, "Sec-WebSocket-Protocol") > 1 {
        return Err(Error::DuplicateHeader("Sec-WebSocket-Protocol"));
    }
    match head::find(headers, "Sec-WebSocket-Protocol") {
        None => Ok(None),
        // RFC 6455 §4.2.2 /subprotocol/: "Either a single value [...] or
        // null." A list selects more than one.
        Some(p) if p.contains(',') => Err(Error::UnexpectedProtocol),
        // RFC 6455 §4.3: "Sec-WebSocket-Protocol-Server = token"; "The
        // empty string is not the same as the null value for these
        // purposes and is not a legal value for this field."
        Some(p) if !head::is_token(p) => Err(Error::InvalidProtocol(
            "selected subprotocol is not a token",
        )),
        // RFC 6455 §4.1: "If the response includes a
        // |Sec-WebSocket-Protocol| header field and this header field
        // indicates the use of a subprotocol that was not present in the
        // client's handshake [...], the client MUST _Fail the WebSocket
        // Connection_."
        Some(p) if !offered.iter().any(|o| o == p) => Err(Error::UnexpectedProtocol),
        Some(p) => Ok(Some(p.to_owned())),
    }
}

/// The extensions a server's answer accepts, checked against the offer.
pub(crate) fn accepted_extensions(
    headers: &[Header],
    offered: &[ExtensionOffer],
) -> Result<Vec<ExtensionOffer>, Error> {
    // RFC 6455 §11.3.2: "the |Sec-WebSocket-Extensions| header field MUST
    // NOT appear more than once in an HTTP response."
    if head::count(headers, "Sec-WebSocket-Extensions") > 1 {
        return Err(Error::DuplicateHeader("Sec-WebSocket-Extensions"));
    }
    let extensions = match head::find(headers, "Sec-WebSocket-Extensions") {
        None => Vec::new(),
        Some(value) => parse_extensions(value)?,
    };
    // RFC 6455 §4.1: "If the response includes a |Sec-WebSocket-Extensions|
    // header field and this header field indicates the use of an
    // extension that was not present in the client's handshake [...], the
    // client MUST _Fail the WebSocket Connection_."
    let was_offered = |name: &str| offered.iter().any(|o| o.name == name);
    if !extensions.iter().all(|e| was_offered(&e.name)) {
        return Err(Error::UnexpectedExtension);
    }
    Ok(extensions)
}
