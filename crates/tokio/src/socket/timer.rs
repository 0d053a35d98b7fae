//! Sleeping until the core's next deadline: one `tokio::time::Sleep`,
//! armed for [`Connection::poll_timeout`], and the calls that tell the core
//! the time ([`Connection::handle_timeout`]). Which deadlines there are and
//! what happens when one passes is the core's business (`ws_frame`'s
//! `timers` module); nothing here knows a keepalive from an idle timeout.
//!
//! [`Connection::poll_timeout`]: ws_frame::Connection::poll_timeout
//! [`Connection::handle_timeout`]: ws_frame::Connection::handle_timeout

use std::future::Future;
use std::task::Context;

use tokio::time::{Instant, sleep_until};

use super::{Inner, Phase};
use crate::Error;

impl<S> Inner<S> {
    // ANCHOR: timers
    /// Tells the core the time and sleeps until its next deadline. `true`
    /// if the core changed something (queued a Ping or a Close, gave up):
    /// the caller goes round its loop again.
    pub(super) fn poll_clock(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            let now = Instant::now();
            // Cached in the core: no deadline is worked out here.
            let due = self.conn.poll_timeout();
            match due {
                Some(at) if at <= now.into_std() => {
                    if self.tick(now) {
                        return true;
                    }
                }
                _ => {
                    // Nothing is due: the core only notes the time, as that
                    // of the bytes received since (the common case, once
                    // per wait).
                    self.conn.handle_timeout(now.into_std());
                    if due.is_none() {
                        return false;
                    }
                    if due == self.timer_at.map(Instant::into_std) && self.timer_wakes(cx) {
                        // Armed for this very deadline, ahead, and
                        // registered to wake this task: `tick`'s
                        // bookkeeping and the timer re-check would only
                        // repeat what is known (docs/benchmarks.md).
                        return false;
                    }
                }
            }
            let Some(at) = self.conn.poll_timeout() else {
                return false;
            };
            if !self.poll_timer(cx, Instant::from_std(at), now) {
                return false;
            }
            // The timer fired: tell the core again.
        }
    }

    /// [`Connection::handle_timeout`](ws_frame::Connection::handle_timeout);
    /// `true` if it queued bytes, changed the state or gave up.
    pub(super) fn tick(&mut self, now: Instant) -> bool {
        let queued = self.conn.transmit_len();
        let state = self.conn.state();
        let timed_out = self.conn.timed_out();
        self.conn.handle_timeout(now.into_std());
        // A keepalive Ping or an idle Close is the reader's doing.
        let grew = self.conn.transmit_len().saturating_sub(queued);
        self.reader_debt += grew;
        let gave_up = self.conn.timed_out() && !timed_out;
        if gave_up && self.phase == Phase::Open {
            tracing::debug!("the peer did not answer our Close in time");
            self.begin_end(Err(Error::Timeout));
        }
        grew > 0 || gave_up || state != self.conn.state()
    }
    // ANCHOR_END: timers

    /// Arms the timer for `at` (unless it already fires earlier) and polls
    /// it; `true` if it fired. A timer that fires early is simply re-armed
    /// by the next call, so a deadline the core pushed back costs nothing.
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
            // polling it again would only re-register, once per received
            // message.
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
}
