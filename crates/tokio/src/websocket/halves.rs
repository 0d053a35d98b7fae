//! The two halves of a [`WebSocket`], from [`WebSocket::split`]: a reader
//! and a writer that can live in different tasks, both handles on the one
//! shared state.

use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use ws_frame::deflate::Deflated;
use ws_frame::{CloseCode, MessageKind, SharedSend};

use super::{Shared, WebSocket, impl_sink, impl_stream, send};
#[cfg(doc)]
use crate::Config;
use crate::socket::Inner;
use crate::{Error, Message};

/// The reading half of a [`WebSocket`], from [`WebSocket::split`].
///
/// It does everything [`WebSocket::recv`] does, including writing the
/// automatic Pong and Close reply and running the keepalive and idle timers,
/// whatever the writer half is doing.
pub struct WebSocketReader<S> {
    pub(super) shared: Arc<Shared<S>>,
}

impl<S> fmt::Debug for WebSocketReader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketReader").finish_non_exhaustive()
    }
}

impl<S> WebSocketReader<S> {
    /// The round-trip time of the last answered keepalive Ping.
    pub fn rtt(&self) -> Option<Duration> {
        self.shared.lock().rtt()
    }

    /// The subprotocol agreed in the opening handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.shared.protocol.as_deref()
    }

    /// Puts the halves back together.
    ///
    /// # Errors
    /// Gives both halves back if they come from different sockets.
    pub fn reunite(
        self,
        writer: WebSocketWriter<S>,
    ) -> Result<WebSocket<S>, (Self, WebSocketWriter<S>)> {
        if !Arc::ptr_eq(&self.shared, &writer.shared) {
            return Err((self, writer));
        }
        let shared = Arc::clone(&self.shared);
        drop(self);
        drop(writer);
        match Arc::try_unwrap(shared) {
            Ok(Shared { inner, protocol }) => {
                let mut inner = inner.into_inner().unwrap_or_else(PoisonError::into_inner);
                // One task again: no lock, no shared waker.
                inner.unsplit();
                Ok(WebSocket {
                    inner: Box::new(inner),
                    protocol,
                    held: None,
                })
            }
            // Only the two halves hold the state, so this is not reached;
            // if it were, the halves are given back intact.
            Err(shared) => {
                shared.lock().reader_alive = true;
                let reader = Self {
                    shared: Arc::clone(&shared),
                };
                Err((reader, WebSocketWriter { shared }))
            }
        }
    }

    /// The shared driver, for the `Stream` impl.
    fn lock(&mut self) -> MutexGuard<'_, Inner<S>> {
        self.shared.lock()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketReader<S> {
    /// Receives the next message; `None` once the connection is finished.
    /// Same behaviour as [`WebSocket::recv`].
    ///
    /// # Cancel safety
    /// Cancel-safe: no message is lost if the future is dropped.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.shared.lock().poll_recv(cx)).await
    }
}

impl<S> Drop for WebSocketReader<S> {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        inner.reader_alive = false;
        inner.wake_writer();
    }
}

/// The writing half of a [`WebSocket`], from [`WebSocket::split`]: sends
/// messages (RFC 6455 §5.6) and starts the closing handshake (§7.1.2).
pub struct WebSocketWriter<S> {
    pub(super) shared: Arc<Shared<S>>,
}

impl<S> fmt::Debug for WebSocketWriter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketWriter").finish_non_exhaustive()
    }
}

impl<S> WebSocketWriter<S> {
    /// Bytes queued for writing and not yet written.
    pub fn buffered_amount(&self) -> usize {
        self.shared.lock().connection().transmit_len()
    }

    /// The shared driver, for the `Sink` impl.
    fn lock(&mut self) -> MutexGuard<'_, Inner<S>> {
        self.shared.lock()
    }

    /// The largest window of a payload deflated once for many connections
    /// that [`WebSocketWriter::start_send_shared`] may send here as it is
    /// (see [`Connection::shared_deflate_window`](ws_frame::Connection::shared_deflate_window));
    /// `None`: it would be compressed by this connection, if at all.
    pub fn shared_deflate_window(&self) -> Option<u8> {
        self.shared.lock().connection().shared_deflate_window()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketWriter<S> {
    /// Queues a message prepared once for many connections, its plain
    /// `data` and the same data `deflated` with a fresh context (RFC 7692
    /// §7.1.1.1), without writing: like `Sink::start_send`, follow it with
    /// `poll_ready` or [`WebSocketWriter::flush`]. What it sent is as
    /// [`Connection::send_shared`](ws_frame::Connection::send_shared)
    /// decides.
    ///
    /// # Errors
    /// [`Error::Closed`] once nothing can be sent; [`Error::InvalidSend`] as for
    /// [`WebSocket::send`].
    pub fn start_send_shared(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        deflated: Option<&Deflated>,
    ) -> Result<SharedSend, Error> {
        self.shared.lock().queue_shared(kind, data, deflated)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketWriter<S> {
    /// Queues a message and writes it out, waiting only while more than the
    /// high-water mark is queued. Same behaviour as [`WebSocket::send`].
    ///
    /// # Cancel safety
    /// The message is queued on the first poll; dropping the future later
    /// only stops waiting.
    ///
    /// # Errors
    /// As [`WebSocket::send`].
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        send(&*self.shared, message).await
    }

    /// Writes out everything queued and flushes the transport.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Errors
    /// [`Error::Io`] if writing fails; [`Error::Closed`] if it failed before.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.shared.lock().poll_flush(cx)).await
    }

    /// Sends a Close and waits for the closing handshake to finish: the
    /// reader half (which must keep reading) sees the peer's Close, at most
    /// [`Config::close_timeout`]. If the reader half was dropped, this reads
    /// itself, discarding messages.
    ///
    /// # Cancel safety
    /// The Close stays queued if dropped after the first poll.
    ///
    /// # Errors
    /// [`Error::Timeout`] if the handshake did not finish in time (the
    /// transport is then shut down); [`Error::Closed`] if the connection
    /// ended without the peer's Close; the errors of [`WebSocket::send`].
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let timeout = {
            let mut inner = self.shared.lock();
            match inner.queue(Message::close(code, reason)) {
                Ok(()) | Err(Error::Closed) => {}
                Err(e) => return Err(e),
            }
            inner.config().close_timeout
        };
        let shared = &self.shared;
        let wait = async {
            let _ = poll_fn(|cx| shared.lock().poll_flush(cx)).await;
            poll_fn(|cx| {
                let mut inner = shared.lock();
                if inner.reader_alive {
                    return inner.poll_close_seen(cx);
                }
                // Nobody reads: read ourselves until the end.
                let mut result = Ok(());
                loop {
                    match inner.poll_recv(cx) {
                        Poll::Ready(Some(Err(e))) => result = Err(e),
                        Poll::Ready(Some(Ok(_))) => {}
                        Poll::Ready(None) => return Poll::Ready(result),
                        Poll::Pending => return Poll::Pending,
                    }
                }
            })
            .await
        };
        // The reader enforces the close timeout itself; this bound only
        // matters if the reader task stopped reading.
        match tokio::time::timeout(timeout * 2, wait).await {
            Ok(result) => result,
            Err(_) => {
                poll_fn(|cx| shared.lock().poll_abort(cx)).await;
                Err(Error::Timeout)
            }
        }
    }
}

impl_stream!(WebSocketReader);
impl_sink!(WebSocketWriter);
