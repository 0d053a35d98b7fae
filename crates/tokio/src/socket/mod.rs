//! The IO driver: one sans-IO [`Connection`] plus the transport. Everything
//! the public types do is a `poll_*` method here, called with the lock held
//! and never across an `.await`, so all state lives in this struct and not
//! in any future: that is what makes `recv` cancel-safe and lets two tasks
//! share one socket.
//!
//! An unsplit [`WebSocket`](crate::WebSocket) owns this struct outright
//! and polls the transport with its own task's waker; only
//! [`WebSocket::split`](crate::WebSocket::split) puts it behind a mutex and
//! installs the [`TaskWakers`] that wake both halves (see [`Split`]).
//!
//! This is a pump. The protocol's rules, deadlines included, are the
//! core's: keepalive, idle timeout, closing deadline and who closes TCP
//! first (RFC 6455 §7.1.1) are decided by [`Connection::handle_timeout`] and
//! [`Connection::transport`]; this driver reads, writes, shuts down, and
//! sleeps until [`Connection::poll_timeout`].
//!
//! ```text
//!             poll_recv (reader)                    poll_send_ready / poll_flush (writer)
//!   ┌──────────────────────────────────┐          ┌────────────────────────────────┐
//!   │ 1. write out queued bytes        │          │ queue(msg) → Connection        │
//!   │ 2. Connection::poll_event        │          │ write queued bytes (vectored)  │
//!   │ 3. read into Connection::read_buf│          │ until ≤ high-water (or empty)  │
//!   │ 4. nothing to read: tell the core│          └────────────────────────────────┘
//!   │    the time, sleep until its     │
//!   │    poll_timeout()                │
//!   │ (2 and 3 pause while the Pongs   │
//!   │  we owe exceed the high-water)   │
//!   └──────────────────────────────────┘
//!           │ Close received / protocol error / EOF / timeout
//!           ▼
//!   Ending: do what Connection::transport() says (flush and shut down,
//!           read until EOF, drop), hand out the last item
//!   Done: recv returns None
//! ```
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Inner`], its constructor and accessors, the read loop |
//! | `read.rs` | reading into the connection, draining |
//! | `write.rs` | the write queue, the writer's `poll_*` methods |
//! | `ending.rs` | the end of a connection, as the core directs it |
//! | `split.rs` | what a split socket adds: the wakers of both halves |
//! | `timer.rs` | the one `Sleep`, armed for the core's next deadline |

mod ending;
mod read;
mod split;
mod timer;
mod write;

#[cfg(test)]
mod tests;

use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use ws_frame::{Borrowed, Connection, Event, Role, State};

use crate::{Config, Error, Message};
use split::Split;

/// What one receive hands out: an owned message, or (for
/// [`Inner::poll_recv_lend`]) a message left in the connection's receive
/// buffer, to be looked at with [`Connection::lent`].
pub(crate) enum Item {
    Message(Message),
    Lent,
}

/// Where the connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Messages flow (this includes waiting for the answer to our Close).
    Open,
    /// The connection is ending: the steps [`Connection::transport`] names
    /// are run before (or, for a client waiting for the server's EOF,
    /// after) the last item is handed out.
    Ending,
    /// Finished: `recv` returns `None`.
    Done,
}

/// The state of a [`WebSocket`](crate::WebSocket) (owned by it) or of its
/// halves (shared behind a mutex).
pub(crate) struct Inner<S> {
    stream: S,
    conn: Connection,
    config: Config,
    /// `Some` once split: one task per half, each to be woken.
    split: Option<Split>,
    phase: Phase,
    /// The last item of an ending connection: the peer's Close, or the
    /// error that ended it.
    last_item: Option<Result<Message, Error>>,
    /// One timer, armed for the core's next deadline.
    timer: Option<Pin<Box<Sleep>>>,
    timer_at: Option<Instant>,
    /// The waker the armed timer was last polled with: while it is the
    /// same and the deadline is ahead, the timer need not be polled again.
    timer_waker: Option<Waker>,
    /// Queued bytes the reader itself caused (automatic Pongs, keepalive
    /// Pings, the Close reply), at most: a peer that sends Pings but never
    /// reads must not grow our queue without end, but the application's own
    /// sends must not stop the reading (two peers that both write and read
    /// would deadlock).
    reader_debt: usize,
    /// A write failed: the queue was dropped and nothing more is written.
    write_failed: bool,
    /// The transport was shut down for writing.
    shutdown: bool,
    /// The reader half still exists (see `WebSocketWriter::close`).
    pub(crate) reader_alive: bool,
}

impl<S> Inner<S> {
    pub(crate) fn new(
        stream: S,
        role: Role,
        config: Config,
        leftover: BytesMut,
        extension: Option<Box<dyn ws_frame::Extension>>,
    ) -> Self {
        let mut conn = Connection::new(role, config.frame_config());
        // The core's clock is tokio's (which tests may pause).
        conn.set_start_time(Instant::now().into_std());
        if let Some(extension) = extension {
            conn.set_extension(extension);
        }
        if !leftover.is_empty() {
            // Bytes read past the HTTP head are the first frames (§4.2.2, §4.1).
            *conn.read_buf() = leftover;
        }
        Self {
            stream,
            conn,
            config,
            split: None,
            phase: Phase::Open,
            last_item: None,
            timer: None,
            timer_at: None,
            timer_waker: None,
            reader_debt: 0,
            write_failed: false,
            shutdown: false,
            reader_alive: true,
        }
    }

    pub(crate) const fn rtt(&self) -> Option<Duration> {
        self.conn.rtt()
    }

    pub(crate) const fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) const fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) const fn stream(&self) -> &S {
        &self.stream
    }

    /// Whether the read side is finished or finishing (the closing handshake
    /// is over from the reader's point of view).
    pub(crate) fn read_finished(&self) -> bool {
        self.phase != Phase::Open
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Inner<S> {
    /// The next message, or `None` once the connection is finished.
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        self.register_reader(cx.waker());
        let item = ready!(self.with_io(cx, |this, cx, io| this.poll_recv_io(cx, io, false)));
        Poll::Ready(item.map(|item| item.map(|item| self.owned(item))))
    }

    /// Like [`Inner::poll_recv`], but a message that arrived in one plain
    /// frame stays in the receive buffer ([`Item::Lent`]) until the next call.
    pub(crate) fn poll_recv_lend(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Item, Error>>> {
        self.register_reader(cx.waker());
        self.with_io(cx, |this, cx, io| this.poll_recv_io(cx, io, true))
    }

    /// An item as an owned message (a lent one is copied out; `poll_recv`
    /// never asks for one).
    fn owned(&self, item: Item) -> Message {
        match item {
            Item::Message(message) => message,
            Item::Lent => match self.conn.lent() {
                Some((ws_frame::MessageKind::Text, bytes)) => {
                    let bytes = bytes::Bytes::copy_from_slice(bytes);
                    match ws_frame::Utf8Bytes::try_from_bytes(bytes.clone()) {
                        Ok(text) => Message::Text(text),
                        Err(_) => Message::Binary(bytes),
                    }
                }
                Some((ws_frame::MessageKind::Binary, bytes)) => {
                    Message::Binary(bytes::Bytes::copy_from_slice(bytes))
                }
                None => Message::Binary(bytes::Bytes::new()),
            },
        }
    }

    /// [`Inner::poll_recv`], with `io` the context to poll the transport
    /// with; `lend`: leave single-frame messages in the receive buffer.
    fn poll_recv_io(
        &mut self,
        cx: &mut Context<'_>,
        io: &mut Context<'_>,
        lend: bool,
    ) -> Poll<Option<Result<Item, Error>>> {
        loop {
            match self.phase {
                Phase::Done => return Poll::Ready(None),
                Phase::Ending => {
                    if let Some(item) = ready!(self.poll_end(cx, io)) {
                        return Poll::Ready(Some(item.map(Item::Message)));
                    }
                    continue;
                }
                Phase::Open => {}
            }

            // While a closing handshake runs (or the core wants the time),
            // the core hears the time on every turn: a peer that keeps
            // sending data instead of its Close must not postpone the
            // deadline (step 4 runs only when idle).
            if (self.conn.state() != State::Open || self.conn.needs_time()) && self.poll_clock(cx) {
                continue;
            }

            // ANCHOR: read_steps
            // 1. Write out whatever is queued: an automatic Pong or Close
            //    reply must leave even if the application only reads.
            if self.conn.transmit_len() > 0 {
                // A write error is not the reader's to report: the read side
                // sees the broken connection by itself.
                let _ = self.poll_write_queue(io, 0);
            }

            // Backpressure: once the bytes the reader caused (Pongs) exceed
            // the high-water mark, decode and read nothing more until they
            // are written; the write attempt above registered for
            // writability. The timers still run.
            let blocked = !self.write_failed
                && !self.shutdown
                && self.reader_debt > self.config.write_buffer_high_water;

            // 2. Decode what was received.
            let queued_before = self.conn.transmit_len();
            let event = if blocked {
                Ok(None)
            } else if lend {
                match self.conn.poll_borrowed() {
                    Ok(Some(Borrowed::Event(event))) => Ok(Some(event)),
                    // Left in the buffer: looked at through `Connection::lent`.
                    Ok(Some(Borrowed::Text(_) | Borrowed::Binary(_))) => {
                        return Poll::Ready(Some(Ok(Item::Lent)));
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                }
            } else {
                self.conn.poll_event()
            };
            self.reader_debt += self.conn.transmit_len().saturating_sub(queued_before);
            // ANCHOR_END: read_steps
            match event {
                Ok(Some(event)) => {
                    let message = match event {
                        Event::Text(text) => Message::Text(text),
                        Event::Binary(data) => Message::Binary(data),
                        Event::Ping(data) => Message::Ping(data),
                        Event::Pong(data) => {
                            if self.conn.needs_time() {
                                // Our keepalive Ping's answer: the core
                                // measures the round trip now.
                                self.tick(Instant::now());
                            }
                            Message::Pong(data)
                        }
                        // ANCHOR: close_event
                        Event::Close(frame) => {
                            tracing::debug!(?frame, "close frame received");
                            // What follows (flush the reply; a server shuts
                            // TCP down first, a client waits for it, RFC
                            // 6455 §7.1.1) is `Connection::transport`'s call.
                            self.begin_end(Ok(Message::Close(frame)));
                            continue;
                        }
                        // ANCHOR_END: close_event
                        // Not produced: `stream_messages` is off.
                        Event::Fragment(_) => continue,
                    };
                    if self.conn.transmit_len() > 0 {
                        // Send the automatic Pong now, not on the next call.
                        let _ = self.poll_write_queue(io, 0);
                    }
                    return Poll::Ready(Some(Ok(Item::Message(message))));
                }
                Ok(None) => {}
                Err(ws_frame::Error::UnexpectedEof) => {
                    tracing::debug!("connection ended without a closing handshake");
                    self.begin_end(Err(Error::Protocol(ws_frame::Error::UnexpectedEof)));
                    continue;
                }
                // ANCHOR: protocol_error
                Err(error) => {
                    // RFC 6455 §7.1.7: _Fail the WebSocket Connection_. The
                    // core has queued our Close with the error's code, and
                    // its `transport()` now says: flush it, shut down
                    // (server), drain until the peer closes.
                    tracing::debug!(%error, "protocol error");
                    self.begin_end(Err(Error::Protocol(error)));
                    continue;
                }
            }
            // ANCHOR_END: protocol_error

            // 3. Read. More bytes: decode them first (step 2 again). The
            //    core notes that bytes arrived without a clock read.
            if !blocked {
                match self.poll_read_some(io) {
                    Poll::Ready(Ok(0)) => {
                        self.conn.receive_eof();
                        continue;
                    }
                    Poll::Ready(Ok(_)) => continue,
                    Poll::Ready(Err(e)) => {
                        tracing::debug!(error = %e, "read failed");
                        self.begin_end(Err(Error::Io(e)));
                        continue;
                    }
                    Poll::Pending => {}
                }
            }

            // 4. Nothing more to read: tell the core the time, once per
            //    wait rather than once per message, then sleep.
            if self.poll_clock(cx) {
                continue;
            }
            if !blocked {
                self.shrink_if_idle();
            }
            return Poll::Pending;
        }
    }
}
