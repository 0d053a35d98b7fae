//! Protocol time: the keepalive Ping and its round trip (RFC 6455 §5.5.2,
//! §5.5.3), the idle timeout, and the closing deadline (§7.1.1, §7.1.7).
//!
//! These deadlines are protocol state, so they live here and not in the IO
//! layer: a tokio driver and a blocking one then share the rule instead of
//! each carrying a copy of it. The contract is quinn-proto's:
//!
//! ```text
//!   IO layer                                   Connection
//!   ────────                                   ──────────
//!   at = conn.poll_timeout()  ───────────────► the earliest deadline (cached)
//!   sleep / read with a timeout until `at`
//!   conn.handle_timeout(now)  ───────────────► note the time, act on what is due:
//!                                               queue a Ping, queue Close 1001,
//!                                               give up the closing handshake
//!   write out poll_transmit(); look at transport()
//! ```
//!
//! The connection never reads the clock. Receiving costs no clock read per
//! frame either: [`Connection::poll_event`] only notes *that* bytes arrived
//! (a flag), and the next [`Connection::handle_timeout`] takes its `now` as
//! the time of the last byte. So the cached deadline can only be early,
//! never late: when it comes, the idle and keepalive deadlines are worked
//! out again from the new last-byte time and pushed back instead of acted
//! on (the lazy re-arm). An IO layer that calls `handle_timeout` every time
//! it goes idle (one clock read per wait, not per frame) gets that time to
//! the wait; one that calls it only when the deadline passes gets it to the
//! deadline's period.
//!
//! Some things happen without a `now` (a keepalive Pong comes back, a Close
//! is sent or received): the connection then wants the time at once, says
//! so with [`Connection::needs_time`], and [`Connection::poll_timeout`]
//! returns the last instant it was given, which has already passed.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Connection, State};
use crate::close::CloseCode;

#[cfg(test)]
mod tests;

/// The clock-related state of a [`Connection`].
#[derive(Debug)]
pub(super) struct Timers {
    /// The latest instant the IO layer gave us.
    now: Instant,
    /// When bytes last arrived from the peer, as of the last `handle_timeout`.
    last_rx: Instant,
    /// Bytes arrived since `last_rx` was set.
    received: bool,
    /// The length of the receive buffer when `poll_event` last returned: a
    /// longer buffer at the next call means bytes arrived.
    seen_len: usize,
    /// When we last sent a keepalive Ping.
    last_ping: Option<Instant>,
    /// The keepalive Ping waiting for its Pong: its payload and send time.
    ping_outstanding: Option<(u64, Instant)>,
    ping_counter: u64,
    /// Its Pong arrived; the round trip is measured at the next `handle_timeout`.
    pong_arrived: bool,
    rtt: Option<Duration>,
    /// When the closing handshake (or the end of the connection) must be over.
    close_deadline: Option<Instant>,
    /// The state `close_deadline` was started for: a different state means
    /// the closing clock must (re)start.
    deadline_for: State,
    /// The closing deadline passed (§7.1.1: the connection may be dropped).
    timed_out: bool,
    /// The earliest deadline, never later than the real one.
    next: Option<Instant>,
}

impl Timers {
    pub(super) fn new(now: Instant) -> Self {
        Self {
            now,
            last_rx: now,
            received: false,
            seen_len: 0,
            last_ping: None,
            ping_outstanding: None,
            ping_counter: 0,
            pong_arrived: false,
            rtt: None,
            close_deadline: None,
            deadline_for: State::Open,
            timed_out: false,
            next: None,
        }
    }

    /// Called by `poll_event` with the receive buffer's length on entry: a
    /// change since its last return means bytes arrived (no clock read).
    pub(super) fn note_buffer(&mut self, len: usize) {
        if len != self.seen_len {
            self.received = true;
        }
    }

    /// Called by `poll_event` with the receive buffer's length on return.
    pub(super) const fn set_seen(&mut self, len: usize) {
        self.seen_len = len;
    }

