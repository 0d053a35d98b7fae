//! UTF-8 validation of text messages and close reasons (RFC 6455 §5.6, §8.1).
//!
//! A text message may be split across frames, and a frame across reads, at any
//! byte — also in the middle of a multi-byte character. [`Utf8Validator`]
//! carries the unfinished character (at most three bytes) from one piece to
//! the next, and reports an error as soon as a byte sequence is impossible,
//! not only when the message ends: §8.1 says "When an endpoint is to
//! interpret a byte stream as UTF-8 but finds that the byte stream is not, in
//! fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
//! Connection_", and failing early saves the rest of a hostile message.
//!
//! The bulk of the work is done by `simdutf8`, which validates with SIMD
//! instructions where the CPU has them.

use std::fmt;

use bytes::Bytes;

use crate::error::Error;

/// Validates a complete byte string as UTF-8 (RFC 6455 §8.1).
///
/// # Errors
/// [`Error::InvalidUtf8`] if it is not.
pub fn validate_utf8(bytes: &[u8]) -> Result<&str, Error> {
    simdutf8::basic::from_utf8(bytes).map_err(|_| Error::InvalidUtf8)
}

/// Incremental, fail-fast UTF-8 validation of a byte stream fed in pieces
/// (RFC 6455 §8.1).
///
/// ```
/// use ws_frame::Utf8Validator;
/// let euro = "€".as_bytes(); // e2 82 ac
/// let mut v = Utf8Validator::default();
/// v.feed(&euro[..1]).unwrap(); // an unfinished character is fine...
/// v.feed(&euro[1..]).unwrap();
/// v.finish().unwrap();         // ...as long as it is finished at the end
/// assert!(Utf8Validator::default().feed(&[0xe2, 0x28]).is_err()); // impossible at once
/// ```
#[derive(Clone, Debug, Default)]
// ANCHOR: utf8_validator
pub struct Utf8Validator {
    /// The bytes of a character that has started but not ended.
    partial: [u8; 4],
    /// How many bytes of `partial` are in use (0..=3).
    len: usize,
}
// ANCHOR_END: utf8_validator

impl Utf8Validator {
    // ANCHOR: utf8_feed
    /// Checks the next piece of the stream.
    ///
    /// # Errors
    /// [`Error::InvalidUtf8`] as soon as the bytes seen so far cannot be the
    /// start of valid UTF-8.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), Error> {
        if self.len > 0 {
            // Finish the character left over from the previous piece first.
            let need = sequence_len(self.partial[0]) - self.len;
            let take = need.min(input.len());
            self.partial[self.len..self.len + take].copy_from_slice(&input[..take]);
            self.len += take;
            input = &input[take..];
            match std::str::from_utf8(&self.partial[..self.len]) {
                Ok(_) => self.len = 0,
                // Still unfinished, and everything we had is consumed.
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(_) => return Err(Error::InvalidUtf8),
            }
        }
        match simdutf8::compat::from_utf8(input) {
            Ok(_) => Ok(()),
            // `error_len() == None`: the input ends inside a character that
            // may still be completed by the next piece.
            Err(e) if e.error_len().is_none() => {
                let tail = &input[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.len = tail.len();
                Ok(())
            }
            Err(_) => Err(Error::InvalidUtf8),
        }
    }
    // ANCHOR_END: utf8_feed

    // ANCHOR: utf8_finish
    /// Declares the end of the stream.
    ///
    /// # Errors
    /// [`Error::InvalidUtf8`] if it ends inside a character.
    pub fn finish(&self) -> Result<(), Error> {
        if self.len == 0 {
            Ok(())
        } else {
            Err(Error::InvalidUtf8)
        }
    }
    // ANCHOR_END: utf8_finish

    /// Forgets any unfinished character, ready for the next message.
    pub fn reset(&mut self) {
        self.len = 0;
    }
}

/// The length of a UTF-8 sequence from its lead byte. Only called on lead
/// bytes that `from_utf8` accepted as the start of an unfinished character.
const fn sequence_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        _ => 2,
    }
}

