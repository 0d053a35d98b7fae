//! The IO driver: one sans-IO [`Connection`] plus the transport. Everything
//! the public types do is a `poll_*` method here, called with the lock held
//! and never across an `.await`, so all state lives in this struct and not
//! in any future: that is what makes `recv` cancel-safe and lets two tasks
//! share one socket.
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
//! | `timer.rs` | the one `Sleep`, armed for the core's next deadline |

mod ending;
mod read;
mod timer;
mod write;

#[cfg(test)]
mod tests;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use ws_frame::{Connection, Event, Role, State};

use crate::waker::TaskWakers;
use crate::{Config, Error, Message};

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

/// The state shared by [`WebSocket`](crate::WebSocket) and its halves.
pub(crate) struct Inner<S> {
    stream: S,
    conn: Connection,
    config: Config,
    wakers: Arc<TaskWakers>,
    /// Wakes both tasks; the transport is only ever polled with this.
    io_waker: Waker,
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
        let wakers = Arc::new(TaskWakers::default());
        let io_waker = Waker::from(Arc::clone(&wakers));
        Self {
            stream,
            conn,
            config,
            wakers,
            io_waker,
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

    pub(crate) const fn wakers(&self) -> &Arc<TaskWakers> {
        &self.wakers
    }

    /// Runs `f` with the context the transport is polled with, whose waker
    /// wakes both tasks (see the `waker` module). The waker is moved out
    /// and back instead of cloned: two atomic operations less per call.
    fn with_io<R>(&mut self, f: impl FnOnce(&mut Self, &mut Context<'_>) -> R) -> R {
        let mut waker = std::mem::replace(&mut self.io_waker, Waker::noop().clone());
        if waker.will_wake(Waker::noop()) {
            // A panic inside `f` left the placeholder behind.
            waker = Waker::from(Arc::clone(&self.wakers));
        }
        let result = f(self, &mut Context::from_waker(&waker));
        self.io_waker = waker;
        result
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Inner<S> {
    /// The next message, or `None` once the connection is finished.
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        self.wakers.register_reader(cx.waker());
        self.with_io(|this, io| this.poll_recv_io(cx, io))
    }

    /// [`Inner::poll_recv`], with `io` the context to poll the transport with.
    fn poll_recv_io(
        &mut self,
        cx: &mut Context<'_>,
        io: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        loop {
            match self.phase {
                Phase::Done => return Poll::Ready(None),
                Phase::Ending => {
                    if let Some(item) = ready!(self.poll_end(cx, io)) {
                        return Poll::Ready(Some(item));
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
                    return Poll::Ready(Some(Ok(message)));
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
