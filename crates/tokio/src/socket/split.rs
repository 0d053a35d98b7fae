//! What a split socket adds: the wakers of both halves, and the context
//! the transport is polled with. An unsplit socket has one task, which polls
//! the transport with its own waker and registers nothing (see the `waker`
//! module for why a split one cannot).

use std::sync::Arc;
use std::task::{Context, Waker};

use super::Inner;
use crate::waker::TaskWakers;

/// What a split socket adds: the wakers of both halves.
pub(super) struct Split {
    wakers: Arc<TaskWakers>,
    /// Wakes both tasks; the transport of a split socket is only ever
    /// polled with this.
    io_waker: Waker,
}

impl<S> Inner<S> {
    /// Prepares for two tasks: from now on the transport is polled with a
    /// waker that wakes both halves (see the `waker` module).
    pub(crate) fn make_split(&mut self) {
        if self.split.is_none() {
            let wakers = Arc::new(TaskWakers::default());
            let io_waker = Waker::from(Arc::clone(&wakers));
            self.split = Some(Split { wakers, io_waker });
        }
    }

    /// Back to one task (the halves were reunited).
    pub(crate) fn unsplit(&mut self) {
        self.split = None;
        self.reader_alive = true;
    }

    /// Remembers the waker of the task that reads (split sockets only: an
    /// unsplit socket has one task, which polls with its own waker).
    pub(super) fn register_reader(&self, waker: &Waker) {
        if let Some(split) = &self.split {
            split.wakers.register_reader(waker);
        }
    }

    /// Remembers the waker of the task that writes (split sockets only).
    pub(super) fn register_writer(&self, waker: &Waker) {
        if let Some(split) = &self.split {
            split.wakers.register_writer(waker);
        }
    }

    /// Wakes the reading task of a split socket, if one waits.
    pub(super) fn wake_reader(&self) {
        if let Some(split) = &self.split {
            split.wakers.wake_reader();
        }
    }

    /// Wakes the writing task of a split socket, if one waits.
    pub(crate) fn wake_writer(&self) {
        if let Some(split) = &self.split {
            split.wakers.wake_writer();
        }
    }

    /// Runs `f` with the caller's context and the context the transport is
    /// polled with. Unsplit, both carry the caller's waker: one task, no
    /// shared waker to update. Split, the transport's waker wakes both
    /// tasks (see the `waker` module); it is moved out and back instead of
    /// cloned, two atomic operations less per call.
    pub(super) fn with_io<R>(
        &mut self,
        cx: &Context<'_>,
        f: impl FnOnce(&mut Self, &mut Context<'_>, &mut Context<'_>) -> R,
    ) -> R {
        let waker = cx.waker();
        let Some(split) = &mut self.split else {
            return f(
                self,
                &mut Context::from_waker(waker),
                &mut Context::from_waker(waker),
            );
        };
        let mut io_waker = std::mem::replace(&mut split.io_waker, Waker::noop().clone());
        if io_waker.will_wake(Waker::noop()) {
            // A panic inside `f` left the placeholder behind.
            io_waker = Waker::from(Arc::clone(&split.wakers));
        }
        let result = f(
            self,
            &mut Context::from_waker(waker),
            &mut Context::from_waker(&io_waker),
        );
        if let Some(split) = &mut self.split {
            split.io_waker = io_waker;
        }
        result
    }
}
