//! Reading: bytes from the transport into the connection (no buffer while
//! idle), and draining what a closing peer still sends.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::time::Instant;
use ws_frame::Transport;

use super::Inner;

/// Bytes read onto the stack when nothing is buffered, so that an idle
/// connection owns no read buffer.
const SCRATCH_LEN: usize = 8 * 1024;

impl<S: AsyncRead + AsyncWrite + Unpin> Inner<S> {
    // ANCHOR: read_some
    /// Reads some bytes into the connection: onto the stack when nothing is
    /// buffered (an idle connection keeps no buffer), else straight into the
    /// connection's buffer, grown to what the current frame needs.
    pub(super) fn poll_read_some(&mut self, io: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let want = self
            .conn
            .read_hint()
            .max(self.config.read_buffer_size.max(1));
        let buf = self.conn.read_buf();
        if buf.is_empty() && buf.capacity() < want {
            // Uninitialised: zeroing 8 KiB before every read of a small
            // message was the largest user-space cost of an echo.
            let mut scratch = [MaybeUninit::<u8>::uninit(); SCRATCH_LEN];
            let len = self.config.read_buffer_size.clamp(1, SCRATCH_LEN);
            let mut read_buf = ReadBuf::uninit(&mut scratch[..len]);
            ready!(Pin::new(&mut self.stream).poll_read(io, &mut read_buf))?;
            let filled = read_buf.filled();
            self.conn.receive(filled);
            return Poll::Ready(Ok(filled.len()));
        }
        if buf.capacity() - buf.len() < self.config.read_buffer_size.min(want) {
            buf.reserve(want);
        }
        let read = std::pin::pin!(self.stream.read_buf(buf));
        read.poll(io)
    }
    // ANCHOR_END: read_some

    /// Lets an idle connection give its read buffer back.
    pub(super) fn shrink_if_idle(&mut self) {
        // `read_hint() == 1`: between frames (a frame in progress keeps the
        // room reserved for its payload).
        if self.conn.read_hint() == 1 {
            let buf = self.conn.read_buf();
            if buf.is_empty() && buf.capacity() > 0 {
                *buf = BytesMut::new();
            }
        }
    }

    /// Reads and discards until the peer closes or fails (then tells the
    /// core), or until the core gives up waiting.
    pub(super) fn poll_drain(&mut self, io: &mut Context<'_>) -> Poll<()> {
        let mut scratch = [MaybeUninit::<u8>::uninit(); SCRATCH_LEN];
        loop {
            let mut read_buf = ReadBuf::uninit(&mut scratch);
            match ready!(Pin::new(&mut self.stream).poll_read(io, &mut read_buf)) {
                Ok(()) if !read_buf.filled().is_empty() => {
                    // A peer that keeps sending must not hold us past the
                    // core's deadline: it hears the time per chunk.
                    self.tick(Instant::now());
                    if self.conn.transport() != Transport::AwaitEof {
                        return Poll::Ready(());
                    }
                }
                Ok(()) | Err(_) => {
                    self.conn.receive_eof();
                    return Poll::Ready(());
                }
            }
        }
    }
}
