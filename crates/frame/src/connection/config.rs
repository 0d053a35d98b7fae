//! The limits and behaviour of a connection (RFC 6455 §10.4), and its
//! protocol deadlines (keepalive §5.5.2, idle, closing §7.1.1).

use std::time::Duration;

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
    /// Send a Ping (§5.5.2) after this much silence from the peer (nothing
    /// received, no keepalive Ping sent), and measure the round trip when
    /// its Pong comes back ([`Connection::rtt`]). `None`: off (the default).
    pub keepalive_interval: Option<Duration>,
    /// Nothing at all received from the peer for this long: send Close 1001
    /// (Going Away, §7.4.1) and, if the peer does not answer within
    /// `close_timeout`, give up. `None`: off (the default).
    pub idle_timeout: Option<Duration>,
    /// How long the closing handshake may take once a Close was sent or
    /// received, or the connection failed (§7.1.1, §7.1.7): waiting for the
    /// peer's Close after ours, writing out our Close, and, for a client,
    /// waiting for the server to close the TCP connection. Default 5 s.
    pub close_timeout: Duration,
}
// ANCHOR_END: config

impl Default for Config {
    fn default() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            stream_messages: false,
            auto_pong: true,
            keepalive_interval: None,
            idle_timeout: None,
            close_timeout: Duration::from_secs(5),
        }
    }
}
