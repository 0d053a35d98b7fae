//! The sans-IO WebSocket connection: one state machine per connection and role.
//!
//! ```text
//!   bytes from the peer                               bytes to the peer
//!  ─────────────────────► receive() ┐        ┌► poll_transmit() / transmit_chunks()
//!                         receive_eof()      │
//!                                   ▼        │
//!                ┌──────────────────────────────────────┐
//!                │ Connection                           │
//!                │  header → payload (unmask, UTF-8)    │
//!                │  → message assembly → events         │
//!                │  automatic Pong and Close reply ─────┘
//!                └──────────────────────────────────────┘
//!                                   │        ▲
//!               poll_event() ◄──────┘        └── send_text(), send_binary(),
//!   (Text, Binary, Ping, Pong, Close)             ping(), pong(), close()
//! ```
//!
//! # How to drive it
//!
//! 1. Feed every byte read from the transport to [`Connection::receive`] (or
//!    append it to [`Connection::read_buf`]), and the end of the stream to
//!    [`Connection::receive_eof`].
//! 2. Call [`Connection::poll_event`] until it returns `Ok(None)`. Frames are
//!    decoded lazily here; an `Err` is a protocol violation whose Close frame
//!    has already been queued, after which the connection is closed.
//! 3. Call the `send_*` commands whenever the application wants.
//! 4. After 2 and 3, write out everything [`Connection::poll_transmit`] gives
//!    (an automatic Pong or Close reply may be waiting even if the
//!    application sent nothing).
//! 5. When [`Connection::state`] is [`State::Closed`] and the transmit queue
//!    is empty, the WebSocket is done: the server closes the TCP connection
//!    first (RFC 6455 §7.1.1); a client waits for the server to do so.
//!
//! ```
//! use ws_frame::{Connection, Config, Event, Role};
//! let mut server = Connection::new(Role::Server, Config::default());
//! // RFC 6455 §5.7: a masked text frame "Hello" from a client.
//! server.receive(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//! let Some(Event::Text(text)) = server.poll_event().unwrap() else { panic!() };
//! assert_eq!(text, "Hello");
//! server.send_text(text).unwrap();
//! assert_eq!(&server.poll_transmit().unwrap()[..], b"\x81\x05Hello");
//! ```

use std::fmt;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::close::truncate_utf8;
use crate::extension::Extension;
use crate::header::Header;
use crate::mask::apply_mask;
use crate::transmit::{TransmitQueue, ZERO_COPY_MIN};
use crate::utf8::{Utf8Bytes, Utf8Validator};
use crate::{CloseCode, CloseFrame, Error, OpCode};

/// Which end of the connection this is (RFC 6455 §5.1: clients mask, servers don't).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that opened the connection; masks every frame it sends.
    Client,
    /// The end that accepted it; never masks.
    Server,
}

/// Whether a data message is text or binary (RFC 6455 §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Arbitrary bytes (opcode 0x2).
    Binary,
}

impl MessageKind {
    const fn opcode(self) -> OpCode {
        match self {
            Self::Text => OpCode::Text,
            Self::Binary => OpCode::Binary,
        }
    }
}

// ANCHOR: config
/// Limits and behaviour of a [`Connection`] (the limits RFC 6455 §10.4 asks for).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Largest payload of a single received frame, checked against the
    /// header before any of the payload is buffered; larger: close 1009.
    /// Bounds the receive buffer. Default 16 MiB.
    pub max_frame_size: usize,
    /// Largest reassembled (and, with an extension, decoded) received
    /// message; larger: close 1009. Bounds the message buffer.
    /// Default 64 MiB.
    pub max_message_size: usize,
    /// Deliver data frames as [`Event::Fragment`]s as soon as each frame is
    /// complete instead of reassembling whole messages, so a huge message is
    /// received as a stream. `max_message_size` then does not apply (except
    /// to an extension's output per frame). Default `false`.
    pub stream_messages: bool,
    /// Answer every Ping with a Pong automatically (§5.5.2). Default `true`.
    pub auto_pong: bool,
}
// ANCHOR_END: config

impl Default for Config {
    fn default() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            stream_messages: false,
            auto_pong: true,
        }
    }
}

