//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha1::{Digest as _, Sha1};

// ANCHOR: guid
/// The GUID appended to the client's key before hashing (RFC 6455 §1.3, §4.2.2).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// ANCHOR_END: guid

/// Length of the decoded nonce in `Sec-WebSocket-Key`.
pub(crate) const KEY_LEN: usize = 16;

/// Standard alphabet, padding required on decode (the §4.3 ABNF
/// `base64-value-non-empty` has it), but unused trailing bits tolerated: the
/// RFC's own §4.1 example `AQIDBAUGBwgJCgsMDQ4PEC==` sets them.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

// ANCHOR: accept_key
/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` value:
/// `base64(SHA-1(key ++ GUID))`.
///
/// `key` is the header value as sent (still base64-encoded, surrounding
/// whitespace removed): RFC 6455 §4.2.2 hashes the string, not the decoded
/// nonce.
///
/// ```
/// assert_eq!(
///     ws_handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
#[must_use]
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}
// ANCHOR_END: accept_key

/// Encodes a raw 16-byte nonce as a `Sec-WebSocket-Key` value.
pub(crate) fn encode_key(nonce: &[u8; KEY_LEN]) -> String {
    BASE64.encode(nonce)
}

// ANCHOR: is_valid_key
/// Whether `value` (already trimmed) is base64 that decodes to exactly 16
/// bytes.
pub(crate) fn is_valid_key(value: &str) -> bool {
    // 16 bytes encode to exactly 24 characters; checking first keeps a huge
    // header from being decoded at all.
    value.len() == 24
        && BASE64
            .decode(value)
            .is_ok_and(|decoded| decoded.len() == KEY_LEN)
}
// ANCHOR_END: is_valid_key

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_1_3_accept_key_example() {
        // RFC 6455 §1.3 and §4.2.2 (NOTE): the sample nonce and its answer.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn rfc_4_1_example_key_is_valid() {
        // §4.1 item 7 NOTE: bytes 0x01..=0x10 give "AQIDBAUGBwgJCgsMDQ4PEC==".
        assert!(is_valid_key("AQIDBAUGBwgJCgsMDQ4PEC=="));
        let nonce: [u8; 16] = core::array::from_fn(|i| u8::try_from(i + 1).unwrap_or(0));
        // Our encoder writes canonical trailing bits ("EA=="), which is the same nonce.
        assert_eq!(encode_key(&nonce), "AQIDBAUGBwgJCgsMDQ4PEA==");
    }

    #[test]
    fn keys_of_other_lengths_are_invalid() {
        assert!(is_valid_key(&encode_key(&[7; 16])));
        assert!(!is_valid_key(&BASE64.encode([7u8; 15])));
        assert!(!is_valid_key(&BASE64.encode([7u8; 17])));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key("!!!!!!!!!!!!!!!!!!!!!!=="));
        // Unpadded: 22 characters, not the ABNF's base64-value-non-empty.
        assert!(!is_valid_key("AQIDBAUGBwgJCgsMDQ4PEA"));
    }
}
