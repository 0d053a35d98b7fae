//! The IO driver: one sans-IO [`Connection`] plus the transport, the timers
//! and the end-of-connection sequence. Everything the public types do is a
//! `poll_*` method here, called with the lock held and never across an
//! `.await`, so all state lives in this struct and not in any future: that
//! is what makes `recv` cancel-safe and lets two tasks share one socket.
//!
//! ```text
//!             poll_recv (reader)                    poll_send_ready / poll_flush (writer)
//!   ┌──────────────────────────────────┐          ┌────────────────────────────────┐
//!   │ 1. write out queued bytes        │          │ queue(msg) → Connection        │
//!   │ 2. Connection::poll_event        │          │ write queued bytes (vectored)  │
//!   │ 3. read into Connection::read_buf│          │ until ≤ high-water (or empty)  │
//!   │ 4. nothing to read: timers       │          └────────────────────────────────┘
//!   │    (close / idle / ping), sleep  │
//!   │ (2 and 3 pause while the Pongs   │
//!   │  we owe exceed the high-water)   │
//!   └──────────────────────────────────┘
//!           │ Close received / protocol error / EOF / timeout
//!           ▼
//!   Ending: flush our Close → (server) shut down → (on error) drain
//!           until the peer closes → hand out the last item
//!   Lingering (client after a Close): wait for the server's EOF (§7.1.1)
//!   Done: recv returns None
//! ```

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep_until};
use ws_frame::{CloseCode, Connection, Event, Role, State};

use crate::waker::TaskWakers;
use crate::{Config, Error, Message};

/// Bytes read onto the stack when nothing is buffered, so that an idle
/// connection owns no read buffer.
const SCRATCH_LEN: usize = 8 * 1024;

/// Most slices handed to one vectored write.
const MAX_IOVECS: usize = 64;

/// Where the connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Messages flow (this includes waiting for the answer to our Close).
    Open,
    /// The connection is ending; [`Ending`] says what is left to do before
    /// the last item is handed out.
    Ending,
    /// A client that received the server's Close waits for the server to
    /// close the TCP connection (RFC 6455 §7.1.1).
    Lingering,
    /// Finished: `recv` returns `None`.
    Done,
}

// ANCHOR: ending
/// The steps left before the last item of a connection is handed out.
#[derive(Debug, Default)]
struct Ending {
    /// The last item: the peer's Close, or the error that ended it.
    item: Option<Result<Message, Error>>,
    /// Write out the queue first (the Close reply, or the Close for an error).
    flush: bool,
    /// Then shut the transport down (a server closes TCP first, §7.1.1).
    shutdown_early: bool,
    /// Then read and discard until the peer closes, so that closing with
    /// unread data does not reset the connection before the peer has read
    /// our Close frame.
    drain: bool,
    /// Then shut the transport down (if not done yet).
    shutdown_late: bool,
    /// After handing out the item, wait for the peer's EOF (client).
    linger: bool,
}
// ANCHOR_END: ending

