//! Writing: the transmit queue out to the transport (vectored), and the
//! writer's side of the socket (`queue`, `poll_send_ready`, `poll_flush`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use ws_frame::deflate::Deflated;
use ws_frame::{MessageKind, SharedSend};

use super::{Inner, Phase};
use crate::{Error, Message};

/// Most slices handed to one vectored write.
const MAX_IOVECS: usize = 64;

impl<S: AsyncRead + AsyncWrite + Unpin> Inner<S> {
    // ANCHOR: write_queue
    /// Writes queued bytes until at most `target` remain (0: all of them,
    /// then flushes the transport). Uses vectored writes when the transport
    /// supports them, so large payloads queued by reference go out without
    /// being copied.
    pub(super) fn poll_write_queue(
        &mut self,
        io: &mut Context<'_>,
        target: usize,
    ) -> Poll<Result<(), Error>> {
        while self.conn.transmit_len() > target {
            if self.write_failed || self.shutdown {
                return Poll::Ready(Err(Error::Closed));
            }
            let mut first = [IoSlice::new(&[])];
            self.conn.transmit_chunks(&mut first);
            let written =
                if first[0].len() < self.conn.transmit_len() && self.stream.is_write_vectored() {
                    // Several chunks (headers and payloads queued by reference):
                    // one vectored write.
                    let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
                    let n = self.conn.transmit_chunks(&mut slices);
                    Pin::new(&mut self.stream).poll_write_vectored(io, &slices[..n])
                } else {
                    // One contiguous buffer (small messages): a plain write
                    // spares filling the slice array, a measurable share of
                    // a small echo's user-space work (docs/benchmarks.md).
                    Pin::new(&mut self.stream).poll_write(io, &first[0])
                };
            match ready!(written) {
                Ok(0) => {
                    return Poll::Ready(Err(self.write_error(io::ErrorKind::WriteZero.into())));
                }
                Ok(n) => {
                    self.conn.advance_transmit(n);
                    // What is left includes at most all of the reader's bytes.
                    self.reader_debt = self.reader_debt.min(self.conn.transmit_len());
                }
                Err(e) => return Poll::Ready(Err(self.write_error(e))),
            }
        }
        if target == 0
            && !self.write_failed
            && !self.shutdown
            && let Err(e) = ready!(Pin::new(&mut self.stream).poll_flush(io))
        {
            return Poll::Ready(Err(self.write_error(e)));
        }
        Poll::Ready(Ok(()))
    }
    // ANCHOR_END: write_queue

    /// Records a failed write: the queue is dropped, nothing more is written.
    fn write_error(&mut self, e: io::Error) -> Error {
        tracing::debug!(error = %e, "write failed");
        self.write_failed = true;
        let queued = self.conn.transmit_len();
        self.conn.advance_transmit(queued);
        self.reader_debt = 0;
        self.wake_reader();
        Error::Io(e)
    }

    /// Whether nothing can be sent any more.
    fn send_closed(&self) -> bool {
        self.write_failed || self.shutdown || self.phase == Phase::Done
    }

    /// Queues a message in the connection (nothing is written yet).
    pub(crate) fn queue(&mut self, message: Message) -> Result<(), Error> {
        if self.send_closed() {
            return Err(Error::Closed);
        }
        match message {
            Message::Text(text) => self.conn.send_text(text)?,
            Message::Binary(data) => self.conn.send_binary(data)?,
            Message::Ping(data) => self.conn.ping(data)?,
            Message::Pong(data) => self.conn.pong(data)?,
            Message::Close(frame) => {
                match frame {
                    Some(frame) => self.conn.close(frame.code, &frame.reason)?,
                    None => self.conn.close_without_status()?,
                }
                // The reader starts the core's closing clock and waits for
                // the answer.
                self.wake_reader();
            }
        }
        Ok(())
    }

    /// Queues a message prepared once for many connections (see
    /// [`Connection::send_shared`](ws_frame::Connection::send_shared)).
    pub(crate) fn queue_shared(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        deflated: Option<&Deflated>,
    ) -> Result<SharedSend, Error> {
        if self.send_closed() {
            return Err(Error::Closed);
        }
        Ok(self.conn.send_shared(kind, data, deflated)?)
    }

    /// Queues the message lent by the last [`Inner::poll_recv_lend`] back
    /// to the peer, unchanged (see `Connection::send_lent`); `false` if
    /// none was lent.
    pub(crate) fn queue_lent(&mut self) -> Result<bool, Error> {
        if self.send_closed() {
            return Err(Error::Closed);
        }
        Ok(self.conn.send_lent()?)
    }

    // ANCHOR: send_ready
    /// Writes queued bytes; ready once at most the high-water mark remains
    /// (waiting only while more is queued).
    pub(crate) fn poll_send_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.register_writer(cx.waker());
        if self.send_closed() {
            return Poll::Ready(Err(Error::Closed));
        }
        match self.with_io(cx, |this, _, io| this.poll_write_queue(io, 0)) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending if self.conn.transmit_len() <= self.config.write_buffer_high_water => {
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
    // ANCHOR_END: send_ready

    /// Writes out everything queued and flushes the transport.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.register_writer(cx.waker());
        if self.conn.transmit_len() == 0 && self.send_closed() {
            return Poll::Ready(if self.write_failed {
                Err(Error::Closed)
            } else {
                Ok(())
            });
        }
        self.with_io(cx, |this, _, io| this.poll_write_queue(io, 0))
    }
}
