//! The limits and behaviour of a connection (RFC 6455 §10.4).

#[cfg(doc)]
use super::{Connection, Event};

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
