//! Message assembly (RFC 6455 §5.4): fragments into messages, or into
//! [`Fragment`] events in streaming mode, with the extension's decoding and
//! the incremental UTF-8 check of text (§8.1).

use bytes::{Bytes, BytesMut};

use super::{Connection, Event, Fragment};
use crate::error::Error;
use crate::header::Header;
use crate::message::MessageKind;
use crate::utf8::Utf8Bytes;

/// The data message being received.
#[derive(Debug)]
pub(super) struct Incoming {
    pub(super) kind: MessageKind,
    /// RSV bits of the first frame: non-zero means an extension decodes it.
    pub(super) rsv: u8,
    /// Whether a fragment was already delivered (streaming mode).
    pub(super) delivered_first: bool,
    /// Reassembled (or decoded) payload so far.
    pub(super) buf: BytesMut,
    /// Raw bytes received so far (for the size limit without an extension).
    pub(super) size: usize,
}

impl Connection {
    // ANCHOR: on_data
    pub(super) fn on_data(
        &mut self,
        header: Header,
        payload: Bytes,
    ) -> Result<Option<Event>, Error> {
        let Some(incoming) = &mut self.incoming else {
            return Err(Error::UnexpectedContinuation);
        };
        let kind = incoming.kind;
        let fin = header.fin;
        // An extension decodes the message (its frames may be compressed).
        let payload = if incoming.rsv != 0 {
            let ext = self
                .extension
                .as_mut()
                .ok_or(Error::ReservedBits(incoming.rsv))?;
            let max = if self.config.stream_messages {
                self.config.max_message_size
            } else {
                self.config
                    .max_message_size
                    .saturating_sub(incoming.buf.len())
            };
            let start = incoming.buf.len();
            ext.decode_frame(incoming.rsv, &payload, fin, &mut incoming.buf, max)
                .map_err(|e| match e {
                    // The extension only knows what was left of the limit.
                    Error::MessageTooLarge { .. } => Error::MessageTooLarge {
                        max: self.config.max_message_size,
                    },
                    e => e,
                })?;
            if kind == MessageKind::Text {
                self.utf8.feed(&incoming.buf[start..])?;
            }
            if self.config.stream_messages {
                incoming.buf.split().freeze()
            } else {
                Bytes::new()
            }
        } else {
            payload
        };
        if fin && kind == MessageKind::Text {
            // §8.1: the message must not end inside a character.
            self.utf8.finish()?;
        }

        if self.config.stream_messages {
            let first = !incoming.delivered_first;
            incoming.delivered_first = true;
            if fin {
                self.incoming = None;
            }
            return Ok(Some(Event::Fragment(Fragment {
                kind,
                first,
                fin,
                data: payload,
            })));
        }

        if !payload.is_empty() || incoming.rsv == 0 {
            if fin && incoming.buf.is_empty() && incoming.rsv == 0 {
                // A single-frame message: hand out the received bytes as they are.
                self.incoming = None;
                return Ok(Some(message(kind, payload)));
            }
            incoming.buf.extend_from_slice(&payload);
        }
        if !fin {
            return Ok(None);
        }
        let data = incoming.buf.split().freeze();
        self.incoming = None;
        Ok(Some(message(kind, data)))
    }
    // ANCHOR_END: on_data
}

fn message(kind: MessageKind, data: Bytes) -> Event {
    match kind {
        MessageKind::Text => Event::Text(Utf8Bytes::from_validated(data)),
        MessageKind::Binary => Event::Binary(data),
    }
}
