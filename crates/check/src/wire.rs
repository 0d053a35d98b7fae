//! Raw frames (RFC 6455 §5.2), written and read without judging them.
//!
//! A conformance checker must be able to send what a correct endpoint never
//! sends: reserved opcodes and RSV bits, fragmented control frames, a close
//! frame with a one-byte payload. So the encoder here takes every header
//! field as a plain number; only the masking (§5.3) is always done right,
//! because a server must see masked frames from a client. The reader parses
//! any header and leaves the judging to the session.

use ws_frame::apply_mask;

/// One frame to send, every field as it will appear on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameSpec {
    /// FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as a 3-bit number (RSV1 is 4).
    pub rsv: u8,
    /// The 4-bit opcode, reserved values included.
    pub opcode: u8,
    /// The payload, or the pattern repeated up to `repeat_to` bytes.
    pub payload: Vec<u8>,
    /// When set, `payload` is repeated (and cut) to this length.
    pub repeat_to: Option<usize>,
    /// Send the encoded frame in writes of this many bytes.
    pub chop: Option<usize>,
}

impl FrameSpec {
    /// A final frame with `opcode` and `payload`, no RSV bits.
    pub(crate) fn new(opcode: u8, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            fin: true,
            rsv: 0,
            opcode,
            payload: payload.into(),
            repeat_to: None,
            chop: None,
        }
    }

    /// Sets the FIN bit.
    pub(crate) fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// Sets the RSV bits (3-bit number).
    pub(crate) fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    /// Sends the frame in pieces of `n` bytes.
    pub(crate) fn chop(mut self, n: usize) -> Self {
        self.chop = Some(n);
        self
    }

    /// Repeats the payload pattern to `len` bytes.
    pub(crate) fn repeat_to(mut self, len: usize) -> Self {
        self.repeat_to = Some(len);
        self
    }

    /// The payload as sent.
    pub(crate) fn full_payload(&self) -> Vec<u8> {
        match self.repeat_to {
            Some(len) => repeat(&self.payload, len),
            None => self.payload.clone(),
        }
    }

    /// The frame, masked with `key` (a client's frames) or not (a server's).
    pub(crate) fn encode(&self, key: Option<[u8; 4]>) -> Vec<u8> {
        let payload = self.full_payload();
        encode_frame(self.fin, self.rsv, self.opcode, &payload, key)
    }
}

/// `pattern` repeated and cut to `len` bytes (empty pattern: empty result).
pub(crate) fn repeat(pattern: &[u8], len: usize) -> Vec<u8> {
    if pattern.is_empty() {
        return Vec::new();
    }
    pattern.iter().copied().cycle().take(len).collect()
}

/// The header of a frame of `len` payload bytes (§5.2: the shortest
/// length encoding), masked with `key` when given (§5.3).
pub(crate) fn encode_header(
    fin: bool,
    rsv: u8,
    opcode: u8,
    len: usize,
    key: Option<[u8; 4]>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(14);
    out.push((u8::from(fin) << 7) | ((rsv & 7) << 4) | (opcode & 0x0f));
    let masked = if key.is_some() { 0x80 } else { 0 };
    if let Ok(small @ 0..=125) = u8::try_from(len) {
        out.push(masked | small);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(masked | 126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(masked | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(key) = key {
        out.extend_from_slice(&key);
    }
    out
}

/// A whole masked frame.
pub(crate) fn encode_frame(
    fin: bool,
    rsv: u8,
    opcode: u8,
    payload: &[u8],
    key: Option<[u8; 4]>,
) -> Vec<u8> {
    let mut out = encode_header(fin, rsv, opcode, payload.len(), key);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = key {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

/// A frame header as read from the peer, every field as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawHeader {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    pub len: u64,
    /// The length was not written in its shortest form (§5.2 "the
    /// minimal number of bytes MUST be used").
    pub non_minimal: bool,
}

/// Parses a header from the start of `buf`: `None` until it is complete,
/// else the header and its size in bytes.
pub(crate) fn parse_header(buf: &[u8]) -> Option<(RawHeader, usize)> {
    let (&b0, rest) = buf.split_first()?;
    let (&b1, rest) = rest.split_first()?;
    let masked = b1 & 0x80 != 0;
    let (len, mut used, non_minimal) = match b1 & 0x7f {
        126 => {
            let bytes: [u8; 2] = rest.get(..2)?.try_into().ok()?;
            let len = u64::from(u16::from_be_bytes(bytes));
            (len, 4, len < 126)
        }
        127 => {
            let bytes: [u8; 8] = rest.get(..8)?.try_into().ok()?;
            let len = u64::from_be_bytes(bytes);
            (len, 10, len <= 0xffff)
        }
        n => (u64::from(n), 2, false),
    };
    let mask = if masked {
        let key: [u8; 4] = buf.get(used..used + 4)?.try_into().ok()?;
        used += 4;
        Some(key)
    } else {
        None
    };
    let header = RawHeader {
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 7,
        opcode: b0 & 0x0f,
        mask,
        len,
        non_minimal,
    };
    Some((header, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_frames_parse_back() {
        for len in [0usize, 125, 126, 65535, 65536] {
            let payload = repeat(b"ab", len);
            let frame = encode_frame(false, 5, 0x0b, &payload, Some([1, 2, 3, 4]));
            let (h, used) = parse_header(&frame).unwrap();
            assert_eq!(
                (h.fin, h.rsv, h.opcode, h.len),
                (false, 5, 0x0b, len as u64)
            );
            assert!(!h.non_minimal);
            let mut body = frame[used..].to_vec();
            apply_mask(&mut body, h.mask.unwrap(), 0);
            assert_eq!(body, payload);
        }
    }

    #[test]
    fn incomplete_headers_wait_and_long_forms_are_flagged() {
        assert_eq!(parse_header(&[0x81]), None);
        assert_eq!(parse_header(&[0x81, 126, 0]), None);
        let (h, used) = parse_header(&[0x82, 126, 0, 5]).unwrap();
        assert!(h.non_minimal && used == 4 && h.len == 5);
    }
}
