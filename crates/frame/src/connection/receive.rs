//! Receiving: the receive buffer, frame decoding (RFC 6455 §5.2) and
//! unmasking (§5.3), and failing the connection (§7.1.7).

use bytes::{Buf, BytesMut};

use super::borrowed::{Decoded, Lent};
use super::{Connection, Event, Incoming, State};
use crate::close::CloseFrame;
use crate::error::Error;
use crate::header::Header;
use crate::mask::apply_mask;
use crate::message::MessageKind;
use crate::opcode::OpCode;
use crate::role::Role;

/// Where the decoder is in the byte stream.
#[derive(Clone, Copy, Debug)]
pub(super) enum ReadState {
    /// Waiting for a complete header.
    Header,
    /// Reading a payload: the first `done` bytes of the receive buffer are
    /// already unmasked (and, for text, validated).
    Payload {
        header: Header,
        len: usize,
        done: usize,
    },
}

/// The largest read the decoder asks for at once (see `read_hint`).
const READ_HINT_MAX: usize = 64 * 1024;

impl Connection {
    /// Hands bytes received from the peer to the connection. They are decoded
    /// by [`Connection::poll_event`].
    pub fn receive(&mut self, data: &[u8]) {
        if self.read_done {
            return;
        }
        if self.inbuf.capacity() == 0 {
            // An idle connection holds no buffer (see `read_buf`): one
            // exact-size copy, without the growth logic of `reserve`.
            self.inbuf = BytesMut::from(data);
        } else {
            self.inbuf.extend_from_slice(data);
        }
    }

    /// The receive buffer, for an IO layer that reads straight into it
    /// (bytes appended here count exactly as if passed to [`Connection::receive`]).
    pub fn read_buf(&mut self) -> &mut BytesMut {
        &mut self.inbuf
    }

    /// How many bytes the decoder wants beyond what is buffered to make
    /// progress (at least 1, at most 64 KiB), a hint for sizing the next read.
    /// (The receive buffer already has room for the whole payload of the
    /// frame being read; see `decode`.)
    pub fn read_hint(&self) -> usize {
        match self.read {
            ReadState::Header => 1,
            ReadState::Payload { len, .. } => {
                len.saturating_sub(self.inbuf.len()).clamp(1, READ_HINT_MAX)
            }
        }
    }

    /// Tells the connection that the peer will send nothing more (the TCP
    /// stream ended). Unless the closing handshake was complete, the next
    /// [`Connection::poll_event`] reports [`Error::UnexpectedEof`] (close
    /// code 1006: no Close frame is sent).
    pub fn receive_eof(&mut self) {
        self.eof = true;
    }

    /// Decodes the next event from the received bytes (RFC 6455 §5.2–§5.6).
    ///
    /// `Ok(None)` means more bytes are needed (or the connection is closed).
    ///
    /// # Errors
    /// A protocol violation by the peer: its Close frame (1002, 1007 or 1009,
    /// see [`Error::close_code`]) is queued and the state becomes
    /// [`State::Closed`]; or [`Error::UnexpectedEof`]. An error is returned
    /// once; afterwards this returns `Ok(None)`.
    // ANCHOR: poll_event
    pub fn poll_event(&mut self) -> Result<Option<Event>, Error> {
        match self.poll_decoded(false)? {
            None => Ok(None),
            Some(Decoded::Event(event)) => Ok(Some(event)),
            // Not produced without `lend`; were it, the owned form is exact.
            Some(Decoded::Lent(kind)) => Ok(Some(self.take_lent(kind))),
        }
    }

    /// [`Connection::poll_event`] and [`Connection::poll_borrowed`]: with
    /// `lend`, a single-frame plain message stays in the receive buffer.
    pub(super) fn poll_decoded(&mut self, lend: bool) -> Result<Option<Decoded>, Error> {
        // No clock read per frame: the timers only learn *that* bytes
        // arrived, and take the time at the next `handle_timeout`.
        self.timers.note_buffer(self.inbuf.len());
        self.release_lent();
        let event = self.next_event(lend);
        self.timers.set_seen(self.inbuf.len());
        event
    }

