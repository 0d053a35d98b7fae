//! The measured window of a load run: how long to warm up, how long to
//! measure, whose CPU time to read over it; and the clock that takes a run
//! through it, so that the echo and the fan-out load time themselves alike.
//!
//! ```text
//!  warm-up ──► sample ─► measured window (a progress line a second) ─► stop ─► sample
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::phase::Phase;

/// The measured window of a load run.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Warm-up before measuring (not counted).
    pub warmup: Duration,
    /// Length of the measured window.
    pub duration: Duration,
    /// The server's PID, for its CPU time over the window.
    pub server_pid: Option<u32>,
}

/// What the clock saw: the window's length and what `sample` read at
/// either edge of it.
#[derive(Debug)]
pub(crate) struct Measured<T> {
    /// Length of the measured window in seconds.
    pub(crate) seconds: f64,
    /// Read as the window began.
    pub(crate) before: T,
    /// Read after the run stopped.
    pub(crate) after: T,
}

impl Window {
    /// The clock of a run whose connections are open: waits out the
    /// warm-up, reads `sample` (given the server's PID), starts the measured
    /// window of `phase`, wakes once a second (and at the end) to hand
    /// `progress`, if there is one, the seconds since the start and the rate
    /// at which `count` grew since its last line, stops the run, and reads
    /// `sample` again.
    ///
    /// # Errors
    /// What `sample` fails with.
    pub(crate) async fn run<T>(
        &self,
        phase: &Phase,
        count: &AtomicU64,
        mut sample: impl FnMut(Option<u32>) -> std::io::Result<T>,
        mut progress: Option<impl FnMut(f64, f64)>,
    ) -> std::io::Result<Measured<T>> {
        tokio::time::sleep(self.warmup).await;
        let before = sample(self.server_pid)?;
        let start = Instant::now();
        phase.measure();
        let mut last = (start, count.load(Ordering::Relaxed));
        let end = start + self.duration;
        while Instant::now() < end {
            let tick = (last.0 + Duration::from_secs(1)).min(end);
            tokio::time::sleep_until(tick.into()).await;
            // The tick moves on whether or not a line is printed: a deadline
            // left in the past would make this loop spin on the load
            // generator's CPU until the window ends.
            let now = Instant::now();
            let total = count.load(Ordering::Relaxed);
            if let Some(line) = progress.as_mut() {
                let rate = (total - last.1) as f64 / (now - last.0).as_secs_f64();
                line((now - start).as_secs_f64(), rate);
            }
            last = (now, total);
        }
        phase.stop();
        let seconds = start.elapsed().as_secs_f64();
        let after = sample(self.server_pid)?;
        Ok(Measured {
            seconds,
            before,
            after,
        })
    }
}