/// The state shared by [`WebSocket`](crate::WebSocket) and its halves.
pub(crate) struct Inner<S> {
    stream: S,
    conn: Connection,
    config: Config,
    wakers: Arc<TaskWakers>,
    /// Wakes both tasks; the transport is only ever polled with this.
    io_waker: Waker,
    phase: Phase,
    ending: Ending,
    /// One timer for every deadline, re-armed lazily.
    timer: Option<Pin<Box<Sleep>>>,
    timer_at: Option<Instant>,
    /// The waker the armed timer was last polled with: while it is the
    /// same and the deadline is ahead, the timer need not be polled again.
    timer_waker: Option<Waker>,
    /// When bytes last arrived from the peer (as of the last timer check).
    last_rx: Instant,
    /// Bytes arrived since `last_rx` was last set: one clock read per
    /// received message instead of two (clock reads were 3 % of the
    /// server's CPU time under echo load, perf).
    received: bool,
    /// When we last sent a keepalive Ping.
    last_ping: Option<Instant>,
    /// The keepalive Ping waiting for its Pong: its payload and send time.
    ping_outstanding: Option<(u64, Instant)>,
    ping_counter: u64,
    rtt: Option<Duration>,
    /// When the closing handshake must be over.
    close_deadline: Option<Instant>,
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
            ending: Ending::default(),
            timer: None,
            timer_at: None,
            timer_waker: None,
            last_rx: Instant::now(),
            received: false,
            last_ping: None,
            ping_outstanding: None,
            ping_counter: 0,
            rtt: None,
            close_deadline: None,
            reader_debt: 0,
            write_failed: false,
            shutdown: false,
            reader_alive: true,
        }
    }

    pub(crate) const fn rtt(&self) -> Option<Duration> {
        self.rtt
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

    /// Starts the end of the connection.
    fn begin_end(&mut self, ending: Ending) {
        self.phase = Phase::Ending;
        self.ending = ending;
        self.close_deadline = Some(Instant::now() + self.config.close_timeout);
        self.timer_at = None;
        self.wakers.wake_writer();
    }

    /// Gives back the buffers of a finished connection.
    fn release(&mut self) {
        *self.conn.read_buf() = BytesMut::new();
        self.timer = None;
        self.timer_at = None;
        self.timer_waker = None;
        self.wakers.wake_writer();
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

    /// Arms the timer for `at` (unless it already fires earlier) and polls
    /// it; `true` if it fired. A timer that fires early is simply re-armed
    /// by the next call, so pushing a deadline back costs nothing.
    fn poll_timer(&mut self, cx: &mut Context<'_>, at: Instant, now: Instant) -> bool {
        if self.timer_at.is_none_or(|armed| armed > at) {
            match &mut self.timer {
                Some(timer) => timer.as_mut().reset(at),
                None => self.timer = Some(Box::pin(sleep_until(at))),
            }
            self.timer_at = Some(at);
            self.timer_waker = None;
        } else if self.timer_ahead_for(cx, now) {
            // Armed, not due, and already registered to wake this task:
            // polling it again would only re-register (a quarter of a
            // microsecond per received message, callgrind).
            return false;
        }
        let fired = self
            .timer
            .as_mut()
            .is_some_and(|t| t.as_mut().poll(cx).is_ready());
        if fired {
            self.timer_at = None;
            self.timer_waker = None;
        } else if !self.timer_wakes(cx) {
            self.timer_waker = Some(cx.waker().clone());
        }
        fired
    }

    /// Whether the armed timer was last polled with this task's waker.
    fn timer_wakes(&self, cx: &Context<'_>) -> bool {
        self.timer_waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
    }

    /// Whether the timer is armed for a moment after `now` and will wake
    /// this task then.
    fn timer_ahead_for(&self, cx: &Context<'_>, now: Instant) -> bool {
        self.timer_at.is_some_and(|armed| now < armed) && self.timer_wakes(cx)
    }

    /// Whether the closing handshake ran out of time; arms the timer if not.
    fn poll_close_deadline(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.close_deadline else {
            return false;
        };
        loop {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            if !self.poll_timer(cx, deadline, now) {
                return false;
            }
        }
    }

    /// The next moment a timer has something to do while open.
    fn next_deadline(&self) -> Option<Instant> {
        let mut next = self.close_deadline;
        if self.conn.state() == State::Open {
            let mut consider = |at: Instant| next = Some(next.map_or(at, |n| n.min(at)));
            if let Some(idle) = self.config.idle_timeout {
                consider(self.last_rx + idle);
            }
            if let Some(interval) = self.config.keepalive_interval {
                consider(self.keepalive_due(interval));
            }
        }
        next
    }

    /// After `interval` of silence since the last byte received or the last
    /// Ping sent, whichever is later.
    fn keepalive_due(&self, interval: Duration) -> Instant {
        self.last_ping.map_or(self.last_rx, |p| p.max(self.last_rx)) + interval
    }

    // ANCHOR: keepalive
    fn send_keepalive_ping(&mut self, now: Instant) {
        self.ping_counter = self.ping_counter.wrapping_add(1);
        let payload = Bytes::copy_from_slice(&self.ping_counter.to_be_bytes());
        let queued_before = self.conn.transmit_len();
        if self.conn.ping(payload).is_ok() {
            self.reader_debt += self.conn.transmit_len().saturating_sub(queued_before);
            tracing::trace!(counter = self.ping_counter, "keepalive ping");
            self.ping_outstanding = Some((self.ping_counter, now));
        }
        self.last_ping = Some(now);
    }

    fn on_pong(&mut self, payload: &[u8]) {
        if let Some((counter, sent)) = self.ping_outstanding
            && payload == counter.to_be_bytes()
        {
            self.rtt = Some(sent.elapsed());
            self.ping_outstanding = None;
        }
    }
    // ANCHOR_END: keepalive
}

impl<S: AsyncRead + AsyncWrite + Unpin> Inner<S> {
    // ------------------------------------------------------------------
    // Reading
    // ------------------------------------------------------------------

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
                    ready!(self.poll_ending(cx, io));
                    let item = self.ending.item.take();
                    if self.ending.linger {
                        self.phase = Phase::Lingering;
                        self.close_deadline = Some(Instant::now() + self.config.close_timeout);
                    } else {
                        self.phase = Phase::Done;
                        self.release();
                    }
                    if let Some(item) = item {
                        return Poll::Ready(Some(item));
                    }
                    continue;
                }
                Phase::Lingering => {
                    let expired = self.poll_close_deadline(cx);
                    if !expired {
                        ready!(self.poll_drain(io));
                    }
                    let _ = self.poll_shutdown(io);
                    self.phase = Phase::Done;
                    self.release();
                    continue;
                }
                Phase::Open => {}
            }

            // Our own Close (sent by the application, or for the idle
            // timeout) starts the clock for the peer's answer.
            if self.conn.state() == State::Closing && self.close_deadline.is_none() {
                self.close_deadline = Some(Instant::now() + self.config.close_timeout);
            }
            // While a closing handshake runs, its deadline is checked on
            // every turn: a peer that keeps sending data instead of its
            // Close must not postpone it (step 4 runs only when idle).
            if self.close_deadline.is_some() && self.poll_timers(cx) {
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
                    // `last_rx` follows from `received` at the next timer check.
                    let message = match event {
                        Event::Text(text) => Message::Text(text),
                        Event::Binary(data) => Message::Binary(data),
                        Event::Ping(data) => Message::Ping(data),
                        Event::Pong(data) => {
                            self.on_pong(&data);
                            Message::Pong(data)
                        }
                        // ANCHOR: close_event
                        Event::Close(frame) => {
                            let server = self.conn.role() == Role::Server;
                            tracing::debug!(?frame, "close frame received");
                            self.begin_end(Ending {
                                item: Some(Ok(Message::Close(frame))),
                                flush: true,
                                // RFC 6455 §7.1.1: "the server SHOULD close
                                // the underlying TCP connection first".
                                shutdown_early: server,
                                linger: !server,
                                ..Ending::default()
                            });
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
                    self.begin_end(Ending {
                        item: Some(Err(Error::Protocol(ws_frame::Error::UnexpectedEof))),
                        shutdown_late: true,
                        ..Ending::default()
                    });
                    continue;
                }
                // ANCHOR: protocol_error
                Err(error) => {
                    // RFC 6455 §7.1.7: _Fail the WebSocket Connection_. The
                    // core has queued our Close with the error's code.
                    tracing::debug!(%error, "protocol error");
                    let server = self.conn.role() == Role::Server;
                    self.begin_end(Ending {
                        item: Some(Err(Error::Protocol(error))),
                        flush: true,
                        shutdown_early: server,
                        drain: true,
                        shutdown_late: true,
                        linger: false,
                    });
                    continue;
                }
            }
            // ANCHOR_END: protocol_error

            // 3. Read. More bytes: decode them first (step 2 again).
            if !blocked {
                match self.poll_read_some(io) {
                    Poll::Ready(Ok(0)) => {
                        self.conn.receive_eof();
                        continue;
                    }
                    // The clock is read once, in step 4 (see `received`).
                    Poll::Ready(Ok(_)) => {
                        self.received = true;
                        continue;
                    }
                    Poll::Ready(Err(e)) => {
                        tracing::debug!(error = %e, "read failed");
                        self.begin_end(Ending {
                            item: Some(Err(Error::Io(e))),
                            ..Ending::default()
                        });
                        continue;
                    }
                    Poll::Pending => {}
                }
            }

            // 4. Nothing more to read: look at the timers, once per wait
            //    rather than once per message, then sleep.
            if self.poll_timers(cx) {
                continue;
            }
            if !blocked {
                self.shrink_if_idle();
            }
            return Poll::Pending;
        }
    }

    // ANCHOR: timers
    /// Runs the deadlines that are due: the closing handshake's, the idle
    /// timeout, the keepalive Ping; arms the timer for the next one. `true`
    /// if one of them changed the state (the caller loops again).
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> bool {
        let now = Instant::now();
        if std::mem::take(&mut self.received) {
            // Bytes arrived since the last look at the clock; the
            // message they carried may already have been handed out.
            self.last_rx = now;
        }
        if self.close_deadline.is_none() && self.timer_ahead_for(cx, now) {
            // The armed timer is ahead and will wake this task. Without a
            // closing deadline, deadlines only move later (the idle and
            // keepalive ones follow the last byte received and the last
            // Ping sent), and the timer is never armed later than the
            // earliest: nothing is due yet. (Computing the three deadlines
            // for every message was 3 % of a small echo's instructions.)
            return false;
        }
        if self.close_deadline.is_some_and(|d| now >= d) {
            // RFC 6455 §7.1.1 lets an endpoint drop a connection whose
            // closing handshake stalls.
            tracing::debug!("the peer did not answer our Close in time");
            self.begin_end(Ending {
                item: Some(Err(Error::Timeout)),
                shutdown_late: true,
                ..Ending::default()
            });
            return true;
        }
        if self.conn.state() == State::Open {
            if let Some(idle) = self.config.idle_timeout
                && now >= self.last_rx + idle
            {
                tracing::debug!("idle timeout");
                // RFC 6455 §7.4.1: 1001 "an endpoint is 'going away'".
                let _ = self.conn.close(CloseCode::GOING_AWAY, "idle timeout");
                self.close_deadline = Some(now + self.config.close_timeout);
                return true;
            }
            if let Some(interval) = self.config.keepalive_interval
                && now >= self.keepalive_due(interval)
            {
                self.send_keepalive_ping(now);
                return true;
            }
        }
        self.next_deadline()
            .is_some_and(|at| self.poll_timer(cx, at, now))
    }
    // ANCHOR_END: timers

    /// Runs the remaining steps of [`Ending`].
    fn poll_ending(&mut self, cx: &mut Context<'_>, io: &mut Context<'_>) -> Poll<()> {
        let expired = self.poll_close_deadline(cx);
        if self.ending.flush {
            if !expired && !self.shutdown && self.poll_write_queue(io, 0).is_pending() {
                return Poll::Pending;
            }
            self.ending.flush = false;
        }
        if self.ending.shutdown_early {
            if !expired {
                ready!(self.poll_shutdown(io));
            }
            self.ending.shutdown_early = false;
        }
        if self.ending.drain {
            if !expired {
                ready!(self.poll_drain(io));
            }
            self.ending.drain = false;
        }
        if self.ending.shutdown_late {
            if expired {
                let _ = self.poll_shutdown(io);
            } else {
                ready!(self.poll_shutdown(io));
            }
            self.ending.shutdown_late = false;
        }
        Poll::Ready(())
    }

    // ANCHOR: read_some
    /// Reads some bytes into the connection: onto the stack when nothing is
    /// buffered (an idle connection keeps no buffer), else straight into the
    /// connection's buffer, grown to what the current frame needs.
    fn poll_read_some(&mut self, io: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let want = self
            .conn
            .read_hint()
            .max(self.config.read_buffer_size.max(1));
        let buf = self.conn.read_buf();
        if buf.is_empty() && buf.capacity() < want {
            // Uninitialised: zeroing 8 KiB before every read of a small
            // message was the largest user-space cost of an echo.
            let mut scratch = [MaybeUninit::<u8>::uninit(); SCRATCH_LEN];
            let len = self.config.read_buffer_size.clamp(1, SCRATCH_LEN);
            let mut read_buf = ReadBuf::uninit(&mut scratch[..len]);
            ready!(Pin::new(&mut self.stream).poll_read(io, &mut read_buf))?;
            let filled = read_buf.filled();
            self.conn.receive(filled);
            return Poll::Ready(Ok(filled.len()));
        }
        if buf.capacity() - buf.len() < self.config.read_buffer_size.min(want) {
            buf.reserve(want);
        }
        let read = std::pin::pin!(self.stream.read_buf(buf));
        read.poll(io)
    }
    // ANCHOR_END: read_some

    /// Lets an idle connection give its read buffer back.
    fn shrink_if_idle(&mut self) {
        // `read_hint() == 1`: between frames (a frame in progress keeps the
        // room reserved for its payload).
        if self.conn.read_hint() == 1 {
            let buf = self.conn.read_buf();
            if buf.is_empty() && buf.capacity() > 0 {
                *buf = BytesMut::new();
            }
        }
    }

    /// Reads and discards until the peer closes or fails.
    fn poll_drain(&mut self, io: &mut Context<'_>) -> Poll<()> {
        let mut scratch = [MaybeUninit::<u8>::uninit(); SCRATCH_LEN];
        loop {
            let mut read_buf = ReadBuf::uninit(&mut scratch);
            match ready!(Pin::new(&mut self.stream).poll_read(io, &mut read_buf)) {
                Ok(()) if read_buf.filled().is_empty() => return Poll::Ready(()),
                Ok(()) => {
                    if self.close_deadline.is_some_and(|d| Instant::now() >= d) {
                        return Poll::Ready(());
                    }
                }
                Err(_) => return Poll::Ready(()),
            }
        }
    }

    fn poll_shutdown(&mut self, io: &mut Context<'_>) -> Poll<()> {
        if !self.shutdown {
            let _ = ready!(Pin::new(&mut self.stream).poll_shutdown(io));
            self.shutdown = true;
        }
        Poll::Ready(())
    }

    // ------------------------------------------------------------------
    // Writing
    // ------------------------------------------------------------------

    // ANCHOR: write_queue
    /// Writes queued bytes until at most `target` remain (0: all of them,
    /// then flushes the transport). Uses vectored writes when the transport
    /// supports them, so large payloads queued by reference go out without
    /// being copied.
    fn poll_write_queue(&mut self, io: &mut Context<'_>, target: usize) -> Poll<Result<(), Error>> {
        while self.conn.transmit_len() > target {
            if self.write_failed || self.shutdown {
                return Poll::Ready(Err(Error::Closed));
            }
            let mut first = [IoSlice::new(&[])];
            self.conn.transmit_chunks(&mut first);
            let written =
                if first[0].len() < self.conn.transmit_len() && self.stream.is_write_vectored() {
                    // Several chunks (headers and payloads queued by reference):
                    // one vectored write.
                    let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
                    let n = self.conn.transmit_chunks(&mut slices);
                    Pin::new(&mut self.stream).poll_write_vectored(io, &slices[..n])
                } else {
                    // One contiguous buffer (small messages): a plain write
                    // spares filling the slice array (about 175 instructions,
                    // 3 % of a small echo's user-space work, callgrind).
                    Pin::new(&mut self.stream).poll_write(io, &first[0])
                };
            match ready!(written) {
                Ok(0) => {
                    return Poll::Ready(Err(self.write_error(io::ErrorKind::WriteZero.into())));
                }
                Ok(n) => {
                    self.conn.advance_transmit(n);
                    // What is left includes at most all of the reader's bytes.
                    self.reader_debt = self.reader_debt.min(self.conn.transmit_len());
                }
                Err(e) => return Poll::Ready(Err(self.write_error(e))),
            }
        }
        if target == 0
            && !self.write_failed
            && !self.shutdown
            && let Err(e) = ready!(Pin::new(&mut self.stream).poll_flush(io))
        {
            return Poll::Ready(Err(self.write_error(e)));
        }
        Poll::Ready(Ok(()))
    }
    // ANCHOR_END: write_queue

    /// Records a failed write: the queue is dropped, nothing more is written.
    fn write_error(&mut self, e: io::Error) -> Error {
        tracing::debug!(error = %e, "write failed");
        self.write_failed = true;
        let queued = self.conn.transmit_len();
        self.conn.advance_transmit(queued);
        self.reader_debt = 0;
        self.wakers.wake_reader();
        Error::Io(e)
    }

    /// Whether nothing can be sent any more.
    fn send_closed(&self) -> bool {
        self.write_failed || self.shutdown || self.phase == Phase::Done
    }

    /// Queues a message in the connection (nothing is written yet).
    pub(crate) fn queue(&mut self, message: Message) -> Result<(), Error> {
        if self.send_closed() {
            return Err(Error::Closed);
        }
        match message {
            Message::Text(text) => self.conn.send_text(text)?,
            Message::Binary(data) => self.conn.send_binary(data)?,
            Message::Ping(data) => self.conn.ping(data)?,
            Message::Pong(data) => self.conn.pong(data)?,
            Message::Close(frame) => {
                match frame {
                    Some(frame) => self.conn.close(frame.code, &frame.reason)?,
                    None => self.conn.close_without_status()?,
                }
                // The reader arms the close timer and waits for the answer.
                self.wakers.wake_reader();
            }
        }
        Ok(())
    }

    // ANCHOR: send_ready
    /// Writes queued bytes; ready once at most the high-water mark remains
    /// (waiting only while more is queued).
    pub(crate) fn poll_send_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.wakers.register_writer(cx.waker());
        if self.send_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        match self.with_io(|this, io| this.poll_write_queue(io, 0)) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending if self.conn.transmit_len() <= self.config.write_buffer_high_water => {
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
    // ANCHOR_END: send_ready

    /// Writes out everything queued and flushes the transport.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.wakers.register_writer(cx.waker());
        if self.conn.transmit_len() == 0 && self.send_closed() {
            return Poll::Ready(if self.write_failed {
                Err(Error::Closed)
            } else {
                Ok(())
            });
        }
        self.with_io(|this, io| this.poll_write_queue(io, 0))
    }

    /// Waits (as the writer) until the reader has finished the closing
    /// handshake; `Ok` if the peer's Close arrived.
    pub(crate) fn poll_close_seen(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.wakers.register_writer(cx.waker());
        if !self.read_finished() {
            return Poll::Pending;
        }
        Poll::Ready(if self.conn.close_received().is_some() {
            Ok(())
        } else {
            Err(Error::Closed)
        })
    }

    /// Shuts the transport down at once (a closing handshake that stalled).
    pub(crate) fn poll_abort(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.wakers.register_writer(cx.waker());
        self.with_io(Self::poll_shutdown)
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    fn pair() -> (
        Inner<tokio::io::DuplexStream>,
        Inner<tokio::io::DuplexStream>,
    ) {
        let (a, b) = tokio::io::duplex(1 << 20);
        let server = Inner::new(a, Role::Server, Config::default(), BytesMut::new(), None);
        let client = Inner::new(b, Role::Client, Config::default(), BytesMut::new(), None);
        (server, client)
    }

    /// An idle connection gives its read buffer back, also after a large
    /// message (10 000 idle connections must cost a few KiB each).
    #[tokio::test]
    async fn idle_connection_holds_no_read_buffer() {
        let (mut server, mut client) = pair();
        for len in [10, 200_000] {
            client
                .queue(Message::Binary(Bytes::from(vec![1; len])))
                .unwrap();
            poll_fn(|cx| client.poll_flush(cx)).await.unwrap();
            let message = poll_fn(|cx| server.poll_recv(cx)).await.unwrap().unwrap();
            assert_eq!(message.len(), len);
            // Nothing more to read: the poll parks and the buffer is released.
            let parked = poll_fn(|cx| Poll::Ready(server.poll_recv(cx).is_pending())).await;
            assert!(parked);
            assert_eq!(server.conn.read_buf().capacity(), 0);
        }
    }

    #[test]
    fn sockets_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<crate::WebSocket<tokio::net::TcpStream>>();
        check::<crate::WebSocketReader<crate::MaybeTlsStream>>();
        check::<crate::WebSocketWriter<crate::MaybeTlsStream>>();
        check::<Error>();
    }
}
