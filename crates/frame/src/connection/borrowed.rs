//! Borrowed receiving: a message handed out as a view into the receive
//! buffer instead of as its own [`Bytes`](bytes::Bytes), for an application
//! that is done with each message before it asks for the next (an echo, a
//! parser that copies what it keeps). No allocation and no copy per
//! message; the bytes are given back on the next call.
//!
//! Only what arrived as one plain frame can be lent: a fragmented message
//! must be reassembled (RFC 6455 §5.4) and a compressed one inflated (RFC
//! 7692 §6.2), and both are handed out owned, exactly as
//! [`Connection::poll_event`] would. Validation, limits and close codes are
//! the same code path for both.

use bytes::Buf;

use super::{Connection, Event, State};
use crate::error::{Error, SendError};
use crate::header::Header;
use crate::message::MessageKind;
use crate::opcode::OpCode;
use crate::transmit::ZERO_COPY_MIN;
use crate::utf8::{Utf8Bytes, validate_utf8};

/// What [`Connection::poll_borrowed`] hands out.
#[derive(Debug, PartialEq, Eq)]
pub enum Borrowed<'a> {
    /// A text message that arrived in one frame, validated as UTF-8 (§5.6,
    /// §8.1), still in the receive buffer.
    Text(&'a str),
    /// A binary message that arrived in one frame, still in the receive buffer.
    Binary(&'a [u8]),
    /// Anything else, owned: a control frame, or a data message that was
    /// fragmented or compressed (see the module docs).
    Event(Event),
}

/// What the decoder produced: an owned event, or a message of `kind` left
/// at the front of the receive buffer (`Connection::lent` says how much).
pub(super) enum Decoded {
    Event(Event),
    Lent(MessageKind),
}

/// A message lent out of the receive buffer: its kind and its length, at
/// the front of the buffer.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lent {
    pub(super) kind: MessageKind,
    pub(super) len: usize,
}

impl Connection {
    // ANCHOR: poll_borrowed
    /// Like [`Connection::poll_event`], but a data message that arrived in
    /// one uncompressed frame is handed out as a view into the receive
    /// buffer, valid until the next call on this connection (the borrow
    /// checker sees to that). The bytes are released by the next
    /// `poll_borrowed` or `poll_event`.
    ///
    /// ```
    /// use ws_frame::{Borrowed, Config, Connection, Role};
    /// let mut server = Connection::new(Role::Server, Config::default());
    /// // RFC 6455 §5.7: a masked text frame "Hello" from a client.
    /// server.receive(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    /// let Some(Borrowed::Text(text)) = server.poll_borrowed().unwrap() else { panic!() };
    /// assert_eq!(text, "Hello");
    /// // Echo it: the text is copied into the transmit queue, once.
    /// let text = text.to_owned();
    /// server.send_text(text).unwrap();
    /// assert_eq!(&server.poll_transmit().unwrap()[..], b"\x81\x05Hello");
    /// assert_eq!(server.poll_borrowed().unwrap(), None);
    /// ```
    ///
    /// # Errors
    /// As [`Connection::poll_event`].
    pub fn poll_borrowed(&mut self) -> Result<Option<Borrowed<'_>>, Error> {
        match self.poll_decoded(true)? {
            None => Ok(None),
            Some(Decoded::Event(event)) => Ok(Some(Borrowed::Event(event))),
            Some(Decoded::Lent(kind)) => {
                let bytes = self.lent().map_or(&[][..], |(_, bytes)| bytes);
                Ok(Some(match kind {
                    // Validated as it arrived (`unmask_and_check`); this
                    // only makes the `&str`, with no `unsafe`.
                    MessageKind::Text => Borrowed::Text(validate_utf8(bytes)?),
                    MessageKind::Binary => Borrowed::Binary(bytes),
                }))
            }
        }
    }
    // ANCHOR_END: poll_borrowed

    /// Whether a complete frame with `header` can stay in the buffer: the
    /// whole of a plain data message. Ends the message if so.
    ///
    /// # Errors
    /// Text that ends inside a character (§8.1).
    pub(super) fn lendable(&mut self, header: &Header) -> Result<Option<MessageKind>, Error> {
        if !header.fin
            || !matches!(header.opcode, OpCode::Text | OpCode::Binary)
            || self.config.stream_messages
        {
            return Ok(None);
        }
        let Some(incoming) = &self.incoming else {
            return Ok(None);
        };
        if incoming.rsv != 0 {
            return Ok(None);
        }
        let kind = incoming.kind;
        if kind == MessageKind::Text {
            // §8.1: the message must not end inside a character (its bytes
            // were fed to the validator as they arrived).
            self.utf8.finish()?;
        }
        self.incoming = None;
        Ok(Some(kind))
    }

    /// The message the last [`Connection::poll_borrowed`] lent, again: its
    /// kind and its bytes (text validated as UTF-8). For an IO layer that
    /// cannot keep the borrow while it hands control back (an `async` one
    /// across an `.await`). `None` once released or sent.
    pub fn lent(&self) -> Option<(MessageKind, &[u8])> {
        let lent = self.lent?;
        Some((lent.kind, self.inbuf.get(..lent.len)?))
    }

    // ANCHOR: send_lent
    /// Queues the message the last [`Connection::poll_borrowed`] lent back
    /// to the peer, unchanged (an echo), and releases it. A small message is
    /// framed straight out of the receive buffer into the transmit queue; a
    /// large one is split off the buffer and queued by reference, never
    /// copied. Returns `false` if nothing was lent.
    ///
    /// # Errors
    /// As [`Connection::send_message`].
    pub fn send_lent(&mut self) -> Result<bool, SendError> {
        let Some(Lent { kind, len }) = self.lent else {
            return Ok(false);
        };
        let len = len.min(self.inbuf.len());
        if self.extension.is_some() || len >= ZERO_COPY_MIN {
            // The extension may transform it, or it is worth not copying.
            self.lent = None;
            let data = self.inbuf.split_to(len).freeze();
            self.send_message(kind, data)?;
            return Ok(true);
        }
        // The checks of `send_message` (§5.5.1, §5.4).
        if self.close_sent.is_some() || self.state != State::Open {
            return Err(SendError::Closed);
        }
        if self.outgoing.is_some() {
            return Err(SendError::FragmentInProgress);
        }
        // Out and back: the frame is copied from the buffer into the queue.
        let inbuf = std::mem::take(&mut self.inbuf);
        self.queue_frame(kind.opcode(), true, 0, &inbuf[..len]);
        self.inbuf = inbuf;
        self.release_lent();
        Ok(true)
    }
    // ANCHOR_END: send_lent

    /// Gives back the bytes lent by the last [`Connection::poll_borrowed`].
    pub(super) fn release_lent(&mut self) {
        if let Some(lent) = self.lent.take() {
            // `min`: the IO layer may have replaced the buffer meanwhile.
            self.inbuf.advance(lent.len.min(self.inbuf.len()));
        }
    }

    /// The lent message as an owned event (for `poll_event`).
    pub(super) fn take_lent(&mut self, kind: MessageKind) -> Event {
        let n = self.lent.take().map_or(0, |l| l.len.min(self.inbuf.len()));
        let data = self.inbuf.split_to(n).freeze();
        match kind {
            MessageKind::Text => Event::Text(Utf8Bytes::from_validated(data)),
            MessageKind::Binary => Event::Binary(data),
        }
    }
}
