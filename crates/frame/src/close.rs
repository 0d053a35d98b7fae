//! Close frames: status codes and reasons (RFC 6455 §5.5.1, §7.4).
//!
//! A Close frame's body is optional. If present, it starts with a two-byte
//! status code in network byte order, followed by a UTF-8 reason that is not
//! necessarily human readable. A one-byte body is impossible to interpret and
//! is a protocol error.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::Error;
use crate::utf8::validate;

/// A close status code (RFC 6455 §7.4).
///
/// Any `u16` is representable, so that a code received from the wire can be
/// reported even when it is one we do not know; [`CloseCode::is_valid_on_wire`]
/// says whether a peer may send it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
// ANCHOR: close_code_consts
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000 (RFC 6455 §7.4.1): the purpose for which the connection was established is fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001 (RFC 6455 §7.4.1): an endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002 (RFC 6455 §7.4.1): the peer broke the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003 (RFC 6455 §7.4.1): a type of data this endpoint cannot accept (e.g. binary only).
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005 (RFC 6455 §7.4.1): reserved; means "no status code was present". Never sent.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006 (RFC 6455 §7.4.1): reserved; means "closed without a Close frame". Never sent.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007 (RFC 6455 §7.4.1): data inconsistent with the message type (e.g. invalid UTF-8 text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008 (RFC 6455 §7.4.1): a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009 (RFC 6455 §7.4.1): a message too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    // ANCHOR_END: close_code_consts
    /// 1010 (RFC 6455 §7.4.1): the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011 (RFC 6455 §7.4.1): the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: bad gateway (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015 (RFC 6455 §7.4.1): reserved; TLS handshake failure. Never sent.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    // ANCHOR: close_codes
    /// Whether an endpoint may put this code in a Close frame.
    ///
    /// RFC 6455 §7.4.1 reserves 1004, and says 1005, 1006 and 1015 "MUST NOT
    /// be set as a status code in a Close control frame by an endpoint".
    /// §7.4.2: 0–999 are not used; 1000–2999 are reserved for the protocol
    /// and its extensions (only the registered ones are meaningful);
    /// 3000–3999 are for libraries and frameworks; 4000–4999 are private.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
    // ANCHOR_END: close_codes

    /// The name of the code in RFC 6455 §7.4.1 or the IANA registry.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "NORMAL",
            1001 => "GOING_AWAY",
            1002 => "PROTOCOL_ERROR",
            1003 => "UNSUPPORTED_DATA",
            1004 => "RESERVED",
            1005 => "NO_STATUS",
            1006 => "ABNORMAL",
            1007 => "INVALID_PAYLOAD",
            1008 => "POLICY_VIOLATION",
            1009 => "MESSAGE_TOO_BIG",
            1010 => "MANDATORY_EXTENSION",
            1011 => "INTERNAL_ERROR",
            1012 => "SERVICE_RESTART",
            1013 => "TRY_AGAIN_LATER",
            1014 => "BAD_GATEWAY",
            1015 => "TLS_HANDSHAKE",
            _ => return None,
        })
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{}({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

/// The body of a Close frame that carried a status code (RFC 6455 §5.5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, valid UTF-8 of at most 123 bytes.
    pub reason: String,
}

/// The longest reason that fits: a control frame payload is at most 125 bytes
/// (§5.5) and the code takes two.
pub const MAX_REASON_LEN: usize = 123;

impl CloseFrame {
    /// A close frame with a code and a reason (RFC 6455 §5.5.1).
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    // ANCHOR: close_parse
    /// Parses a received Close payload. `Ok(None)` is an empty body (no code).
    ///
    /// # Errors
    /// - [`Error::InvalidCloseBody`] for a one-byte body (§5.5.1: "the first
    ///   two bytes of the body MUST be a 2-byte unsigned integer").
    /// - [`Error::InvalidCloseCode`] for a code an endpoint must not send
    ///   (§7.4.1, §7.4.2).
    /// - [`Error::InvalidUtf8`] for a reason that is not UTF-8 (§5.5.1:
    ///   "the data ... MUST be UTF-8-encoded").
    pub fn parse(payload: &[u8]) -> Result<Option<Self>, Error> {
        let Some((code, reason)) = payload.split_first_chunk::<2>() else {
            // RFC 6455 §5.5.1: a body, if any, starts with a 2-byte code.
            return if payload.is_empty() {
                Ok(None)
            } else {
                Err(Error::InvalidCloseBody)
            };
        };
        let code = CloseCode(u16::from_be_bytes(*code));
        // RFC 6455 §7.4.1/§7.4.2: reserved and unassigned codes are errors.
        if !code.is_valid_on_wire() {
            return Err(Error::InvalidCloseCode(code.0));
        }
        let reason = validate(reason)?;
        Ok(Some(Self {
            code,
            reason: reason.to_owned(),
        }))
    }
    // ANCHOR_END: close_parse

    /// Encodes the body (RFC 6455 §5.5.1): code in network byte order, then the reason,
    /// truncated at a character boundary to [`MAX_REASON_LEN`] bytes.
    pub fn encode(&self) -> Bytes {
        let reason = truncate_utf8(&self.reason, MAX_REASON_LEN);
        let mut body = BytesMut::with_capacity(2 + reason.len());
        body.put_u16(self.code.0);
        body.put_slice(reason.as_bytes());
        body.freeze()
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_5_5_1_empty_body_has_no_code() {
        assert_eq!(CloseFrame::parse(b""), Ok(None));
    }

    #[test]
    fn rfc6455_5_5_1_one_byte_body_is_an_error() {
        assert_eq!(CloseFrame::parse(&[0x03]), Err(Error::InvalidCloseBody));
    }

    #[test]
    fn rfc6455_7_4_codes() {
        for code in [
            0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            let body = code.to_be_bytes();
            assert_eq!(
                CloseFrame::parse(&body),
                Err(Error::InvalidCloseCode(code)),
                "{code}"
            );
        }
        for code in [
            1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
            4000, 4999,
        ] {
            let body = code.to_be_bytes();
            assert_eq!(
                CloseFrame::parse(&body).unwrap().unwrap().code,
                CloseCode(code)
            );
        }
    }

    #[test]
    fn rfc6455_5_5_1_reason_must_be_utf8() {
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xe8, 0xff]),
            Err(Error::InvalidUtf8)
        );
        let ok = CloseFrame::parse(&[0x03, 0xe8, b'b', b'y', b'e'])
            .unwrap()
            .unwrap();
        assert_eq!(ok, CloseFrame::new(CloseCode::NORMAL, "bye"));
    }

    #[test]
    fn encode_round_trips_and_truncates_on_char_boundary() {
        let frame = CloseFrame::new(CloseCode::GOING_AWAY, "é".repeat(100));
        let body = frame.encode();
        assert!(body.len() <= 125);
        let back = CloseFrame::parse(&body).unwrap().unwrap();
        assert_eq!(back.code, CloseCode::GOING_AWAY);
        assert_eq!(back.reason, "é".repeat(61));
    }

    #[test]
    fn debug_names_the_code() {
        assert_eq!(
            format!("{:?}", CloseCode::MESSAGE_TOO_BIG),
            "1009(MESSAGE_TOO_BIG)"
        );
        assert_eq!(format!("{:?}", CloseCode(4321)), "4321");
    }
}
