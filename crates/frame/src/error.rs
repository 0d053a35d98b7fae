//! The two kinds of error of the framing layer, kept apart because they call
//! for different answers:
//!
//! - [`Error`]: what the *peer* did (a protocol violation, or a transport
//!   that ended without a closing handshake). The [`Connection`](crate::Connection)
//!   answers a violation with a Close frame carrying the code that
//!   [`Error::close_code`] gives it — the one place where each violation
//!   meets its close code (RFC 6455 §7.4.1).
//! - [`SendError`]: what the *local program* asked for and the protocol
//!   forbids (sending after a Close, a control payload over 125 bytes, …).
//!   Nothing goes on the wire and the connection is unharmed; there is no
//!   close code, because the peer did nothing wrong.

use std::fmt;

use crate::close_code::CloseCode;

/// What the peer did wrong, as [`Connection::poll_event`](crate::Connection::poll_event)
/// reports it: each variant names the rule of RFC 6455 (or RFC 7692) it
/// breaks, and [`Error::close_code`] its §7.4.1 code.
///
/// For a protocol violation the [`Connection`](crate::Connection) sends that
/// code in a Close frame exactly once and then stops reading;
/// [`Error::UnexpectedEof`] is the one case with no Close frame to send.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // --- 1002 Protocol error ---
    /// An opcode reserved for future use (§5.2).
    ReservedOpcode(u8),
    /// An RSV bit set that no negotiated extension claims (§5.2).
    ReservedBits(u8),
    /// A 64-bit length with its most significant bit set (§5.2).
    InvalidLength,
    /// A control frame without FIN (§5.5).
    FragmentedControlFrame,
    /// A control frame payload over 125 bytes (§5.5).
    ControlFrameTooLong,
    /// A server received an unmasked frame (§5.1).
    UnmaskedFrame,
    /// A client received a masked frame (§5.1).
    MaskedFrame,
    /// A continuation frame with no message in progress (§5.4).
    UnexpectedContinuation,
    /// A new Text or Binary frame while a fragmented message is in progress (§5.4).
    ExpectedContinuation,
    /// A Close body of exactly one byte (§5.5.1).
    InvalidCloseBody,
    /// A close code an endpoint must not send (§7.4).
    InvalidCloseCode(u16),
    /// A compressed message that is not valid DEFLATE data (RFC 7692 §6.2:
    /// the receiver inflates what it receives).
    InvalidCompressedData,

    // --- 1007 Invalid frame payload data ---
    /// Text or a close reason that is not UTF-8 (§8.1).
    InvalidUtf8,

    // --- 1009 Message too big ---
    /// A frame whose payload exceeds [`Config::max_frame_size`](crate::Config::max_frame_size).
    FrameTooLarge {
        /// The announced payload length.
        len: u64,
        /// The configured limit.
        max: usize,
    },
    /// A message larger than [`Config::max_message_size`](crate::Config::max_message_size).
    MessageTooLarge {
        /// The configured limit.
        max: usize,
    },

    // --- no Close frame is sent for this ---
    /// The byte stream ended without a closing handshake (§7.1.5: the
    /// connection close code is then 1006).
    UnexpectedEof,
}

impl Error {
    // ANCHOR: close_code_map
    /// The close code to send to the peer for this error (§7.4.1); 1006 for
    /// [`Error::UnexpectedEof`], where no Close frame is sent (§7.1.5).
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::ReservedOpcode(_)
            | Self::ReservedBits(_)
            | Self::InvalidLength
            | Self::FragmentedControlFrame
            | Self::ControlFrameTooLong
            | Self::UnmaskedFrame
            | Self::MaskedFrame
            | Self::UnexpectedContinuation
            | Self::ExpectedContinuation
            | Self::InvalidCloseBody
            | Self::InvalidCloseCode(_)
            | Self::InvalidCompressedData => CloseCode::PROTOCOL_ERROR,
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooLarge { .. } | Self::MessageTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            Self::UnexpectedEof => CloseCode::ABNORMAL,
        }
    }
    // ANCHOR_END: close_code_map

    /// Whether this error is a protocol violation (a Close frame is sent
    /// for it), rather than a transport that just ended.
    pub const fn is_protocol_violation(&self) -> bool {
        !matches!(self, Self::UnexpectedEof)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            Self::ReservedBits(bits) => {
                write!(f, "reserved bits {bits:#04x} set without an extension")
            }
            Self::InvalidLength => {
                f.write_str("64-bit payload length with the most significant bit set")
            }
            Self::FragmentedControlFrame => f.write_str("fragmented control frame"),
            Self::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            Self::UnmaskedFrame => f.write_str("unmasked frame from a client"),
            Self::MaskedFrame => f.write_str("masked frame from a server"),
            Self::UnexpectedContinuation => {
                f.write_str("continuation frame without a message to continue")
            }
            Self::ExpectedContinuation => f.write_str("new data frame inside a fragmented message"),
            Self::InvalidCloseBody => f.write_str("close frame body of one byte"),
            Self::InvalidCloseCode(code) => write!(f, "invalid close code {code}"),
            Self::InvalidCompressedData => {
                f.write_str("invalid DEFLATE data in a compressed message")
            }
            Self::InvalidUtf8 => f.write_str("invalid UTF-8"),
            Self::FrameTooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max}")
            }
            Self::MessageTooLarge { max } => write!(f, "message exceeds the limit of {max} bytes"),
            Self::UnexpectedEof => f.write_str("connection closed without a closing handshake"),
        }
    }
}

