//! The per-connection rate limit: a token bucket.
//!
//! The bucket holds up to `burst` tokens and gains `rate` tokens a second;
//! each message takes one. A message that finds the bucket empty is refused
//! (`docs/server-interface.md` §4.4: 20 messages per second sustained,
//! bursts of 50; each message beyond that is dropped and answered with
//! `error` `rate_limited`).

#[cfg(test)]
use std::time::Duration;
use std::time::Instant;

/// Messages per second a member may send, sustained.
pub(crate) const RATE: u32 = 20;
/// Messages a member may send at once after being quiet.
pub(crate) const BURST: u32 = 50;

/// A token bucket. Time is passed in, so tests need no clock.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(rate: u32, burst: u32, now: Instant) -> Self {
        Self {
            rate: f64::from(rate),
            burst: f64::from(burst),
            tokens: f64::from(burst),
            last: now,
        }
    }

    // ANCHOR: try_take
    /// Takes one token if there is one; `false`: over the limit.
    pub(crate) fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        self.tokens = elapsed
            .as_secs_f64()
            .mul_add(self.rate, self.tokens)
            .min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
    // ANCHOR_END: try_take

    /// How long until the next token.
    #[cfg(test)]
    fn wait(&self) -> Duration {
        Duration::from_secs_f64(((1.0 - self.tokens) / self.rate).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_sustained_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(RATE, BURST, start);
        let taken = (0..100).filter(|_| bucket.try_take(start)).count();
        assert_eq!(taken, 50);
        assert!(bucket.wait() > Duration::ZERO);
        // One second later: 20 more, not more.
        let later = start + Duration::from_secs(1);
        let taken = (0..100).filter(|_| bucket.try_take(later)).count();
        assert_eq!(taken, 20);
        // A long pause refills the burst, no more.
        let much_later = later + Duration::from_secs(3600);
        let taken = (0..100).filter(|_| bucket.try_take(much_later)).count();
        assert_eq!(taken, 50);
    }

    #[test]
    fn twenty_per_second_is_never_limited() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(RATE, BURST, start);
        for i in 0..1000 {
            assert!(
                bucket.try_take(start + Duration::from_millis(50) * i),
                "{i}"
            );
        }
    }
}
