//! What to do with the transport at the end (RFC 6455 §7.1.1, §7.1.7): who
//! closes the TCP connection first, and when it may be dropped.
//!
//! RFC 6455 §7.1.1: "The underlying TCP connection, in most normal cases,
//! SHOULD be closed first by the server, so that it holds the TIME_WAIT
//! state and not the client (as this would prevent it from re-opening the
//! connection for 2 maximum segment lifetimes (2MSL) ...)". And: "a client
//! SHOULD wait for the server to close the connection but MAY close the
//! connection at any time after sending and receiving a Close message,
//! e.g., if it has not received a TCP Close from the server in a
//! reasonable time period." That reasonable time is
//! [`Config::close_timeout`](super::Config::close_timeout), run by the
//! `timers` module; this one only decides, from the state, the role and
//! what the IO layer has reported, which step comes next.

use super::{Connection, State};
use crate::role::Role;

// ANCHOR: transport_enum
/// The next thing the IO layer should do with the transport, from
/// [`Connection::transport`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// The WebSocket is open or closing: read and write as usual.
    Open,
    /// Write out the transmit queue, then shut the transport down for
    /// writing (TCP FIN, TLS close_notify) and report it with
    /// [`Connection::transport_shut_down`]. A server does this after the
    /// closing handshake (§7.1.1: it closes first), and after failing the
    /// connection (§7.1.7).
    ShutDown,
    /// Write out the transmit queue, then read and discard until the peer
    /// ends the stream, and report that with
    /// [`Connection::receive_eof`]. A client waits so after the closing
    /// handshake (§7.1.1: the server closes first); both roles after
    /// failing the connection, because closing a socket with unread bytes
    /// makes TCP send a reset, which may destroy our Close frame before the
    /// peer has read it.
    AwaitEof,
    /// Finished: shut the transport down if that was not done yet (without
    /// waiting if [`Connection::timed_out`]) and drop it. Nothing more is
    /// written.
    Finished,
}
// ANCHOR_END: transport_enum

impl Connection {
    // ANCHOR: transport
    /// What to do with the transport now (see [`Transport`]).
    pub fn transport(&self) -> Transport {
        if self.state != State::Closed {
            return Transport::Open;
        }
        if self.timed_out() {
            // §7.1.1: "MAY close the connection at any time ... if it has
            // not received a TCP Close from the server in a reasonable time".
            return Transport::Finished;
        }
        let server = self.role == Role::Server;
        if self.close_received.is_some() {
            // The closing handshake is complete (§7.1.1).
            return match (server, self.shut_down, self.eof) {
                (true, false, _) => Transport::ShutDown,
                (false, _, false) => Transport::AwaitEof,
                _ => Transport::Finished,
            };
        }
        if self.failed {
            // §7.1.7: our Close is queued; let the peer read it.
            return match (server && !self.shut_down, self.eof) {
                (true, _) => Transport::ShutDown,
                (false, false) => Transport::AwaitEof,
                (false, true) => Transport::Finished,
            };
        }
        // The stream ended without a Close (1006): nothing to say.
        Transport::Finished
    }
    // ANCHOR_END: transport

    /// Tells the connection the IO layer has shut the transport down for
    /// writing (after [`Transport::ShutDown`]).
    pub const fn transport_shut_down(&mut self) {
        self.shut_down = true;
    }
}