    /// A Pong arrived (§5.5.3): if it answers our keepalive Ping, its round
    /// trip is measured at the next `handle_timeout`.
    pub(super) fn on_pong(&mut self, payload: &[u8]) {
        if let Some((counter, _)) = self.ping_outstanding
            && payload == counter.to_be_bytes()
        {
            self.pong_arrived = true;
        }
    }
}

impl Connection {
    /// Sets the instant the connection opened, on the IO layer's clock
    /// (default: [`Instant::now`] in [`Connection::new`]). Silence is counted
    /// from here until the first bytes arrive.
    pub fn set_start_time(&mut self, now: Instant) {
        self.start_timers(now);
    }

    /// Starts every deadline from `now` (also run by [`Connection::new`]).
    pub(super) fn start_timers(&mut self, now: Instant) {
        self.timers = Timers::new(now);
        self.timers.deadline_for = self.state;
        self.timers.next = self.next_deadline();
    }

    // ANCHOR: poll_timeout
    /// When the connection next needs [`Connection::handle_timeout`]: the
    /// earliest of the keepalive Ping, the idle timeout and the closing
    /// deadline. `None`: no deadline is running. An instant already past
    /// means "now" (see [`Connection::needs_time`]).
    ///
    /// The instant may be early (after bytes arrived, the idle and
    /// keepalive deadlines move later lazily), never late. Cheap: it is
    /// cached, so it may be asked for after every message.
    #[inline]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.needs_time() {
            return Some(self.timers.now);
        }
        self.timers.next
    }

    /// Whether something happened whose time matters and the connection
    /// should be given the time at once, with
    /// [`Connection::handle_timeout`]: a keepalive Pong came back (its
    /// round trip), or a Close was sent or received or the connection
    /// failed (the closing deadline starts). A field read: cheap enough to
    /// ask after every event.
    #[inline]
    pub fn needs_time(&self) -> bool {
        self.timers.pong_arrived || self.state != self.timers.deadline_for
    }
    // ANCHOR_END: poll_timeout

    // ANCHOR: handle_timeout
    /// Tells the connection the time: it notes it as the time of the bytes
    /// received since the last call, and acts on every deadline that has
    /// passed. May be called at any time (calling before
    /// [`Connection::poll_timeout`]'s instant only notes the time); call it
    /// at least when that instant has passed, then write out
    /// [`Connection::poll_transmit`] and look at [`Connection::transport`].
    ///
    /// - keepalive interval of silence: a Ping is queued (§5.5.2);
    /// - idle timeout: Close 1001 is queued (§7.4.1 "going away");
    /// - closing deadline: the connection gives up ([`Connection::timed_out`],
    ///   state [`State::Closed`], [`Transport::Finished`](super::Transport::Finished)).
    #[inline]
    pub fn handle_timeout(&mut self, now: Instant) {
        // The common case, inlined into the IO layer's wait: note the
        // time, nothing due. Out of line, the call itself was a visible
        // part of a small echo (docs/benchmarks.md, "Protocol time in the
        // core").
        let t = &mut self.timers;
        if now > t.now {
            t.now = now;
        }
        if t.received {
            // Lazy re-arm: the deadlines that follow the last byte move
            // later; `next` stays early and is worked out again when due.
            t.received = false;
            t.last_rx = t.now;
        }
        if t.pong_arrived
            || t.deadline_for != self.state
            || t.next.is_some_and(|next| t.now >= next)
        {
            self.on_time();
        }
    }
    // ANCHOR_END: handle_timeout

    /// The rest of [`Connection::handle_timeout`]: something is due.
    #[inline(never)]
    fn on_time(&mut self) {
        let now = self.timers.now;
        if std::mem::take(&mut self.timers.pong_arrived)
            && let Some((_, sent)) = self.timers.ping_outstanding.take()
        {
            self.timers.rtt = Some(now.saturating_duration_since(sent));
        }
        if self.timers.deadline_for != self.state {
            self.start_close_clock(now);
        }
        if self.timers.next.is_some_and(|next| now >= next) {
            self.run_due(now);
            self.timers.next = self.next_deadline();
        }
    }

    /// A Close was sent or received, or the connection failed: the rest of
    /// the connection's life is bounded by `close_timeout` from now (§7.1.1).
    fn start_close_clock(&mut self, now: Instant) {
        self.timers.deadline_for = self.state;
        self.timers.close_deadline = if self.state == State::Open || self.timers.timed_out {
            None
        } else {
            Some(now + self.config.close_timeout)
        };
        self.timers.next = self.next_deadline();
    }

    /// Acts on the deadlines that have passed.
    fn run_due(&mut self, now: Instant) {
        if self.timers.close_deadline.is_some_and(|d| now >= d) {
            // RFC 6455 §7.1.1 lets an endpoint drop a connection whose
            // closing handshake stalls ("MAY close the TCP connection").
            self.give_up();
            return;
        }
        if self.state != State::Open {
            return;
        }
        if let Some(idle) = self.config.idle_timeout
            && now >= self.timers.last_rx + idle
        {
            // RFC 6455 §7.4.1: 1001 "an endpoint is 'going away'".
            if self.close(CloseCode::GOING_AWAY, "idle timeout").is_ok() {
                self.start_close_clock(now);
            }
            return;
        }
        if let Some(interval) = self.config.keepalive_interval
            && now >= self.keepalive_due(interval)
        {
            self.send_keepalive_ping(now);
        }
    }

    /// The closing deadline passed: stop reading and sending; the IO layer
    /// drops the transport.
    fn give_up(&mut self) {
        self.timers.timed_out = true;
        self.timers.close_deadline = None;
        self.stop_reading();
        self.state = State::Closed;
        self.timers.deadline_for = State::Closed;
    }

    /// The earliest deadline as the state stands.
    fn next_deadline(&self) -> Option<Instant> {
        let t = &self.timers;
        let mut next = t.close_deadline;
        if self.state == State::Open {
            let mut consider = |at: Instant| next = Some(next.map_or(at, |n| n.min(at)));
            if let Some(idle) = self.config.idle_timeout {
                consider(t.last_rx + idle);
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
        let t = &self.timers;
        t.last_ping.map_or(t.last_rx, |p| p.max(t.last_rx)) + interval
    }

    // ANCHOR: keepalive
    /// RFC 6455 §5.5.2: "A Ping frame may serve either as a keepalive or as
    /// a means to verify that the remote endpoint is still responsive." The
    /// payload is a counter, so that the matching Pong (§5.5.3: "identical
    /// Application data") gives the round trip; an unsolicited Pong or an
    /// answer to an older Ping does not.
    fn send_keepalive_ping(&mut self, now: Instant) {
        let t = &mut self.timers;
        t.ping_counter = t.ping_counter.wrapping_add(1);
        let counter = t.ping_counter;
        if self
            .ping(Bytes::copy_from_slice(&counter.to_be_bytes()))
            .is_ok()
        {
            self.timers.ping_outstanding = Some((counter, now));
        }
        self.timers.last_ping = Some(now);
    }
    // ANCHOR_END: keepalive

    /// The round-trip time of the last answered keepalive Ping (see
    /// [`Config::keepalive_interval`](super::Config::keepalive_interval)).
    pub const fn rtt(&self) -> Option<Duration> {
        self.timers.rtt
    }

    /// Whether the closing deadline passed and the connection gave up
    /// (§7.1.1): the peer did not answer our Close, or the end of the
    /// connection (writing our Close, the client's wait for the server's
    /// EOF, draining) took longer than
    /// [`Config::close_timeout`](super::Config::close_timeout).
    pub const fn timed_out(&self) -> bool {
        self.timers.timed_out
    }
}