impl std::error::Error for Error {}

/// What the local program asked to send and the protocol forbids. Nothing
/// was queued and the connection is unchanged; the program may go on (or
/// has to stop sending, for [`SendError::Closed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// A Close frame was already sent, or received: RFC 6455 §5.5.1, "After
    /// sending a Close frame, the endpoint MUST NOT send any more data
    /// frames" (nor a second Close).
    Closed,
    /// A new message while a fragmented one is being sent: §5.4, the
    /// fragments of one message are not interleaved with another data
    /// message.
    FragmentInProgress,
    /// A continuation with no fragmented message of this kind started.
    NoFragmentInProgress,
    /// A Ping or Pong payload over 125 bytes (§5.5).
    ControlFrameTooLong {
        /// The payload length asked for.
        len: usize,
    },
    /// A close code that must not be sent in a Close frame (1005, 1006,
    /// 1015, unassigned codes; §7.4.1, §7.4.2).
    CloseCodeNotSendable(CloseCode),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("the connection is closing or closed"),
            Self::FragmentInProgress => f.write_str("a fragmented message is in progress"),
            Self::NoFragmentInProgress => {
                f.write_str("no fragmented message of this kind in progress")
            }
            Self::ControlFrameTooLong { len } => {
                write!(f, "control frame payload of {len} bytes (at most 125)")
            }
            Self::CloseCodeNotSendable(code) => {
                write!(f, "close code {} may not be sent", code.0)
            }
        }
    }
}

impl std::error::Error for SendError {}

#[cfg(test)]
mod tests {
    use super::{CloseCode, Error, SendError};

    /// Every violation, its §7.4.1 code, and a piece of what it says.
    fn every_error() -> Vec<(Error, u16, &'static str)> {
        vec![
            (Error::ReservedOpcode(0x3), 1002, "reserved opcode 0x3"),
            (Error::ReservedBits(0x40), 1002, "reserved bits 0x40"),
            (Error::InvalidLength, 1002, "most significant bit"),
            (Error::FragmentedControlFrame, 1002, "fragmented control"),
            (Error::ControlFrameTooLong, 1002, "over 125 bytes"),
            (Error::UnmaskedFrame, 1002, "unmasked frame from a client"),
            (Error::MaskedFrame, 1002, "masked frame from a server"),
            (Error::UnexpectedContinuation, 1002, "without a message"),
            (Error::ExpectedContinuation, 1002, "inside a fragmented"),
            (Error::InvalidCloseBody, 1002, "of one byte"),
            (
                Error::InvalidCloseCode(1005),
                1002,
                "invalid close code 1005",
            ),
            (Error::InvalidCompressedData, 1002, "DEFLATE"),
            (Error::InvalidUtf8, 1007, "UTF-8"),
            (
                Error::FrameTooLarge { len: 9, max: 8 },
                1009,
                "frame of 9 bytes exceeds the limit of 8",
            ),
            (Error::MessageTooLarge { max: 8 }, 1009, "limit of 8 bytes"),
            (Error::UnexpectedEof, 1006, "without a closing handshake"),
        ]
    }

    // RFC 6455 §7.4.1: each violation meets its code here and nowhere else.
    #[test]
    fn each_violation_has_its_close_code_and_says_what_happened() {
        for (error, code, text) in every_error() {
            assert_eq!(error.close_code(), CloseCode(code), "{error:?}");
            assert!(error.to_string().contains(text), "{error:?}: {error}");
            assert_eq!(error.is_protocol_violation(), code != 1006, "{error:?}");
        }
    }

    #[test]
    fn send_errors_say_what_was_refused() {
        let cases = [
            (SendError::Closed, "closing or closed"),
            (
                SendError::FragmentInProgress,
                "fragmented message is in progress",
            ),
            (SendError::NoFragmentInProgress, "no fragmented message"),
            (
                SendError::ControlFrameTooLong { len: 126 },
                "126 bytes (at most 125)",
            ),
            (
                SendError::CloseCodeNotSendable(CloseCode::ABNORMAL),
                "close code 1006 may not be sent",
            ),
        ];
        for (error, text) in cases {
            assert!(error.to_string().contains(text), "{error:?}: {error}");
        }
    }
}