/// A text payload: bytes that are known to be valid UTF-8 (RFC 6455 §5.6).
///
/// It wraps [`Bytes`] so that a received text message is handed out without
/// copying it. The crate forbids `unsafe`, so [`Utf8Bytes::as_str`] re-checks
/// the bytes (with SIMD, at many GB/s) instead of trusting them blindly.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Wraps bytes after checking that they are UTF-8.
    ///
    /// # Errors
    /// [`Error::InvalidUtf8`] if they are not.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Self, Error> {
        validate_utf8(&bytes)?;
        Ok(Self(bytes))
    }

    /// Wraps bytes the caller has already validated.
    pub(crate) const fn from_validated(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// A static string, without copying.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // The invariant of this type: `self.0` is valid UTF-8.
        simdutf8::basic::from_utf8(&self.0).unwrap_or_default()
    }

    /// The bytes, without copying.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The underlying bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(t: Utf8Bytes) -> Self {
        t.0
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = Error;
    fn try_from(bytes: Bytes) -> Result<Self, Error> {
        Self::try_from_bytes(bytes)
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn utf8_bytes_round_trips_and_compares() {
        let t = Utf8Bytes::try_from_bytes(Bytes::from_static("héllo".as_bytes())).unwrap();
        assert_eq!(t.as_str(), "héllo");
        assert_eq!(t.len(), 6);
        assert!(!t.is_empty());
        assert_eq!(t, "héllo");
        assert_eq!(t, *"héllo");
        assert_ne!(t, "hello");
        assert_eq!(t.as_bytes(), &Bytes::from_static("héllo".as_bytes()));
        assert_eq!(format!("{t}"), "héllo");
        assert_eq!(format!("{t:?}"), "\"héllo\"");
        assert_eq!(Bytes::from(t.clone()), t.clone().into_bytes());
        assert_eq!(Utf8Bytes::from("héllo".to_owned()), t);
        assert_eq!(Utf8Bytes::from("héllo"), t);
        assert_eq!(Utf8Bytes::from_static("héllo"), t);
        assert_eq!(
            Utf8Bytes::try_from(Bytes::from_static(b"h\xc3\xa9llo")),
            Ok(t)
        );
        assert!(Utf8Bytes::default().is_empty());
        assert_eq!(Utf8Bytes::default().len(), 0);
        assert_eq!(
            Utf8Bytes::try_from(Bytes::from_static(b"\xff")),
            Err(Error::InvalidUtf8)
        );
        assert_eq!(
            Utf8Bytes::try_from_bytes(Bytes::from_static(b"a\xc3")),
            Err(Error::InvalidUtf8)
        );
        assert_eq!(validate_utf8(b"ok"), Ok("ok"));
    }

    #[test]
    fn reset_forgets_an_unfinished_character() {
        let mut v = Utf8Validator::default();
        v.feed(&[0xf0, 0x9f]).unwrap();
        assert!(v.finish().is_err());
        v.reset();
        assert_eq!(v.finish(), Ok(()));
        v.feed(b"a").unwrap();
        assert_eq!(v.finish(), Ok(()));
    }

    fn feed_in_pieces(bytes: &[u8], cuts: &[usize]) -> Result<(), Error> {
        let mut v = Utf8Validator::default();
        let mut start = 0;
        for &cut in cuts {
            let cut = cut.clamp(start, bytes.len());
            v.feed(&bytes[start..cut])?;
            start = cut;
        }
        v.feed(&bytes[start..])?;
        v.finish()
    }

    #[test]
    fn fails_fast_on_impossible_bytes() {
        let mut v = Utf8Validator::default();
        // 6.4.1-style: valid, then a sequence that can never be valid.
        v.feed("κόσμε".as_bytes()).unwrap();
        assert_eq!(v.feed(&[0xf4, 0x90]), Err(Error::InvalidUtf8));
        // A lead byte alone is fine until it is followed by a bad byte.
        let mut v = Utf8Validator::default();
        v.feed(&[0xf0]).unwrap();
        v.feed(&[0x9f]).unwrap();
        assert_eq!(v.feed(&[0x41]), Err(Error::InvalidUtf8));
        // Overlong and surrogate encodings.
        assert!(Utf8Validator::default().feed(&[0xc0, 0x80]).is_err());
        assert!(Utf8Validator::default().feed(&[0xed, 0xa0]).is_err());
        assert!(Utf8Validator::default().feed(&[0xff]).is_err());
    }

    #[test]
    fn unfinished_character_at_the_end_is_an_error() {
        let mut v = Utf8Validator::default();
        v.feed(&[0xe2, 0x82]).unwrap();
        assert_eq!(v.finish(), Err(Error::InvalidUtf8));
    }

    proptest! {
        #[test]
        fn pieces_agree_with_whole(bytes in proptest::collection::vec(any::<u8>(), 0..64),
                                   cuts in proptest::collection::vec(0usize..64, 0..8)) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            let whole = std::str::from_utf8(&bytes).is_ok();
            prop_assert_eq!(feed_in_pieces(&bytes, &cuts).is_ok(), whole);
        }

        #[test]
        fn valid_text_in_any_pieces_is_accepted(text in "\\PC{0,40}",
                                                cuts in proptest::collection::vec(0usize..200, 0..8)) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            prop_assert!(feed_in_pieces(text.as_bytes(), &cuts).is_ok());
        }

        #[test]
        fn byte_by_byte_error_position_is_earliest(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            // Fail-fast: the first prefix that cannot start valid UTF-8 is
            // exactly where feeding byte by byte reports the error.
            let mut v = Utf8Validator::default();
            let mut failed_at = None;
            for (i, b) in bytes.iter().enumerate() {
                if v.feed(std::slice::from_ref(b)).is_err() { failed_at = Some(i); break; }
            }
            let expected = match std::str::from_utf8(&bytes) {
                Ok(_) => None,
                Err(e) => e.error_len().map(|_| e.valid_up_to() + longest_valid_prefix_len(&bytes[e.valid_up_to()..])),
            };
            prop_assert_eq!(failed_at, expected);
        }
    }

    /// The index (relative to a character start) of the first byte that makes
    /// the sequence impossible.
    fn longest_valid_prefix_len(rest: &[u8]) -> usize {
        (1..=rest.len())
            .find(|&n| matches!(std::str::from_utf8(&rest[..n]), Err(e) if e.error_len().is_some()))
            .map_or(rest.len(), |n| n - 1)
    }
}
