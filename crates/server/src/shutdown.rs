//! The server-wide shutdown signal that every connection task waits on.
//!
//! Every connection loop races its socket against this signal, so the
//! signal is polled once per message. A `tokio::sync::watch` channel does
//! the job but re-registers its waiter on every poll, a noticeable share of
//! the cost of a small echo (docs/benchmarks.md). A [`Wait`] registers its
//! task once; afterwards a poll reads one atomic flag and compares one
//! waker.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// A one-way "the server is stopping" signal.
#[derive(Debug, Default)]
pub(crate) struct Shutdown {
    triggered: AtomicBool,
    waiters: Mutex<Waiters>,
}

/// The tasks to wake when the signal goes off, by [`Wait`] id.
#[derive(Debug, Default)]
struct Waiters {
    next_id: u64,
    wakers: HashMap<u64, Waker>,
}

impl Shutdown {
    /// Sets the signal and wakes every task waiting on it.
    pub(crate) fn trigger(&self) {
        // The flag first: a `Wait` that registers after the wakers were
        // taken below sees it when it re-checks.
        self.triggered.store(true, Ordering::Release);
        let wakers = std::mem::take(&mut self.lock().wakers);
        for waker in wakers.into_values() {
            waker.wake();
        }
    }

    /// Whether [`Shutdown::trigger`] was called.
    pub(crate) fn is_triggered(&self) -> bool {
        self.triggered.load(Ordering::Acquire)
    }

    /// A future that completes once the signal is set.
    pub(crate) const fn wait(&self) -> Wait<'_> {
        Wait {
            shutdown: self,
            id: None,
            waker: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Completes once the server shuts down; see [`Shutdown::wait`].
#[derive(Debug)]
pub(crate) struct Wait<'a> {
    shutdown: &'a Shutdown,
    /// The key of this wait's waker in [`Waiters`], once registered.
    id: Option<u64>,
    /// The waker registered: while the task polls with the same one,
    /// there is nothing to register again.
    waker: Option<Waker>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shutdown.is_triggered() {
            return Poll::Ready(());
        }
        if self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        let shutdown = self.shutdown;
        {
            let mut waiters = shutdown.lock();
            let id = *self.id.get_or_insert_with(|| {
                waiters.next_id += 1;
                waiters.next_id
            });
            waiters.wakers.insert(id, cx.waker().clone());
        }
        self.waker = Some(cx.waker().clone());
        // Triggered while we registered: `trigger` may have taken the
        // wakers before ours went in.
        if shutdown.is_triggered() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shutdown.lock().wakers.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn every_waiting_task_wakes_and_later_waits_complete_at_once() {
        let shutdown = Arc::new(Shutdown::default());
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let shutdown = Arc::clone(&shutdown);
                tokio::spawn(async move { shutdown.wait().await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!shutdown.is_triggered());
        shutdown.trigger();
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .expect("a waiting task was not woken")
                .unwrap();
        }
        shutdown.wait().await;
        assert!(shutdown.lock().wakers.is_empty());
    }

    #[tokio::test]
    async fn a_dropped_wait_leaves_no_waker_behind() {
        let shutdown = Shutdown::default();
        {
            let wait = shutdown.wait();
            tokio::pin!(wait);
            let pending = std::future::poll_fn(|cx| Poll::Ready(wait.as_mut().poll(cx))).await;
            assert!(pending.is_pending());
            assert_eq!(shutdown.lock().wakers.len(), 1);
        }
        assert!(shutdown.lock().wakers.is_empty());
    }
}
