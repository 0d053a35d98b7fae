//! Masking (RFC 6455 §5.3).
//!
//! Every frame a client sends is XORed with a 32-bit key chosen fresh for that
//! frame, so that a hostile script cannot make the bytes on the wire look like
//! a request a proxy would cache (§10.3). The server unmasks what it receives.
//!
//! Octet `i` of the payload is XORed with octet `i % 4` of the key. A payload
//! can arrive in pieces, so [`apply_mask`] takes the position of the first
//! byte within the payload (`offset`) and rotates the key accordingly.
//!
//! The fast path works on eight bytes at a time in safe code: the compiler
//! turns the `u64` XOR loop into vector instructions. `apply_mask_reference`
//! (compiled for the tests only) is the byte-by-byte definition the tests
//! compare against.

/// XORs `buf` with `key`, where `buf[0]` is byte number `offset` of the payload.
///
/// Applying the same mask twice restores the original bytes.
///
/// ```
/// use ws_frame::apply_mask;
/// // RFC 6455 §5.7: a masked "Hello" with key 37 fa 21 3d.
/// let mut payload = *b"Hello";
/// apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// ```
// ANCHOR: apply_mask
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    // Align to 8 bytes of the key pattern: the pattern repeats every 4 bytes,
    // so an 8-byte word is the key twice.
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        // `chunks_exact_mut(8)` yields exactly 8 bytes, so the conversion
        // cannot fail; the compiler removes the check.
        let bytes: &mut [u8; 8] = chunk.try_into().expect("8-byte chunk");
        *bytes = (u64::from_ne_bytes(*bytes) ^ word).to_ne_bytes();
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i & 3];
    }
}
// ANCHOR_END: apply_mask

// ANCHOR: apply_mask_reference
/// The definition from RFC 6455 §5.3, one byte at a time:
/// `transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4)`.
/// The test oracle for [`apply_mask`], not part of the API.
#[cfg(test)]
fn apply_mask_reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(offset + i) % 4];
    }
}
// ANCHOR_END: apply_mask_reference

// ANCHOR: rotate
/// The key as seen from byte `offset` of the payload.
#[inline]
const fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    let s = offset % 4;
    [key[s], key[(s + 1) % 4], key[(s + 2) % 4], key[(s + 3) % 4]]
}
// ANCHOR_END: rotate

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ANCHOR: mask_test
    #[test]
    fn matches_reference_for_every_length_and_offset() {
        let key = [0x12, 0x34, 0x56, 0x78];
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..=64 {
            for offset in 0..8 {
                for start in 0..8 {
                    let mut fast = data[start..start + len].to_vec();
                    let mut slow = fast.clone();
                    apply_mask(&mut fast, key, offset);
                    apply_mask_reference(&mut slow, key, offset);
                    assert_eq!(fast, slow, "len {len} offset {offset} start {start}");
                }
            }
        }
    }
    // ANCHOR_END: mask_test

    proptest! {
        #[test]
        fn fast_equals_reference(data in proptest::collection::vec(any::<u8>(), 0..300),
                                 key in any::<[u8; 4]>(), offset in 0usize..16) {
            let mut fast = data.clone();
            let mut slow = data.clone();
            apply_mask(&mut fast, key, offset);
            apply_mask_reference(&mut slow, key, offset);
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn masking_twice_is_identity(data in proptest::collection::vec(any::<u8>(), 0..300),
                                     key in any::<[u8; 4]>(), offset in 0usize..16) {
            let mut buf = data.clone();
            apply_mask(&mut buf, key, offset);
            apply_mask(&mut buf, key, offset);
            prop_assert_eq!(buf, data);
        }

        #[test]
        fn masking_in_pieces_equals_masking_at_once(data in proptest::collection::vec(any::<u8>(), 0..300),
                                                    key in any::<[u8; 4]>(), cut in 0usize..300) {
            let cut = cut.min(data.len());
            let mut whole = data.clone();
            apply_mask(&mut whole, key, 0);
            let mut pieces = data.clone();
            let (a, b) = pieces.split_at_mut(cut);
            apply_mask(a, key, 0);
            apply_mask(b, key, cut);
            prop_assert_eq!(whole, pieces);
        }
    }
}
