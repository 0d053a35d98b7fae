//! Sending: the commands (data messages and fragments §5.4, Ping and Pong
//! §5.5.2–§5.5.3, Close §5.5.1), framing and masking what they queue (§5.2,
//! §5.3), and the transmit queue the IO layer drains.

use std::io::IoSlice;

use bytes::Bytes;

#[cfg(doc)]
use super::Config;
use super::{Connection, State};
use crate::close::{CloseCode, CloseFrame, MAX_REASON_LEN, truncate_utf8};
use crate::deflate::Deflated;
use crate::error::SendError;
use crate::header::Header;
use crate::header::bits::RSV1;
use crate::mask::apply_mask;
use crate::message::MessageKind;
use crate::opcode::OpCode;
use crate::role::Role;
use crate::transmit::ZERO_COPY_MIN;
use crate::utf8::Utf8Bytes;

/// What [`Connection::send_shared`] put on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedSend {
    /// The shared deflated bytes, with RSV1.
    Deflated,
    /// The plain data, uncompressed.
    Uncompressed,
    /// The plain data through the connection's extension, as
    /// [`Connection::send_message`] sends it.
    Encoded,
}

impl Connection {
    /// Queues a text message (RFC 6455 §5.6).
    ///
    /// # Errors
    /// [`SendError::Closed`] after a Close frame was sent or received
    /// (§5.5.1); [`SendError::FragmentInProgress`] while a fragmented message
    /// is being sent.
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), SendError> {
        self.send_message(MessageKind::Text, text.into().into_bytes())
    }

    /// Queues a binary message (RFC 6455 §5.6).
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.send_message(MessageKind::Binary, data.into())
    }

    /// Queues a complete message of either kind. Text must be valid UTF-8
    /// (use [`Connection::send_text`] to have the type system ensure it).
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_message(&mut self, kind: MessageKind, data: Bytes) -> Result<(), SendError> {
        self.check_can_send_data()?;
        if self.outgoing.is_some() {
            return Err(SendError::FragmentInProgress);
        }
        let (payload, rsv) = match &mut self.extension {
            Some(ext) => ext.encode_message(kind, &data).unwrap_or((data, 0)),
            None => (data, 0),
        };
        self.queue_data(kind.opcode(), true, rsv, payload);
        Ok(())
    }

    /// `Some(bits)` when a payload deflated once for many connections with
    /// a window of at most `bits` may be sent here as it is
    /// ([`Connection::send_shared`]): permessage-deflate is in use and, by
    /// RFC 7692 §7.1.1.1 (`server_no_context_takeover` for a server), each
    /// message we send starts with an empty window. `None`: no such
    /// extension, or it takes context over from message to message.
    pub fn shared_deflate_window(&self) -> Option<u8> {
        self.extension.as_ref()?.shared_deflate_window()
    }

    // ANCHOR: send_shared
    /// Queues a complete message prepared once for many connections: its
    /// plain `data`, and `deflated`, the same data compressed with a fresh
    /// context (from a [`SharedDeflate`](crate::deflate::SharedDeflate)),
    /// if compressing it paid off. What goes on the wire is the one that
    /// is valid here (the result says which):
    ///
    /// - `deflated` with RSV1 (RFC 7692 §6), when
    ///   [`Connection::shared_deflate_window`] is at least its window: the
    ///   connection's own compressor is neither used nor created;
    /// - `data` uncompressed, when the connection could take shared bytes
    ///   but `deflated` is `None` (RFC 7692 §6: "An endpoint MAY send
    ///   messages without compression" is always allowed);
    /// - otherwise `data` as [`Connection::send_message`] sends it (the
    ///   extension's own encoding, e.g. with context takeover).
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_shared(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        deflated: Option<&Deflated>,
    ) -> Result<SharedSend, SendError> {
        let Some(window) = self.shared_deflate_window() else {
            self.send_message(kind, data)?;
            return Ok(SharedSend::Encoded);
        };
        self.check_can_send_data()?;
        if self.outgoing.is_some() {
            return Err(SendError::FragmentInProgress);
        }
        match deflated {
            // RFC 7692 §7.1.2.1: the peer's window must cover every
            // back-reference, so the shared window may not exceed ours.
            Some(d) if d.window_bits() <= window => {
                self.queue_data(kind.opcode(), true, RSV1, d.payload().clone());
                Ok(SharedSend::Deflated)
            }
            Some(_) => {
                self.send_message(kind, data)?;
                Ok(SharedSend::Encoded)
            }
            None => {
                self.queue_data(kind.opcode(), true, 0, data);
                Ok(SharedSend::Uncompressed)
            }
        }
    }
    // ANCHOR_END: send_shared

    // ANCHOR: send_fragment
    /// Queues one fragment of a message sent in pieces (§5.4): `first` on the
    /// first piece (which sets the kind), `fin` on the last. Extensions do
    /// not transform fragments sent this way.
    ///
    /// # Errors
    /// [`SendError::Closed`] after a Close; [`SendError::FragmentInProgress`]
    /// for a first piece while a message is in progress,
    /// [`SendError::NoFragmentInProgress`] for a later piece without one.
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        first: bool,
        fin: bool,
    ) -> Result<(), SendError> {
        self.check_can_send_data()?;
        let opcode = match (first, self.outgoing) {
            (true, None) => kind.opcode(),
            (false, Some(k)) if k == kind => OpCode::Continuation,
            (true, Some(_)) => return Err(SendError::FragmentInProgress),
            (false, _) => return Err(SendError::NoFragmentInProgress),
        };
        self.outgoing = if fin { None } else { Some(kind) };
        self.queue_data(opcode, fin, 0, data);
        Ok(())
    }
    // ANCHOR_END: send_fragment

    /// Queues a Ping (§5.5.2) with up to 125 bytes of application data.
    ///
    /// # Errors
    /// [`SendError::ControlFrameTooLong`] for a payload over 125 bytes;
    /// [`SendError::Closed`] after a Close was sent.
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), SendError> {
        self.send_control(OpCode::Ping, &payload.into())
    }

    /// Queues a Pong: the answer to a Ping when [`Config::auto_pong`] is off
    /// (also allowed in [`State::Closing`], §5.5.2), or an unsolicited one
    /// (§5.5.3: "serves as a unidirectional heartbeat").
    ///
    /// # Errors
    /// [`SendError::ControlFrameTooLong`] for a payload over 125 bytes;
    /// [`SendError::Closed`] once the state is [`State::Closed`].
    pub fn pong(&mut self, payload: impl Into<Bytes>) -> Result<(), SendError> {
        self.send_control(OpCode::Pong, &payload.into())
    }

    // ANCHOR: close_command
    /// Starts the closing handshake (§7.1.2) with a code and a reason (cut to
    /// 123 bytes at a character boundary). The state becomes
    /// [`State::Closing`], or [`State::Closed`] if the peer's Close was
    /// already received.
    ///
    /// # Errors
    /// [`SendError::Closed`] if a Close was already sent;
    /// [`SendError::CloseCodeNotSendable`] for a code that may not be sent
    /// (1005, 1006, 1015, …; §7.4).
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if !code.is_valid_on_wire() {
            return Err(SendError::CloseCodeNotSendable(code));
        }
        if self.close_sent.is_some() || self.state == State::Closed {
            return Err(SendError::Closed);
        }
        self.queue_close(&CloseFrame::new(
            code,
            truncate_utf8(reason, MAX_REASON_LEN),
        ));
        self.state = State::Closing;
        Ok(())
    }
    // ANCHOR_END: close_command

    /// Starts the closing handshake with an empty Close frame: no status
    /// code and no reason (§5.5.1: "The Close frame MAY contain a body").
    /// The peer then sees code 1005 (No Status Received).
    ///
    /// # Errors
    /// [`SendError::Closed`] if a Close was already sent.
    pub fn close_without_status(&mut self) -> Result<(), SendError> {
        if self.close_sent.is_some() || self.state == State::Closed {
            return Err(SendError::Closed);
        }
        self.queue_close_empty();
        self.state = State::Closing;
        Ok(())
    }

    fn check_can_send_data(&self) -> Result<(), SendError> {
        // RFC 6455 §5.5.1: "After sending a Close frame, the endpoint MUST
        // NOT send any more data frames."
        if self.close_sent.is_some() || self.state != State::Open {
            return Err(SendError::Closed);
        }
        Ok(())
    }

    // ANCHOR: send_control
    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), SendError> {
        if payload.len() > 125 {
            return Err(SendError::ControlFrameTooLong { len: payload.len() });
        }
        // A Pong may still answer a Ping while we wait for the peer's Close
        // (§5.5.2); nothing else is sent after our Close.
        let pong_while_closing = opcode == OpCode::Pong && self.state == State::Closing;
        if (self.close_sent.is_some() && !pong_while_closing) || self.state == State::Closed {
            return Err(SendError::Closed);
        }
        self.queue_frame(opcode, true, 0, payload);
        Ok(())
    }
    // ANCHOR_END: send_control

    pub(super) fn queue_close(&mut self, frame: &CloseFrame) {
        self.queue_frame(OpCode::Close, true, 0, &frame.encode());
        self.close_sent = Some(frame.code);
    }

    pub(super) fn queue_close_empty(&mut self) {
        self.queue_frame(OpCode::Close, true, 0, &[]);
        self.close_sent = Some(CloseCode::NO_STATUS);
    }

    // ANCHOR: queue_data
    /// Queues a data frame, by reference when it is large and needs no mask.
    fn queue_data(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: Bytes) {
        if self.role == Role::Server && payload.len() >= ZERO_COPY_MIN {
            let n = self.push_header(opcode, fin, rsv, None, payload.len());
            self.out.grew(n);
            self.out.push_chunk(payload);
        } else {
            self.queue_frame(opcode, fin, rsv, &payload);
        }
    }
    // ANCHOR_END: queue_data

    // ANCHOR: queue_frame
    /// Appends a frame (header and, masked if we are the client, payload).
    pub(super) fn queue_frame(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: &[u8]) {
        let mask = match self.role {
            // RFC 6455 §5.3: "The masking key needs to be unpredictable ...
            // a fresh masking key for each frame".
            Role::Client => Some(self.mask_source.as_mut().map_or_else(rand::random, |f| f())),
            Role::Server => None,
        };
        self.out.tail().reserve(Header::MAX_LEN + payload.len());
        let n = self.push_header(opcode, fin, rsv, mask, payload.len());
        let tail = self.out.tail();
        let start = tail.len();
        tail.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut tail[start..], key, 0);
        }
        self.out.grew(n + payload.len());
    }
    // ANCHOR_END: queue_frame

    /// Appends a frame header (§5.2) to the transmit queue's tail and
    /// returns its length; the caller accounts for it with the payload.
    fn push_header(
        &mut self,
        opcode: OpCode,
        fin: bool,
        rsv: u8,
        mask: Option<[u8; 4]>,
        payload_len: usize,
    ) -> usize {
        let header = Header {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: payload_len as u64,
        };
        let mut buf = [0; Header::MAX_LEN];
        let n = header.encode(&mut buf);
        self.out.tail().extend_from_slice(&buf[..n]);
        n
    }

    /// Takes the next chunk of bytes to write to the peer.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.pop()
    }

    /// Fills `dst` with the waiting bytes, in order, for a vectored write;
    /// returns how many slices it filled. Call
    /// [`Connection::advance_transmit`] with the number of bytes written.
    pub fn transmit_chunks<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.out.chunks(dst)
    }

    /// Drops `n` bytes from the front of the transmit queue.
    ///
    /// # Panics
    /// If `n` exceeds [`Connection::transmit_len`].
    pub fn advance_transmit(&mut self, n: usize) {
        self.out.advance(n);
    }

    /// How many bytes wait to be written (the figure to compare against a
    /// write-buffer high-water mark).
    pub const fn transmit_len(&self) -> usize {
        self.out.len()
    }

    /// Whether the WebSocket is finished: closed, with nothing left to write.
    pub const fn is_done(&self) -> bool {
        matches!(self.state, State::Closed) && self.out.len() == 0
    }
}
