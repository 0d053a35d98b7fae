//! The errors of the framing layer, and the one place that maps each of them
//! to the close code sent to the peer (RFC 6455 §7.4.1).

use std::fmt;

use crate::close_code::CloseCode;

/// Everything that can go wrong in the framing layer; each variant names
/// the rule of RFC 6455 it breaks, and [`Error::close_code`] its §7.4.1 code.
///
/// Protocol violations by the peer carry the close code that
/// [`Error::close_code`] reports; the [`Connection`](crate::Connection) sends
/// it in a Close frame exactly once and then stops reading.
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
    /// An extension rejected what it received.
    Extension(String),

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

    // --- no Close frame is sent for these ---
    /// The byte stream ended without a closing handshake (close code 1006).
    UnexpectedEof,
    /// A message was sent after the closing handshake started (§5.5.1:
    /// "the endpoint MUST NOT send any more data frames").
    Closed,
    /// A payload the caller asked to send breaks a rule (e.g. a control
    /// payload over 125 bytes, or a close code that may not be sent).
    InvalidSend(&'static str),
}

impl Error {
    // ANCHOR: close_code_map
    /// The close code to send to the peer for this error (§7.4.1), or 1006
    /// for the cases where no Close frame is sent.
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
            | Self::Extension(_) => CloseCode::PROTOCOL_ERROR,
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooLarge { .. } | Self::MessageTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            Self::UnexpectedEof | Self::Closed | Self::InvalidSend(_) => CloseCode::ABNORMAL,
        }
    }
    // ANCHOR_END: close_code_map

    /// Whether this error is the peer's fault (a Close frame is sent for it).
    pub const fn is_protocol_violation(&self) -> bool {
        !matches!(
            self,
            Self::UnexpectedEof | Self::Closed | Self::InvalidSend(_)
        )
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
            Self::Extension(msg) => write!(f, "extension error: {msg}"),
            Self::InvalidUtf8 => f.write_str("invalid UTF-8"),
            Self::FrameTooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max}")
            }
            Self::MessageTooLarge { max } => write!(f, "message exceeds the limit of {max} bytes"),
            Self::UnexpectedEof => f.write_str("connection closed without a closing handshake"),
            Self::Closed => f.write_str("the connection is closing or closed"),
            Self::InvalidSend(why) => write!(f, "cannot send: {why}"),
        }
    }
}

impl std::error::Error for Error {}
