//! The frame header (RFC 6455 §5.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! A header is 2 to 14 bytes. [`Header::parse`] is a push parser in the style
//! of `httparse`: given too few bytes it answers `Ok(None)` ("need more"),
//! never an error, so input may be cut at any byte.

use crate::error::Error;
use crate::opcode::OpCode;

// ANCHOR: bits
/// Bit names of the header's first two bytes (RFC 6455 §5.2).
pub mod bits {
    /// Final fragment of a message.
    pub const FIN: u8 = 0x80;
    /// Reserved bit 1 (claimed by permessage-deflate, RFC 7692).
    pub const RSV1: u8 = 0x40;
    /// Reserved bit 2.
    pub const RSV2: u8 = 0x20;
    /// Reserved bit 3.
    pub const RSV3: u8 = 0x10;
    /// All three reserved bits.
    pub const RSV: u8 = RSV1 | RSV2 | RSV3;
    /// The opcode nibble.
    pub const OPCODE: u8 = 0x0F;
    /// Second byte: the payload is masked.
    pub const MASKED: u8 = 0x80;
    /// Second byte: the 7-bit payload length.
    pub const LEN: u8 = 0x7F;
    /// 7-bit length value announcing a 16-bit extended length.
    pub const LEN_16: u8 = 126;
    /// 7-bit length value announcing a 64-bit extended length.
    pub const LEN_64: u8 = 127;
}
// ANCHOR_END: bits

/// The largest payload a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD: u64 = 125;

/// A decoded frame header (RFC 6455 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// The three reserved bits, in their wire positions (`bits::RSV1` …).
    pub rsv: u8,
    /// What the payload is.
    pub opcode: OpCode,
    /// The masking key, when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// Payload length in bytes.
    pub payload_len: u64,
}

impl Header {
    /// The longest header: 2 + 8 (64-bit length) + 4 (masking key).
    pub const MAX_LEN: usize = 14;

    /// Parses a header from the start of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of a header, otherwise
    /// the header and its length in bytes.
    ///
    /// ```
    /// use ws_frame::{Header, OpCode};
    /// // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
    /// let (h, len) = Header::parse(&[0x81, 0x05, b'H']).unwrap().unwrap();
    /// assert_eq!((h.fin, h.opcode, h.payload_len, len), (true, OpCode::Text, 5, 2));
    /// assert_eq!(Header::parse(&[0x81]).unwrap(), None); // need more
    /// ```
    ///
    /// # Errors
    /// - [`Error::ReservedOpcode`] (§5.2).
    /// - [`Error::InvalidLength`] when the 64-bit length has its most
    ///   significant bit set (§5.2: "the most significant bit MUST be 0").
    /// - [`Error::FragmentedControlFrame`] and [`Error::ControlFrameTooLong`]
    ///   (§5.5: "All control frames MUST have a payload length of 125 bytes
    ///   or less and MUST NOT be fragmented").
    // ANCHOR: header_parse
    pub fn parse(buf: &[u8]) -> Result<Option<(Self, usize)>, Error> {
        let Some((&[b0, b1], rest)) = buf.split_first_chunk::<2>() else {
            return Ok(None);
        };
        let fin = b0 & bits::FIN != 0;
        let rsv = b0 & bits::RSV;
        let opcode = OpCode::from_bits(b0 & bits::OPCODE)?;
        let masked = b1 & bits::MASKED != 0;
        let len7 = b1 & bits::LEN;

        if opcode.is_control() {
            // RFC 6455 §5.5: "All control frames MUST have a payload length of
            // 125 bytes or less and MUST NOT be fragmented."
            if !fin {
                return Err(Error::FragmentedControlFrame);
            }
            if u64::from(len7) > MAX_CONTROL_PAYLOAD {
                return Err(Error::ControlFrameTooLong);
            }
        }

        let (payload_len, rest, ext_len) = match len7 {
            bits::LEN_16 => {
                let Some((len, rest)) = rest.split_first_chunk::<2>() else {
                    return Ok(None);
                };
                (u64::from(u16::from_be_bytes(*len)), rest, 2)
            }
            bits::LEN_64 => {
                let Some((len, rest)) = rest.split_first_chunk::<8>() else {
                    return Ok(None);
                };
                let len = u64::from_be_bytes(*len);
                // RFC 6455 §5.2: "the most significant bit MUST be 0".
                if len >> 63 != 0 {
                    return Err(Error::InvalidLength);
                }
                (len, rest, 8)
            }
            short => (u64::from(short), rest, 0),
        };

        let mask = if masked {
            let Some((key, _)) = rest.split_first_chunk::<4>() else {
                return Ok(None);
            };
            Some(*key)
        } else {
            None
        };

        let header = Self {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        };
        Ok(Some((header, 2 + ext_len + if masked { 4 } else { 0 })))
    }
    // ANCHOR_END: header_parse

    /// The number of bytes [`Header::encode`] writes.
    pub const fn encoded_len(&self) -> usize {
        let ext = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + ext + if self.mask.is_some() { 4 } else { 0 }
    }

