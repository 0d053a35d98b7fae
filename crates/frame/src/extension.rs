//! The hook through which an extension (RFC 6455 §9) transforms payloads.
//!
//! An extension negotiated in the opening handshake may claim RSV bits and
//! rewrite the payload of data messages; permessage-deflate (RFC 7692) is the
//! one in use on the web. The [`Connection`](crate::Connection) asks the
//! installed extension which RSV bits it may see, hands it every frame of a
//! message whose first frame had those bits set, and lets it rewrite every
//! message it sends. Control frames never pass through an extension.

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::message::MessageKind;

// ANCHOR: extension_trait
/// A payload-transforming extension (RFC 6455 §9).
pub trait Extension: Send {
    /// The RSV bits (in wire position, e.g. [`bits::RSV1`](crate::header::bits::RSV1))
    /// that this extension may set on the first frame of a data message.
    /// RFC 6455 §5.2: without an extension defining them, a reserved bit
    /// that is set fails the connection.
    fn rsv_bits(&self) -> u8;

    /// Decodes one received frame of a message whose first frame carried the
    /// RSV bits `rsv`, appending the result to `out`.
    ///
    /// `fin` marks the last frame of the message. `max_out` is how many more
    /// bytes `out` may grow by: an extension that would produce more must stop
    /// and return [`Error::MessageTooLarge`], so that a small compressed
    /// message cannot expand without bound.
    ///
    /// # Errors
    /// What the extension finds invalid (e.g. [`Error::InvalidCompressedData`]),
    /// or the size limit; both are the peer's protocol violations.
    fn decode_frame(
        &mut self,
        rsv: u8,
        payload: &[u8],
        fin: bool,
        out: &mut BytesMut,
        max_out: usize,
    ) -> Result<(), Error>;

    /// Encodes an outgoing message: `None` sends it unchanged; otherwise the
    /// new payload and the RSV bits for its first frame. Encoding cannot
    /// fail: an extension that cannot (or need not) transform a message
    /// sends it as it is, which every receiver understands (RFC 7692 §6:
    /// compression is decided per message).
    fn encode_message(&mut self, kind: MessageKind, payload: &Bytes) -> Option<(Bytes, u8)>;

    /// `Some(bits)` when this extension is permessage-deflate and every
    /// message it sends starts with an empty LZ77 window of `2^bits` bytes
    /// (RFC 7692 §7.1.1.1): a payload deflated once for many connections
    /// with a window of at most `bits` may then be sent with RSV1 instead
    /// of this extension's own encoding
    /// ([`Connection::send_shared`](crate::Connection::send_shared)).
    /// `None` (the default): this extension's output depends on what it
    /// sent before, or it does not deflate.
    fn shared_deflate_window(&self) -> Option<u8> {
        None
    }
}
// ANCHOR_END: extension_trait
