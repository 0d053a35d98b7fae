//! The queue of bytes waiting to be written to the peer.
//!
//! Small frames are appended to one growing buffer so that many of them leave
//! in a single write. A large payload that needs no masking (a server's) is
//! queued as its own [`Bytes`] chunk and never copied: the IO layer writes
//! the chunks with one vectored write.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

// ANCHOR: zero_copy_min
/// Payloads at least this large are queued by reference instead of copied.
pub(crate) const ZERO_COPY_MIN: usize = 4096;
// ANCHOR_END: zero_copy_min

/// Write-buffer capacity kept when the queue runs empty; more is freed.
const KEEP_IDLE: usize = 1024;

// ANCHOR: queue_struct
/// Outgoing bytes: finished chunks, then the buffer being filled.
#[derive(Debug, Default)]
pub(crate) struct TransmitQueue {
    chunks: VecDeque<Bytes>,
    tail: BytesMut,
    len: usize,
}
// ANCHOR_END: queue_struct

impl TransmitQueue {
    /// Total bytes waiting.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// The buffer new small frames are written into.
    pub(crate) fn tail(&mut self) -> &mut BytesMut {
        &mut self.tail
    }

    /// Accounts for `n` bytes just written into [`TransmitQueue::tail`].
    pub(crate) const fn grew(&mut self, n: usize) {
        self.len += n;
    }

    /// Queues a chunk after everything already queued, without copying it.
    pub(crate) fn push_chunk(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        if !self.tail.is_empty() {
            self.chunks.push_back(self.tail.split().freeze());
        }
        self.len += chunk.len();
        self.chunks.push_back(chunk);
    }

    /// Removes and returns the next chunk.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        let chunk = match self.chunks.pop_front() {
            Some(chunk) => chunk,
            None if !self.tail.is_empty() => self.tail.split().freeze(),
            None => return None,
        };
        self.len -= chunk.len();
        Some(chunk)
    }

    /// Fills `dst` with slices of the waiting bytes, in order; returns how many.
    pub(crate) fn chunks<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let sources = self
            .chunks
            .iter()
            .map(|c| &c[..])
            .chain((!self.tail.is_empty()).then_some(&self.tail[..]));
        let mut n = 0;
        for (slot, src) in dst.iter_mut().zip(sources) {
            *slot = IoSlice::new(src);
            n += 1;
        }
        n
    }

    // ANCHOR: advance
    /// Drops `n` bytes from the front, after they were written.
    pub(crate) fn advance(&mut self, mut n: usize) {
        assert!(n <= self.len, "advanced past the queued bytes");
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.tail.advance(n);
                break;
            };
            if n < front.len() {
                front.advance(n);
                break;
            }
            n -= front.len();
            self.chunks.pop_front();
        }
        if self.len == 0 && self.tail.capacity() > KEEP_IDLE {
            // Give back memory once everything is written, so an idle
            // connection holds at most `KEEP_IDLE` bytes of write buffer.
            self.tail = BytesMut::new();
        }
    }
    // ANCHOR_END: advance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_order_and_advance_across_them() {
        let mut q = TransmitQueue::default();
        q.tail().extend_from_slice(b"ab");
        q.grew(2);
        q.push_chunk(Bytes::from_static(b"cdef"));
        q.tail().extend_from_slice(b"gh");
        q.grew(2);
        assert_eq!(q.len(), 8);
        let mut slices = [IoSlice::new(&[]); 8];
        let n = q.chunks(&mut slices);
        let all: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(all, b"abcdefgh");
        q.advance(3);
        assert_eq!(q.pop().unwrap(), &b"def"[..]);
        assert_eq!(q.pop().unwrap(), &b"gh"[..]);
        assert_eq!((q.pop(), q.len()), (None, 0));
    }

    #[test]
    fn empty_chunk_is_not_queued() {
        let mut q = TransmitQueue::default();
        q.tail().extend_from_slice(b"ab");
        q.grew(2);
        q.push_chunk(Bytes::new());
        let mut slices = [IoSlice::new(&[]); 4];
        // The tail was not split off for an empty chunk: still one slice.
        assert_eq!((q.chunks(&mut slices), q.len()), (1, 2));
        assert_eq!(q.pop().unwrap(), &b"ab"[..]);
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_large_write_buffer_is_freed_once_written_and_a_small_one_kept() {
        let mut q = TransmitQueue::default();
        // Spare capacity beyond the bytes written: what is kept after them.
        *q.tail() = BytesMut::with_capacity(4 * KEEP_IDLE);
        q.tail().extend_from_slice(&[7; 2 * KEEP_IDLE]);
        q.grew(2 * KEEP_IDLE);
        q.advance(KEEP_IDLE);
        assert_eq!(q.len(), KEEP_IDLE);
        assert!(q.tail().capacity() >= KEEP_IDLE, "kept while bytes wait");
        q.advance(KEEP_IDLE);
        assert_eq!((q.len(), q.tail().capacity()), (0, 0));
        *q.tail() = BytesMut::with_capacity(KEEP_IDLE / 2);
        q.tail().extend_from_slice(b"xy");
        q.grew(2);
        let capacity = q.tail().capacity();
        q.advance(2);
        // Kept: the same allocation, minus the two bytes written.
        assert_eq!(q.tail().capacity(), capacity - 2);
    }

    #[test]
    #[should_panic(expected = "advanced past the queued bytes")]
    fn advancing_past_the_queue_panics() {
        let mut q = TransmitQueue::default();
        q.push_chunk(Bytes::from_static(b"abc"));
        q.advance(4);
    }
}
