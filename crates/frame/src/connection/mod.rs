//! The sans-IO WebSocket connection: one state machine per connection and
//! role. How to drive it is in the docs of [`Connection`].
//!
//! # Where each part lives
//!
//! | file | RFC 6455 | what it holds |
//! |---|---|---|
//! | `mod.rs` | §7 | the [`Connection`] struct, its constructor and accessors |
//! | `config.rs` | §10.4 | [`Config`]: limits and behaviour |
//! | `event.rs` | §5.4–§5.6, §7 | [`Event`], [`Fragment`], [`State`] |
//! | `receive.rs` | §5.2, §5.3, §7.1.7 | the receive buffer, frame decoding, failing |
//! | `borrowed.rs` | §5.4, §8.1 | [`Borrowed`]: messages lent from the receive buffer |
//! | `control.rs` | §5.5 | Ping, Pong and the peer's Close |
//! | `assemble.rs` | §5.4, §8.1 | fragments into messages |
//! | `send.rs` | §5.2–§5.5 | the `send_*` commands, framing, the transmit queue |
//! | `timers/` | §5.5.2, §7.1.1 | keepalive Ping and RTT, idle timeout, closing deadline |
//! | `transport.rs` | §7.1.1, §7.1.7 | [`Transport`]: who closes TCP first, when to drop it |

mod assemble;
mod borrowed;
mod config;
mod control;
mod event;
mod receive;
mod send;
mod timers;
mod transport;

use std::fmt;
use std::time::Instant;

use bytes::BytesMut;

pub use borrowed::Borrowed;
pub use config::Config;
pub use event::{Event, Fragment, State};
pub use send::SharedSend;
pub use transport::Transport;

use crate::close::{CloseCode, PeerClose};
use crate::extension::Extension;
use crate::message::MessageKind;
use crate::role::Role;
use crate::transmit::TransmitQueue;
use crate::utf8::Utf8Validator;
use assemble::Incoming;
use receive::ReadState;
use timers::Timers;

/// Where masks come from (§5.3: "a strong source of entropy").
type MaskSource = Box<dyn FnMut() -> [u8; 4] + Send>;

/// A WebSocket connection without IO (RFC 6455 §5–§7).
///
/// ```text
///   bytes from the peer                               bytes to the peer
///  ─────────────────────► receive() ┐        ┌► poll_transmit() / transmit_chunks()
///                         receive_eof()      │
///                                   ▼        │
///                ┌──────────────────────────────────────┐
///                │ Connection                           │
///                │  header → payload (unmask, UTF-8)    │
///                │  → message assembly → events         │
///                │  automatic Pong and Close reply ─────┘
///                └──────────────────────────────────────┘
///                                   │        ▲
///               poll_event() ◄──────┘        └── send_text(), send_binary(),
///   (Text, Binary, Ping, Pong, Close)             ping(), pong(), close()
/// ```
///
/// # How to drive it
///
/// 1. Feed every byte read from the transport to [`Connection::receive`] (or
///    append it to [`Connection::read_buf`]), and the end of the stream to
///    [`Connection::receive_eof`].
/// 2. Call [`Connection::poll_event`] (or [`Connection::poll_borrowed`],
///    which lends single-frame messages out of the receive buffer) until it
///    returns `Ok(None)`. Frames are
///    decoded lazily here; an `Err` is a protocol violation whose Close frame
///    has already been queued, after which the connection is closed.
/// 3. Call the `send_*` commands whenever the application wants.
/// 4. After 2 and 3, write out everything [`Connection::poll_transmit`] gives
///    (an automatic Pong or Close reply may be waiting even if the
///    application sent nothing).
/// 5. Sleep (or read with a timeout) until [`Connection::poll_timeout`] and
///    then call [`Connection::handle_timeout`] with the time: keepalive
///    Pings, the idle timeout and the closing deadline are run here, not in
///    the IO layer (see the `timers` module). Call it at once when
///    [`Connection::needs_time`] says so.
/// 6. Once [`Connection::state`] is [`State::Closed`], do what
///    [`Connection::transport`] says: the server closes the TCP connection
///    first (RFC 6455 §7.1.1); a client waits for the server to do so, at
///    most [`Config::close_timeout`].
///
/// ```
/// use ws_frame::{Connection, Config, Event, Role};
/// let mut server = Connection::new(Role::Server, Config::default());
/// // RFC 6455 §5.7: a masked text frame "Hello" from a client.
/// server.receive(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// let Some(Event::Text(text)) = server.poll_event().unwrap() else { panic!() };
/// assert_eq!(text, "Hello");
/// server.send_text(text).unwrap();
/// assert_eq!(&server.poll_transmit().unwrap()[..], b"\x81\x05Hello");
/// ```
///
pub struct Connection {
    role: Role,
    config: Config,
    state: State,
    read: ReadState,
    inbuf: BytesMut,
    /// A message at the front of `inbuf` handed out by `poll_borrowed`,
    /// released on the next call.
    lent: Option<borrowed::Lent>,
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
    close_received: Option<PeerClose>,
    /// The connection failed (§7.1.7): a protocol error, not the end of
    /// the stream.
    failed: bool,
    /// The IO layer shut the transport down for writing.
    shut_down: bool,
    timers: Timers,
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
        let mut conn = Self {
            role,
            config,
            state: State::Open,
            read: ReadState::Header,
            inbuf: BytesMut::new(),
            lent: None,
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
            failed: false,
            shut_down: false,
            timers: Timers::new(Instant::now()),
        };
        conn.start_timers(Instant::now());
        conn
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

    /// The peer's Close frame, once received.
    pub const fn close_received(&self) -> Option<&PeerClose> {
        self.close_received.as_ref()
    }

    /// The code of the Close frame we sent, if any.
    pub const fn close_sent(&self) -> Option<CloseCode> {
        self.close_sent
    }
}
