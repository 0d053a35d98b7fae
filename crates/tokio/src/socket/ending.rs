//! The end of a connection, as the core directs it: each step of
//! [`Connection::transport`](ws_frame::Connection::transport) (flush and
//! shut down, read until the peer's EOF, drop) may have to wait for the
//! socket, and every wait is bounded by the core's closing deadline
//! (RFC 6455 §7.1.1). The order is not decided here; only when the last
//! item is handed out is (see [`Inner::poll_end`]).

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use ws_frame::Transport;

use super::{Inner, Phase};
use crate::{Error, Message};

impl<S> Inner<S> {
    /// Starts the end of the connection; `item` is the last thing `recv`
    /// hands out.
    pub(super) fn begin_end(&mut self, item: Result<Message, Error>) {
        self.phase = Phase::Ending;
        self.last_item = Some(item);
        self.timer_at = None;
        self.wake_writer();
    }

    /// Gives back the buffers of a finished connection.
    fn release(&mut self) {
        *self.conn.read_buf() = BytesMut::new();
        self.timer = None;
        self.timer_at = None;
        self.timer_waker = None;
        self.wake_writer();
    }

    /// A client whose closing handshake is complete and whose Close reply
    /// is written: only the server's EOF is awaited, which cannot change
    /// the outcome, so the peer's Close is handed out already.
    fn lingering(&self) -> bool {
        self.conn.transport() == Transport::AwaitEof
            && self.conn.close_received().is_some()
            && self.conn.transmit_len() == 0
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Inner<S> {
    /// Runs the end of the connection. `Ready(Some(item))`: the last item,
    /// handed out once the steps are done (or, for a lingering client,
    /// while it waits); `Ready(None)`: finished, nothing more to hand out.
    pub(super) fn poll_end(
        &mut self,
        cx: &mut Context<'_>,
        io: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        loop {
            if self.poll_transport(io).is_ready() {
                self.phase = Phase::Done;
                self.release();
                return Poll::Ready(self.last_item.take());
            }
            if self.lingering()
                && let Some(item) = self.last_item.take()
            {
                return Poll::Ready(Some(item));
            }
            // Waiting for the socket, as long as the core lets us.
            if !self.poll_clock(cx) {
                return Poll::Pending;
            }
        }
    }

    // ANCHOR: ending
    /// Does what [`Connection::transport`](ws_frame::Connection::transport)
    /// says until it says [`Transport::Finished`].
    fn poll_transport(&mut self, io: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.conn.transport() {
                // An IO error ended the connection; the core never knew.
                Transport::Open => return Poll::Ready(()),
                // A server closes TCP first (§7.1.1).
                Transport::ShutDown => {
                    ready!(self.poll_write_out(io));
                    ready!(self.poll_shutdown(io));
                    self.conn.transport_shut_down();
                }
                // A client waits for the server's EOF (§7.1.1); after a
                // failure, the peer must read our Close before a reset.
                Transport::AwaitEof => {
                    ready!(self.poll_write_out(io));
                    ready!(self.poll_drain(io));
                }
                Transport::Finished => {
                    if self.conn.timed_out() {
                        // Given up: try once, wait for nothing.
                        let _ = self.poll_shutdown(io);
                    } else {
                        ready!(self.poll_shutdown(io));
                    }
                    return Poll::Ready(());
                }
            }
        }
    }
    // ANCHOR_END: ending

    /// Writes out the queue (our Close among it); a failed write is not an
    /// ending's concern.
    fn poll_write_out(&mut self, io: &mut Context<'_>) -> Poll<()> {
        if !self.shutdown {
            let _ = ready!(self.poll_write_queue(io, 0));
        }
        Poll::Ready(())
    }

    fn poll_shutdown(&mut self, io: &mut Context<'_>) -> Poll<()> {
        if !self.shutdown {
            let _ = ready!(Pin::new(&mut self.stream).poll_shutdown(io));
            self.shutdown = true;
        }
        Poll::Ready(())
    }

    /// Waits (as the writer) until the reader has finished the closing
    /// handshake; `Ok` if the peer's Close arrived.
    pub(crate) fn poll_close_seen(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.register_writer(cx.waker());
        if !self.read_finished() {
            return Poll::Pending;
        }
        Poll::Ready(if self.conn.close_received().is_some() {
            Ok(())
        } else {
            Err(Error::Closed)
        })
    }

    /// Shuts the transport down at once (a closing handshake that stalled).
    pub(crate) fn poll_abort(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.register_writer(cx.waker());
        self.with_io(cx, |this, _, io| this.poll_shutdown(io))
    }
}