// ANCHOR: state_enum
/// The closing-handshake state (RFC 6455 §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent a Close frame and wait for the peer's (§7.1.2). Incoming
    /// messages are still delivered; nothing but Pongs is sent.
    Closing,
    /// The closing handshake is complete, or the connection failed. Nothing
    /// more is read or sent once the transmit queue is drained.
    Closed,
}
// ANCHOR_END: state_enum

/// A piece of a message (RFC 6455 §5.4), delivered when [`Config::stream_messages`] is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// Text or binary: the opcode of the message's first frame.
    pub kind: MessageKind,
    /// The first piece of the message.
    pub first: bool,
    /// The last piece of the message.
    pub fin: bool,
    /// The (unmasked, decoded) payload of this piece. For text, the UTF-8 of
    /// the whole message is validated, but a piece may end inside a character.
    pub data: Bytes,
}

// ANCHOR: event_enum
/// Something received from the peer: a data message (RFC 6455 §5.6) or a
/// control frame (§5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A complete text message, validated as UTF-8 (§5.6).
    Text(Utf8Bytes),
    /// A complete binary message.
    Binary(Bytes),
    /// A piece of a data message (only with [`Config::stream_messages`]).
    Fragment(Fragment),
    /// A Ping; unless [`Config::auto_pong`] is off, the Pong is already queued.
    Ping(Bytes),
    /// A Pong (an answer to our Ping, or unsolicited).
    Pong(Bytes),
    /// The peer's Close frame (`None`: it had no body). The reply, when
    /// due, is already queued and the state is [`State::Closed`].
    Close(Option<CloseFrame>),
}
// ANCHOR_END: event_enum

