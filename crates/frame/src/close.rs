//! Close frames: status codes and reasons (RFC 6455 §5.5.1, §7.4).
//!
//! A Close frame's body is optional. If present, it starts with a two-byte
//! status code in network byte order, followed by a UTF-8 reason that is not
//! necessarily human readable. A one-byte body is impossible to interpret and
//! is a protocol error.

use bytes::{BufMut, Bytes, BytesMut};

pub(crate) use crate::close_code::CloseCode;
use crate::error::Error;
use crate::utf8::validate_utf8;

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
        let reason = validate_utf8(reason)?;
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

/// The peer's Close frame, as the connection received it. The two cases
/// differ on the wire (§5.5.1: the body is optional) and in what the
/// application reports: §7.1.5 takes the _WebSocket Connection Close Code_
/// from the frame, or 1005 when it had none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerClose {
    /// An empty Close frame: no status code and no reason.
    Empty,
    /// A Close frame with a status code and a (possibly empty) reason.
    Frame(CloseFrame),
}

impl PeerClose {
    /// The _WebSocket Connection Close Code_ (§7.1.5): the frame's code, or
    /// 1005 (No Status Received) for an empty frame.
    pub const fn code(&self) -> CloseCode {
        match self {
            Self::Empty => CloseCode::NO_STATUS,
            Self::Frame(frame) => frame.code,
        }
    }

    /// The _WebSocket Connection Close Reason_ (§7.1.6): the frame's reason,
    /// or empty.
    pub fn reason(&self) -> &str {
        match self {
            Self::Empty => "",
            Self::Frame(frame) => &frame.reason,
        }
    }
}

impl From<Option<CloseFrame>> for PeerClose {
    fn from(frame: Option<CloseFrame>) -> Self {
        frame.map_or(Self::Empty, Self::Frame)
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

    // RFC 6455 §7.1.5, §7.1.6: a Close without a body has code 1005 and an
    // empty reason; otherwise both come from the frame.
    #[test]
    fn the_peers_close_gives_its_code_and_reason() {
        let empty = PeerClose::from(None);
        assert_eq!(empty, PeerClose::Empty);
        assert_eq!((empty.code(), empty.reason()), (CloseCode::NO_STATUS, ""));
        let frame = PeerClose::from(Some(CloseFrame {
            code: CloseCode(4001),
            reason: "bye".to_owned(),
        }));
        assert_eq!((frame.code(), frame.reason()), (CloseCode(4001), "bye"));
    }
}
