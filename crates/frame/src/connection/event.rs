//! What the connection reports: events from the peer and the closing-handshake state.

use bytes::Bytes;

use crate::close::CloseFrame;
use crate::message::MessageKind;
use crate::utf8::Utf8Bytes;

#[cfg(doc)]
use super::Config;

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