/// Where the decoder is in the byte stream.
#[derive(Clone, Copy, Debug)]
enum ReadState {
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

/// The data message being received.
#[derive(Debug)]
struct Incoming {
    kind: MessageKind,
    /// RSV bits of the first frame: non-zero means an extension decodes it.
    rsv: u8,
    /// Whether a fragment was already delivered (streaming mode).
    delivered_first: bool,
    /// Reassembled (or decoded) payload so far.
    buf: BytesMut,
    /// Raw bytes received so far (for the size limit without an extension).
    size: usize,
}

/// The most receive-buffer room reserved ahead of the bytes that have
/// arrived. The buffer still grows geometrically for a large frame, but
/// memory is only committed as the peer actually sends.
const RESERVE_AHEAD: usize = 64 * 1024;

/// Where masks come from (§5.3: "a strong source of entropy").
type MaskSource = Box<dyn FnMut() -> [u8; 4] + Send>;

/// A WebSocket connection without IO (RFC 6455 §5–§7). See the [module docs](self) for the
/// call order.
pub struct Connection {
    role: Role,
    config: Config,
    state: State,
    read: ReadState,
    inbuf: BytesMut,
    eof: bool,
    /// Reading has stopped: the peer's Close arrived, or the connection failed.
    read_done: bool,
    incoming: Option<Incoming>,
    utf8: Utf8Validator,
    /// The kind of the fragmented message we are sending, if any.
    outgoing: Option<MessageKind>,
    out: TransmitQueue,
    extension: Option<Box<dyn Extension>>,
    mask_source: Option<MaskSource>,
    close_sent: Option<CloseCode>,
    close_received: Option<Option<CloseFrame>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("buffered_in", &self.inbuf.len())
            .field("buffered_out", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection in the [`State::Open`] state, as after a successful
    /// opening handshake.
    pub fn new(role: Role, config: Config) -> Self {
        Self {
            role,
            config,
            state: State::Open,
            read: ReadState::Header,
            inbuf: BytesMut::new(),
            eof: false,
            read_done: false,
            incoming: None,
            utf8: Utf8Validator::default(),
            outgoing: None,
            out: TransmitQueue::default(),
            extension: None,
            mask_source: None,
            close_sent: None,
            close_received: None,
        }
    }

    /// Replaces the source of masking keys (client role), e.g. with a fixed
    /// key for byte-exact tests. The default draws each key from the
    /// thread-local cryptographically secure generator of `rand`.
    #[must_use]
    pub fn with_mask_source(mut self, source: impl FnMut() -> [u8; 4] + Send + 'static) -> Self {
        self.mask_source = Some(Box::new(source));
        self
    }

    /// Installs the extension negotiated in the handshake (e.g. permessage-deflate).
    pub fn set_extension(&mut self, extension: Box<dyn Extension>) {
        self.extension = Some(extension);
    }

    /// This end's role.
    pub const fn role(&self) -> Role {
        self.role
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// The closing-handshake state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// The peer's Close frame, once received (`Some(None)`: it had no body).
    pub const fn close_received(&self) -> Option<&Option<CloseFrame>> {
        self.close_received.as_ref()
    }

    /// The code of the Close frame we sent, if any.
    pub const fn close_sent(&self) -> Option<CloseCode> {
        self.close_sent
    }

    // ------------------------------------------------------------------
    // Input
    // ------------------------------------------------------------------

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
    pub fn read_hint(&self) -> usize {
        match self.read {
            ReadState::Header => 1,
            ReadState::Payload { len, .. } => {
                len.saturating_sub(self.inbuf.len()).clamp(1, RESERVE_AHEAD)
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
        if self.read_done {
            return Ok(None);
        }
        if self.inbuf.is_empty() && !self.eof && matches!(self.read, ReadState::Header) {
            // Nothing to decode: the common case of an IO layer asking
            // before it reads.
            return Ok(None);
        }
        match self.decode() {
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) if self.eof => {
                // The stream ended without (the rest of) a Close frame.
                self.read_done = true;
                self.state = State::Closed;
                self.inbuf = BytesMut::new();
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
        self.read_done = true;
        self.inbuf = BytesMut::new();
        self.incoming = None;
        if self.close_sent.is_none() && error.is_protocol_violation() {
            let frame = CloseFrame::new(error.close_code(), "");
            self.queue_close(&frame);
        }
        self.state = State::Closed;
    }
    // ANCHOR_END: fail

    // ANCHOR: decode
    fn decode(&mut self) -> Result<Option<Event>, Error> {
        loop {
            match self.read {
                ReadState::Header => {
                    let Some((header, header_len)) = Header::parse(&self.inbuf)? else {
                        return Ok(None);
                    };
                    let len = self.check_header(&header)?;
                    self.inbuf.advance(header_len);
                    // Make room for the payload as it arrives, at most
                    // `RESERVE_AHEAD` at a time: a 14-byte header announcing
                    // 16 MiB must not make us allocate 16 MiB up front.
                    // Plus room for the next frame's header: a read that
                    // fills the buffer exactly cannot tell the IO layer that
                    // the socket is drained (tokio then keeps it marked
                    // readable, and the next read is a wasted syscall).
                    let missing = len.saturating_sub(self.inbuf.len());
                    if missing > 0 {
                        self.inbuf
                            .reserve(missing.min(RESERVE_AHEAD) + Header::MAX_LEN);
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
                    if self.inbuf.is_empty() && self.inbuf.capacity() > 64 * 1024 {
                        // After a large frame, let an idle connection shrink.
                        self.inbuf = BytesMut::new();
                    }
                    if let Some(event) = self.on_frame(header, payload)? {
                        return Ok(Some(event));
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

    // ANCHOR: on_frame
    fn on_frame(&mut self, header: Header, payload: Bytes) -> Result<Option<Event>, Error> {
        match header.opcode {
            OpCode::Ping => {
                // Our own Close does not excuse us: only the peer's does,
                // and after it nothing more is read.
                if self.config.auto_pong && self.state != State::Closed {
                    // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an
                    // endpoint MUST send a Pong frame in response, unless it
                    // already received a Close frame ... [with] identical
                    // Application data".
                    self.queue_frame(OpCode::Pong, true, 0, &payload);
                }
                Ok(Some(Event::Ping(payload)))
            }
            OpCode::Pong => Ok(Some(Event::Pong(payload))),
            OpCode::Close => self.on_close(&payload).map(Some),
            OpCode::Text | OpCode::Binary | OpCode::Continuation => self.on_data(header, payload),
        }
    }
    // ANCHOR_END: on_frame

    // ANCHOR: on_close
    fn on_close(&mut self, payload: &[u8]) -> Result<Event, Error> {
        let frame = CloseFrame::parse(payload)?;
        if self.close_sent.is_none() {
            // RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did
            // not previously send a Close frame, the endpoint MUST send a
            // Close frame in response. ... typically echoing the status code
            // it received."
            let reply = frame.as_ref().map(|f| CloseFrame::new(f.code, ""));
            match reply {
                Some(reply) => self.queue_close(&reply),
                None => self.queue_close_empty(),
            }
        }
        // Data after the Close frame is ignored (§1.4: the peer sends nothing more).
        self.read_done = true;
        self.inbuf = BytesMut::new();
        self.incoming = None;
        self.state = State::Closed;
        self.close_received = Some(frame.clone());
        Ok(Event::Close(frame))
    }
    // ANCHOR_END: on_close

    // ANCHOR: on_data
    fn on_data(&mut self, header: Header, payload: Bytes) -> Result<Option<Event>, Error> {
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

    // ------------------------------------------------------------------
    // Commands
    // ------------------------------------------------------------------

    /// Queues a text message (RFC 6455 §5.6).
    ///
    /// # Errors
    /// [`Error::Closed`] after a Close frame was sent or received (§5.5.1);
    /// [`Error::InvalidSend`] while a fragmented message is being sent.
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), Error> {
        self.send_message(MessageKind::Text, text.into().into_bytes())
    }

    /// Queues a binary message (RFC 6455 §5.6).
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), Error> {
        self.send_message(MessageKind::Binary, data.into())
    }

    /// Queues a complete message of either kind. Text must be valid UTF-8
    /// (use [`Connection::send_text`] to have the type system ensure it).
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_message(&mut self, kind: MessageKind, data: Bytes) -> Result<(), Error> {
        self.check_can_send_data()?;
        if self.outgoing.is_some() {
            return Err(Error::InvalidSend("a fragmented message is in progress"));
        }
        let (payload, rsv) = match &mut self.extension {
            Some(ext) => ext.encode_message(kind, &data)?.unwrap_or((data, 0)),
            None => (data, 0),
        };
        self.queue_data(kind.opcode(), true, rsv, payload);
        Ok(())
    }

    // ANCHOR: send_fragment
    /// Queues one fragment of a message sent in pieces (§5.4): `first` on the
    /// first piece (which sets the kind), `fin` on the last. Extensions do
    /// not transform fragments sent this way.
    ///
    /// # Errors
    /// [`Error::Closed`] after a Close; [`Error::InvalidSend`] for a first
    /// piece while a message is in progress, or a later piece without one.
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        first: bool,
        fin: bool,
    ) -> Result<(), Error> {
        self.check_can_send_data()?;
        let opcode = match (first, self.outgoing) {
            (true, None) => kind.opcode(),
            (false, Some(k)) if k == kind => OpCode::Continuation,
            (true, Some(_)) => {
                return Err(Error::InvalidSend("a fragmented message is in progress"));
            }
            (false, _) => {
                return Err(Error::InvalidSend(
                    "no fragmented message of this kind in progress",
                ));
            }
        };
        self.outgoing = if fin { None } else { Some(kind) };
        self.queue_data(opcode, fin, 0, data);
        Ok(())
    }
    // ANCHOR_END: send_fragment

    /// Queues a Ping (§5.5.2) with up to 125 bytes of application data.
    ///
    /// # Errors
    /// [`Error::InvalidSend`] for a payload over 125 bytes; [`Error::Closed`]
    /// after a Close was sent.
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.send_control(OpCode::Ping, &payload.into())
    }

    /// Queues a Pong: the answer to a Ping when [`Config::auto_pong`] is off
    /// (also allowed in [`State::Closing`], §5.5.2), or an unsolicited one
    /// (§5.5.3: "serves as a unidirectional heartbeat").
    ///
    /// # Errors
    /// [`Error::InvalidSend`] for a payload over 125 bytes; [`Error::Closed`]
    /// once the state is [`State::Closed`].
    pub fn pong(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.send_control(OpCode::Pong, &payload.into())
    }

    // ANCHOR: close_command
    /// Starts the closing handshake (§7.1.2) with a code and a reason (cut to
    /// 123 bytes at a character boundary). The state becomes
    /// [`State::Closing`], or [`State::Closed`] if the peer's Close was
    /// already received.
    ///
    /// # Errors
    /// [`Error::Closed`] if a Close was already sent; [`Error::InvalidSend`]
    /// for a code that may not be sent (1005, 1006, 1015, …; §7.4).
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if !code.is_valid_on_wire() {
            return Err(Error::InvalidSend("this close code may not be sent"));
        }
        if self.close_sent.is_some() || self.state == State::Closed {
            return Err(Error::Closed);
        }
        self.queue_close(&CloseFrame::new(
            code,
            truncate_utf8(reason, crate::close::MAX_REASON_LEN),
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
    /// [`Error::Closed`] if a Close was already sent.
    pub fn close_without_status(&mut self) -> Result<(), Error> {
        if self.close_sent.is_some() || self.state == State::Closed {
            return Err(Error::Closed);
        }
        self.queue_close_empty();
        self.state = State::Closing;
        Ok(())
    }

    fn check_can_send_data(&self) -> Result<(), Error> {
        // RFC 6455 §5.5.1: "After sending a Close frame, the endpoint MUST
        // NOT send any more data frames."
        if self.close_sent.is_some() || self.state != State::Open {
            return Err(Error::Closed);
        }
        Ok(())
    }

    // ANCHOR: send_control
    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > 125 {
            return Err(Error::InvalidSend("control frame payload over 125 bytes"));
        }
        // A Pong may still answer a Ping while we wait for the peer's Close
        // (§5.5.2); nothing else is sent after our Close.
        let pong_while_closing = opcode == OpCode::Pong && self.state == State::Closing;
        if (self.close_sent.is_some() && !pong_while_closing) || self.state == State::Closed {
            return Err(Error::Closed);
        }
        self.queue_frame(opcode, true, 0, payload);
        Ok(())
    }
    // ANCHOR_END: send_control

    fn queue_close(&mut self, frame: &CloseFrame) {
        self.queue_frame(OpCode::Close, true, 0, &frame.encode());
        self.close_sent = Some(frame.code);
    }

    fn queue_close_empty(&mut self) {
        self.queue_frame(OpCode::Close, true, 0, &[]);
        self.close_sent = Some(CloseCode::NO_STATUS);
    }

    // ANCHOR: queue_data
    /// Queues a data frame, by reference when it is large and needs no mask.
    fn queue_data(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: Bytes) {
        if self.role == Role::Server && payload.len() >= ZERO_COPY_MIN {
            let header = Header {
                fin,
                rsv,
                opcode,
                mask: None,
                payload_len: payload.len() as u64,
            };
            let mut buf = [0; Header::MAX_LEN];
            let n = header.encode(&mut buf);
            self.out.tail().extend_from_slice(&buf[..n]);
            self.out.grew(n);
            self.out.push_chunk(payload);
        } else {
            self.queue_frame(opcode, fin, rsv, &payload);
        }
    }
    // ANCHOR_END: queue_data

    // ANCHOR: queue_frame
    /// Appends a frame (header and, masked if we are the client, payload).
    fn queue_frame(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: &[u8]) {
        let mask = match self.role {
            // RFC 6455 §5.3: "The masking key needs to be unpredictable ...
            // a fresh masking key for each frame".
            Role::Client => Some(self.mask_source.as_mut().map_or_else(rand::random, |f| f())),
            Role::Server => None,
        };
        let header = Header {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        let mut buf = [0; Header::MAX_LEN];
        let n = header.encode(&mut buf);
        let tail = self.out.tail();
        tail.reserve(n + payload.len());
        tail.extend_from_slice(&buf[..n]);
        let start = tail.len();
        tail.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut tail[start..], key, 0);
        }
        self.out.grew(n + payload.len());
    }
    // ANCHOR_END: queue_frame

    // ------------------------------------------------------------------
    // Output
    // ------------------------------------------------------------------

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

fn message(kind: MessageKind, data: Bytes) -> Event {
    match kind {
        MessageKind::Text => Event::Text(Utf8Bytes::from_validated(data)),
        MessageKind::Binary => Event::Binary(data),
    }
}