    fn next_event(&mut self, lend: bool) -> Result<Option<Decoded>, Error> {
        if self.read_done {
            return Ok(None);
        }
        if self.inbuf.is_empty() && !self.eof && matches!(self.read, ReadState::Header) {
            // Nothing to decode: the common case of an IO layer asking
            // before it reads.
            return Ok(None);
        }
        match self.decode(lend) {
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) if self.eof => {
                // The stream ended without (the rest of) a Close frame.
                self.stop_reading();
                self.state = State::Closed;
                Err(Error::UnexpectedEof)
            }
            Ok(None) => Ok(None),
            Err(error) => {
                self.fail(&error);
                Err(error)
            }
        }
    }
    // ANCHOR_END: poll_event

    // ANCHOR: fail
    /// _Fail the WebSocket Connection_ (§7.1.7): send the Close frame for
    /// the error, if none was sent yet, and stop reading.
    fn fail(&mut self, error: &Error) {
        self.stop_reading();
        self.failed = true;
        if self.close_sent.is_none() && error.is_protocol_violation() {
            let frame = CloseFrame::new(error.close_code(), "");
            self.queue_close(&frame);
        }
        self.state = State::Closed;
    }
    // ANCHOR_END: fail

    /// Stops reading for good: nothing more is decoded, and the buffers of
    /// a half-received frame or message are freed. Every end of the
    /// receiving side (the peer's Close, a failure, the end of the stream,
    /// a closing handshake that timed out) comes through here.
    pub(super) fn stop_reading(&mut self) {
        self.read_done = true;
        self.inbuf = BytesMut::new();
        self.lent = None;
        self.incoming = None;
    }

    // ANCHOR: decode
    fn decode(&mut self, lend: bool) -> Result<Option<Decoded>, Error> {
        loop {
            match self.read {
                ReadState::Header => {
                    let Some((header, header_len)) = Header::parse(&self.inbuf)? else {
                        return Ok(None);
                    };
                    let len = self.check_header(&header)?;
                    self.inbuf.advance(header_len);
                    // Make room for the whole payload at once, so that the IO
                    // layer reads it in as few system calls as the socket
                    // buffer allows and it is never moved while it grows.
                    // `len` was checked against `max_frame_size` above, so a
                    // peer cannot make us reserve more than the limits
                    // allow; and reserved memory is only committed as the
                    // peer's bytes are written into it. Plus room for the
                    // next frame's header: a read that fills the buffer
                    // exactly cannot tell the IO layer that the socket is
                    // drained (tokio then keeps it marked readable, and the
                    // next read is a wasted syscall).
                    let missing = len.saturating_sub(self.inbuf.len());
                    if missing > 0 {
                        self.inbuf.reserve(missing + Header::MAX_LEN);
                    }
                    self.read = ReadState::Payload {
                        header,
                        len,
                        done: 0,
                    };
                }
                ReadState::Payload { header, len, done } => {
                    let available = self.inbuf.len().min(len);
                    if available > done {
                        self.unmask_and_check(&header, done, available)?;
                        self.read = ReadState::Payload {
                            header,
                            len,
                            done: available,
                        };
                    }
                    if self.inbuf.len() < len {
                        return Ok(None);
                    }
                    if lend && let Some(kind) = self.lendable(&header)? {
                        // Left in the buffer, handed out borrowed.
                        self.read = ReadState::Header;
                        self.lent = Some(Lent { kind, len });
                        return Ok(Some(Decoded::Lent(kind)));
                    }
                    let payload = if self.inbuf.len() == len {
                        // The buffer holds exactly this payload (a message
                        // read in one go): hand the buffer itself out.
                        // Splitting would allocate a shared header for the
                        // two halves, once per message.
                        std::mem::take(&mut self.inbuf).freeze()
                    } else {
                        self.inbuf.split_to(len).freeze()
                    };
                    self.read = ReadState::Header;
                    if let Some(event) = self.on_frame(header, payload)? {
                        return Ok(Some(Decoded::Event(event)));
                    }
                    if self.read_done {
                        return Ok(None);
                    }
                }
            }
        }
    }
    // ANCHOR_END: decode

    // ANCHOR: check_header
    /// Checks a header before any of its payload is buffered; returns the
    /// payload length as a `usize` within the limits.
    fn check_header(&mut self, header: &Header) -> Result<usize, Error> {
        // RFC 6455 §5.1: "a server MUST close the connection upon receiving a
        // frame that is not masked" and "A client MUST close a connection if
        // it detects a masked frame."
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(Error::UnmaskedFrame),
            (Role::Client, true) => return Err(Error::MaskedFrame),
            _ => {}
        }
        // RFC 6455 §5.2: "If a nonzero value is received and none of the
        // negotiated extensions defines the meaning of such a nonzero value,
        // the receiving endpoint MUST _Fail the WebSocket Connection_."
        // Extensions may only mark the first frame of a data message.
        let allowed = match header.opcode {
            OpCode::Text | OpCode::Binary => self.extension.as_ref().map_or(0, |e| e.rsv_bits()),
            _ => 0,
        };
        if header.rsv & !allowed != 0 {
            return Err(Error::ReservedBits(header.rsv & !allowed));
        }
        let len = usize::try_from(header.payload_len).unwrap_or(usize::MAX);
        if len > self.config.max_frame_size {
            return Err(Error::FrameTooLarge {
                len: header.payload_len,
                max: self.config.max_frame_size,
            });
        }
        match header.opcode {
            // RFC 6455 §5.4: a continuation frame continues a message.
            OpCode::Continuation => {
                let Some(incoming) = &mut self.incoming else {
                    return Err(Error::UnexpectedContinuation);
                };
                incoming.size = incoming.size.saturating_add(len);
                if !self.config.stream_messages
                    && incoming.rsv == 0
                    && incoming.size > self.config.max_message_size
                {
                    return Err(Error::MessageTooLarge {
                        max: self.config.max_message_size,
                    });
                }
            }
            OpCode::Text | OpCode::Binary => {
                // RFC 6455 §5.4: "fragments of one message MUST NOT be
                // interleaved between fragments of another message".
                if self.incoming.is_some() {
                    return Err(Error::ExpectedContinuation);
                }
                if !self.config.stream_messages
                    && header.rsv == 0
                    && len > self.config.max_message_size
                {
                    return Err(Error::MessageTooLarge {
                        max: self.config.max_message_size,
                    });
                }
                let kind = if header.opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                self.utf8.reset();
                self.incoming = Some(Incoming {
                    kind,
                    rsv: header.rsv,
                    delivered_first: false,
                    buf: BytesMut::new(),
                    size: len,
                });
            }
            // Control frames were checked by `Header::parse` (§5.5).
            OpCode::Close | OpCode::Ping | OpCode::Pong => {}
        }
        Ok(len)
    }
    // ANCHOR_END: check_header

    // ANCHOR: unmask_and_check
    /// Unmasks the newly arrived payload bytes `inbuf[from..to]` and, for a
    /// plain text message, validates them at once (fail fast, §8.1).
    fn unmask_and_check(&mut self, header: &Header, from: usize, to: usize) -> Result<(), Error> {
        let bytes = &mut self.inbuf[from..to];
        if let Some(key) = header.mask {
            apply_mask(bytes, key, from);
        }
        if header.opcode.is_data()
            && let Some(incoming) = &self.incoming
            && incoming.kind == MessageKind::Text
            && incoming.rsv == 0
        {
            self.utf8.feed(bytes)?;
        }
        Ok(())
    }
    // ANCHOR_END: unmask_and_check
}