    // ANCHOR: header_encode
    /// Writes the header into `dst` and returns how many bytes it used.
    ///
    /// The length uses the shortest of the three encodings, as §5.2 requires:
    /// "the minimal number of bytes MUST be used to encode the length".
    pub fn encode(&self, dst: &mut [u8; Self::MAX_LEN]) -> usize {
        let fin = if self.fin { bits::FIN } else { 0 };
        dst[0] = fin | (self.rsv & bits::RSV) | self.opcode.bits();
        let masked = if self.mask.is_some() { bits::MASKED } else { 0 };
        let mut n = 2;
        match self.payload_len {
            // The matched ranges make the narrowing casts exact.
            #[allow(clippy::cast_possible_truncation)]
            len @ 0..=125 => dst[1] = masked | len as u8,
            #[allow(clippy::cast_possible_truncation)]
            len @ 126..=0xFFFF => {
                dst[1] = masked | bits::LEN_16;
                dst[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                n = 4;
            }
            len => {
                dst[1] = masked | bits::LEN_64;
                dst[2..10].copy_from_slice(&len.to_be_bytes());
                n = 10;
            }
        }
        if let Some(key) = self.mask {
            dst[n..n + 4].copy_from_slice(&key);
            n += 4;
        }
        n
    }
    // ANCHOR_END: header_encode
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(h: &Header) -> Vec<u8> {
        let mut buf = [0; Header::MAX_LEN];
        let n = h.encode(&mut buf);
        buf[..n].to_vec()
    }

    #[test]
    fn rfc6455_5_7_examples() {
        // Unmasked "Hello".
        let (h, n) = Header::parse(&[0x81, 0x05]).unwrap().unwrap();
        assert_eq!(
            (h.fin, h.opcode, h.mask, h.payload_len, n),
            (true, OpCode::Text, None, 5, 2)
        );
        // Masked "Hello".
        let (h, n) = Header::parse(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d])
            .unwrap()
            .unwrap();
        assert_eq!((h.mask, n), (Some([0x37, 0xfa, 0x21, 0x3d]), 6));
        // Fragmented: "Hel" not final, "lo" continuation final.
        let (h, _) = Header::parse(&[0x01, 0x03]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode), (false, OpCode::Text));
        let (h, _) = Header::parse(&[0x80, 0x02]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode), (true, OpCode::Continuation));
        // Unmasked ping and masked pong with "Hello".
        assert_eq!(
            Header::parse(&[0x89, 0x05]).unwrap().unwrap().0.opcode,
            OpCode::Ping
        );
        assert_eq!(
            Header::parse(&[0x8a, 0x85, 1, 2, 3, 4])
                .unwrap()
                .unwrap()
                .0
                .opcode,
            OpCode::Pong
        );
        // 256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100.
        let h = Header::parse(&[0x82, 0x7e, 0x01, 0x00]).unwrap().unwrap();
        assert_eq!((h.0.payload_len, h.1), (256, 4));
        // 64 KiB binary in a single unmasked frame: 0x82 0x7F 0x0000000000010000.
        let h = Header::parse(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!((h.0.payload_len, h.1), (65536, 10));
    }

    #[test]
    fn encoding_is_minimal() {
        let mut h = Header {
            fin: true,
            rsv: 0,
            opcode: OpCode::Binary,
            mask: None,
            payload_len: 125,
        };
        assert_eq!(encode(&h), [0x82, 125]);
        h.payload_len = 126;
        assert_eq!(encode(&h), [0x82, 126, 0, 126]);
        h.payload_len = 65535;
        assert_eq!(encode(&h), [0x82, 126, 0xff, 0xff]);
        h.payload_len = 65536;
        assert_eq!(encode(&h), [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn rfc6455_5_2_length_msb_must_be_zero() {
        let buf = [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(Header::parse(&buf), Err(Error::InvalidLength));
    }

    #[test]
    fn rfc6455_5_5_control_frames() {
        assert_eq!(
            Header::parse(&[0x09, 0x00]),
            Err(Error::FragmentedControlFrame)
        );
        assert_eq!(
            Header::parse(&[0x89, 0x7e]),
            Err(Error::ControlFrameTooLong)
        );
        assert!(Header::parse(&[0x89, 0x7d]).unwrap().is_some());
    }

    #[test]
    fn rfc6455_5_2_reserved_opcodes() {
        for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
            assert_eq!(
                Header::parse(&[0x80 | op, 0]),
                Err(Error::ReservedOpcode(op))
            );
        }
    }

    fn any_header() -> impl Strategy<Value = Header> {
        let opcode = prop_oneof![
            Just(OpCode::Continuation),
            Just(OpCode::Text),
            Just(OpCode::Binary),
            Just(OpCode::Close),
            Just(OpCode::Ping),
            Just(OpCode::Pong)
        ];
        (
            any::<bool>(),
            0u8..8,
            opcode,
            any::<Option<[u8; 4]>>(),
            prop_oneof![0u64..200, 0u64..70_000, 0u64..(1 << 63)],
        )
            .prop_map(|(fin, rsv, opcode, mask, len)| {
                let control = opcode.is_control();
                Header {
                    fin: fin || control,
                    rsv: rsv << 4,
                    opcode,
                    mask,
                    payload_len: if control { len % 126 } else { len },
                }
            })
    }

    proptest! {
        #[test]
        fn encode_parse_round_trip(h in any_header()) {
            let bytes = encode(&h);
            prop_assert_eq!(bytes.len(), h.encoded_len());
            prop_assert_eq!(Header::parse(&bytes), Ok(Some((h, bytes.len()))));
            // Every proper prefix needs more bytes.
            for cut in 0..bytes.len() {
                prop_assert_eq!(Header::parse(&bytes[..cut]), Ok(None));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..20)) {
            if let Ok(Some((_, n))) = Header::parse(&bytes) {
                prop_assert!(n <= bytes.len() && n <= Header::MAX_LEN);
            }
        }
    }
}
