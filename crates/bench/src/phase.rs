//! Where a load run is — warming up, measuring, or stopping — shared by the
//! clock and every connection task, so that only what happens inside the
//! measured window is counted.

use std::sync::atomic::{AtomicU8, Ordering};

/// The phase of a run: starts in the warm-up, then [`Phase::measure`],
/// then [`Phase::stop`].
#[derive(Debug, Default)]
pub(crate) struct Phase(AtomicU8);

const MEASURE: u8 = 1;
const STOP: u8 = 2;

impl Phase {
    /// The measured window begins.
    pub(crate) fn measure(&self) {
        self.0.store(MEASURE, Ordering::Release);
    }

    /// The run is over: connection tasks finish.
    pub(crate) fn stop(&self) {
        self.0.store(STOP, Ordering::Release);
    }

    /// Inside the measured window.
    pub(crate) fn is_measuring(&self) -> bool {
        self.0.load(Ordering::Acquire) == MEASURE
    }

    /// The run is over.
    pub(crate) fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Acquire) == STOP
    }
}
