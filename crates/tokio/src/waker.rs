//! One waker for the transport that wakes both halves of a split socket.
//!
//! A tokio stream remembers one waker per direction. When the reader half
//! writes an automatic Pong, the write-readiness waker it leaves behind would
//! replace the one of the writer half's task, and that task would sleep
//! forever. So the transport is always polled with [`TaskWakers`], which
//! remembers the reader's and the writer's task wakers and wakes both:
//! a spurious wake-up costs one poll, a lost one a hung connection.

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// The task wakers of the reading and the writing side.
#[derive(Debug, Default)]
pub(crate) struct TaskWakers {
    reader: Mutex<Option<Waker>>,
    writer: Mutex<Option<Waker>>,
}

impl TaskWakers {
    /// Remembers the waker of the task that reads.
    pub(crate) fn register_reader(&self, waker: &Waker) {
        register(&self.reader, waker);
    }

    /// Remembers the waker of the task that writes.
    pub(crate) fn register_writer(&self, waker: &Waker) {
        register(&self.writer, waker);
    }

    /// Wakes the reading task, if one waits.
    pub(crate) fn wake_reader(&self) {
        if let Some(waker) = take(&self.reader) {
            waker.wake();
        }
    }

    /// Wakes the writing task, if one waits.
    pub(crate) fn wake_writer(&self) {
        if let Some(waker) = take(&self.writer) {
            waker.wake();
        }
    }
}

fn register(slot: &Mutex<Option<Waker>>, waker: &Waker) {
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    match &*slot {
        Some(current) if current.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

fn take(slot: &Mutex<Option<Waker>>) -> Option<Waker> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

impl Wake for TaskWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wake_reader();
        self.wake_writer();
    }
}
