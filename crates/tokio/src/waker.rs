//! One waker for the transport that wakes both halves of a split socket.
//!
//! A tokio stream remembers one waker per direction. When the reader half
//! writes an automatic Pong, the write-readiness waker it leaves behind would
//! replace the one of the writer half's task, and that task would sleep
//! forever. So the transport is always polled with [`TaskWakers`], which
//! remembers the reader's and the writer's task wakers and wakes both:
//! a spurious wake-up costs one poll, a lost one a hung connection.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Wake, Waker};

/// The task wakers of the reading and the writing side.
#[derive(Debug, Default)]
pub(crate) struct TaskWakers {
    /// One lock for both: a wake-up takes both in one go.
    slots: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl TaskWakers {
    /// Remembers the waker of the task that reads.
    pub(crate) fn register_reader(&self, waker: &Waker) {
        register(&mut self.lock().reader, waker);
    }

    /// Remembers the waker of the task that writes.
    pub(crate) fn register_writer(&self, waker: &Waker) {
        register(&mut self.lock().writer, waker);
    }

    /// Wakes the reading task, if one waits.
    pub(crate) fn wake_reader(&self) {
        let waker = self.lock().reader.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes the writing task, if one waits.
    pub(crate) fn wake_writer(&self) {
        let waker = self.lock().writer.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn register(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(current) if current.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

impl Wake for TaskWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Taken under the lock, woken outside it: waking runs the
        // scheduler, which must not find our lock held.
        let (reader, writer) = {
            let mut slots = self.lock();
            (slots.reader.take(), slots.writer.take())
        };
        match (reader, writer) {
            // One task reads and writes (an unsplit socket): wake it once.
            (Some(reader), Some(writer)) if reader.will_wake(&writer) => reader.wake(),
            (reader, writer) => {
                if let Some(waker) = reader {
                    waker.wake();
                }
                if let Some(waker) = writer {
                    waker.wake();
                }
            }
        }
    }
}
