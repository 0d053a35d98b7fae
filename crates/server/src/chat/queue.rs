//! A member's outbound queue and its byte accounting.
//!
//! The room holds the sending end ([`Inbox`]) and offers frames to it
//! without ever waiting; the member's writer drains the receiving end
//! ([`Outbox`]). The queue is bounded twice, in frames and in bytes, and
//! a frame that finds it full makes the member a slow consumer (see
//! `fanout`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use tokio::sync::mpsc;
use ws_tokio::Utf8Bytes;

use super::frame::Frame;

use crate::metrics::Metrics;

// ANCHOR: queue_capacity
/// Frames a member may have queued and not yet handed to its socket. One
/// more, and it is disconnected as a slow consumer. (Behind the queue sit
/// the socket's own write buffer, up to its high-water mark, and the
/// kernel's.) Large enough
/// for the bursts of a busy room: 40 members sending their whole burst of
/// 50 at once queue 2000 frames for everyone.
pub(crate) const QUEUE_CAPACITY: usize = 2048;

/// Bytes a member may have queued (the frames are shared with the other
/// members, so this bounds how long one slow reader keeps them alive).
/// One frame is always accepted into an empty queue.
pub(crate) const QUEUE_BYTES: usize = 512 << 10;
// ANCHOR_END: queue_capacity

/// The receiving end of a member's outbound queue, drained by its writer.
///
/// A joiner's `welcome` and backlog come first, from `first`: they were
/// taken from the room's history under the room's lock, in the same step
/// that made the joiner a member, so the queue holds exactly what came
/// after them. They are not in the bounded queue: a resume of a whole
/// history (bounded by the history's limits) would not fit there, and
/// must not make the joiner a slow consumer. The member's own writer
/// sends them, so a long replay costs the room nothing.
#[derive(Debug)]
pub(crate) struct Outbox {
    first: VecDeque<Frame>,
    frames: mpsc::Receiver<Frame>,
    bytes: Arc<AtomicUsize>,
}

impl Outbox {
    /// The next frame; `None` once the room dropped the sending end.
    pub(crate) async fn recv(&mut self) -> Option<Frame> {
        if let Some(frame) = self.first.pop_front() {
            return Some(frame);
        }
        let frame = self.frames.recv().await?;
        self.bytes.fetch_sub(frame.len(), Relaxed);
        Some(frame)
    }

    /// The next frame if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<Frame> {
        if let Some(frame) = self.first.pop_front() {
            return Some(frame);
        }
        let frame = self.frames.try_recv().ok()?;
        self.bytes.fetch_sub(frame.len(), Relaxed);
        Some(frame)
    }

    /// Puts `frames` before everything queued (a joiner's `welcome` and
    /// backlog).
    pub(crate) fn put_first(&mut self, frames: impl IntoIterator<Item = Utf8Bytes>) {
        self.first.extend(frames.into_iter().map(Frame::from));
    }
}

/// The sending end of a member's outbound queue, kept by the room.
#[derive(Debug)]
pub(crate) struct Inbox {
    frames: mpsc::Sender<Frame>,
    bytes: Arc<AtomicUsize>,
}

/// What became of a frame offered to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    Queued,
    /// The queue is full (in frames or bytes): a slow consumer.
    Full,
    /// The session is ending and will leave in a moment.
    Gone,
}

/// A new, empty queue: its two ends.
pub(crate) fn queue() -> (Inbox, Outbox) {
    let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
    let bytes = Arc::new(AtomicUsize::new(0));
    let inbox = Inbox {
        frames: sender,
        bytes: Arc::clone(&bytes),
    };
    let outbox = Outbox {
        first: VecDeque::new(),
        frames: receiver,
        bytes,
    };
    (inbox, outbox)
}

impl Inbox {
    /// Queues `frame` if it fits, counting it in `chat_queued`.
    pub(crate) fn offer(&self, frame: &Frame, metrics: &Metrics) -> Offer {
        // Counted before it is queued, so the writer never subtracts first.
        let before = self.bytes.fetch_add(frame.len(), Relaxed);
        if before > 0 && before + frame.len() > QUEUE_BYTES {
            self.bytes.fetch_sub(frame.len(), Relaxed);
            return Offer::Full;
        }
        match self.frames.try_send(frame.clone()) {
            Ok(()) => {
                metrics.chat_queued.fetch_add(1, Relaxed);
                Offer::Queued
            }
            Err(e) => {
                self.bytes.fetch_sub(frame.len(), Relaxed);
                match e {
                    mpsc::error::TrySendError::Full(_) => Offer::Full,
                    mpsc::error::TrySendError::Closed(_) => Offer::Gone,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_is_full_by_frames_or_by_bytes_and_one_frame_always_fits() {
        let m = Metrics::default();
        let (inbox, mut outbox) = queue();
        let big = Frame::from(Utf8Bytes::from("x".repeat(QUEUE_BYTES + 1)));
        assert_eq!(
            inbox.offer(&big, &m),
            Offer::Queued,
            "an empty queue takes any frame"
        );
        assert_eq!(
            inbox.offer(&Frame::from(Utf8Bytes::from("y")), &m),
            Offer::Full
        );
        assert!(outbox.try_recv().is_some());
        let small = Frame::from(Utf8Bytes::from("z"));
        for _ in 0..QUEUE_CAPACITY {
            assert_eq!(inbox.offer(&small, &m), Offer::Queued);
        }
        assert_eq!(inbox.offer(&small, &m), Offer::Full);
        drop(outbox);
        assert_eq!(inbox.offer(&small, &m), Offer::Gone);
    }
}
