//! The frame opcode (RFC 6455 §5.2, §11.8).
//!
//! The low four bits of the first header byte say how to interpret the
//! payload. `0x0`–`0x2` are data frames, `0x8`–`0xA` control frames; the rest
//! is reserved for future use and a receiver must fail the connection when it
//! sees one.

use crate::error::Error;

/// What a frame carries (RFC 6455 §5.2 "Opcode").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// `0x0`: a continuation of a fragmented data message (§5.4).
    Continuation,
    /// `0x1`: the first frame of a text message (UTF-8, §5.6).
    Text,
    /// `0x2`: the first frame of a binary message.
    Binary,
    /// `0x8`: connection close (§5.5.1).
    Close,
    /// `0x9`: ping (§5.5.2).
    Ping,
    /// `0xA`: pong (§5.5.3).
    Pong,
}

impl OpCode {
    // ANCHOR: from_bits
    /// Parses the four opcode bits.
    ///
    /// # Errors
    /// [`Error::ReservedOpcode`] for `0x3`–`0x7` and `0xB`–`0xF`:
    /// RFC 6455 §5.2: "If an unknown opcode is received, the receiving
    /// endpoint MUST _Fail the WebSocket Connection_."
    pub const fn from_bits(bits: u8) -> Result<Self, Error> {
        Ok(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            other => return Err(Error::ReservedOpcode(other)),
        })
    }
    // ANCHOR_END: from_bits

    /// The four bits written on the wire.
    pub const fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Control frames have the most significant opcode bit set (§5.5).
    pub const fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }

    /// Text, Binary or Continuation (§5.6).
    pub const fn is_data(self) -> bool {
        !self.is_control()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_is_either_known_or_reserved() {
        for bits in 0..16u8 {
            match OpCode::from_bits(bits) {
                Ok(op) => assert_eq!(op.bits(), bits),
                Err(e) => assert_eq!(e, Error::ReservedOpcode(bits)),
            }
        }
        for op in [OpCode::Close, OpCode::Ping, OpCode::Pong] {
            assert!(op.is_control(), "{op:?}");
            assert!(!op.is_data(), "{op:?}");
        }
        for op in [OpCode::Continuation, OpCode::Text, OpCode::Binary] {
            assert!(op.is_data(), "{op:?}");
            assert!(!op.is_control(), "{op:?}");
        }
    }
}
