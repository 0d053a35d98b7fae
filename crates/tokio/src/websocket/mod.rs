//! The public socket types: [`WebSocket`] and its two halves.
//!
//! A [`WebSocket`] owns its [`Inner`]: one task reads and writes, with no
//! lock and no shared waker. [`WebSocket::split`] moves the `Inner` behind
//! a mutex that both halves share, locked only inside `poll_*` calls, never
//! across an `.await`. So the halves can live in different tasks, and the
//! reader half can write the automatic Pong while the writer half is idle
//! or waiting, without stealing its wake-up (see the `waker` module). Only
//! a socket that is split pays for that.

use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};
use ws_frame::{CloseCode, Role, State};

pub use borrowed::MessageRef;
pub use halves::{WebSocketReader, WebSocketWriter};

use crate::socket::Inner;
use crate::{Config, Error, Message};

mod borrowed;
mod halves;

#[cfg(doc)]
use futures_core::Stream;

// ANCHOR: shared
/// What the halves of a split socket share.
struct Shared<S> {
    inner: Mutex<Inner<S>>,
    /// The subprotocol agreed in the opening handshake (§1.9, §4.2.2).
    protocol: Option<String>,
}
// ANCHOR_END: shared

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, Inner<S>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A WebSocket connection over any async byte stream `S` (TCP, TLS, an
/// in-memory duplex), after the opening handshake.
///
/// Get one from [`accept`](crate::accept) / [`upgrade`](crate::upgrade) on a
/// server, [`connect`](crate::connect) / [`client`](crate::client) on a
/// client, or [`WebSocket::from_raw`] after a handshake done elsewhere.
///
/// ```no_run
/// # async fn run() -> Result<(), ws_tokio::Error> {
/// use ws_tokio::{CloseCode, Message};
/// let (mut ws, _response) = ws_tokio::connect("ws://127.0.0.1:9001/echo").await?;
/// ws.send(Message::text("hello")).await?;
/// while let Some(message) = ws.recv().await {
///     match message? {
///         Message::Text(text) => {
///             println!("{text}");
///             ws.close(CloseCode::NORMAL, "bye").await?;
///         }
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
///
/// # Driving it
///
/// Reading drives everything that happens without being asked: the
/// automatic Pong (§5.5.2) and Close reply (§5.5.1) are written out by
/// [`WebSocket::recv`], which also runs the keepalive and idle timers. An
/// application that never calls `recv` (or polls the [`Stream`]) gets no
/// Pongs sent and no timers run. Sending writes what it can at once and waits
/// only while more than [`Config::write_buffer_high_water`] bytes are queued;
/// [`WebSocket::flush`] waits until everything is written.
pub struct WebSocket<S> {
    /// Boxed: the socket is moved through handshakes and into tasks, and
    /// the driver's state is large.
    inner: Box<Inner<S>>,
    /// The subprotocol agreed in the opening handshake (§1.9, §4.2.2).
    protocol: Option<String>,
    /// The owned message [`WebSocket::recv_borrowed`] last lent a view of.
    held: Option<Message>,
}

impl<S> fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("connection", self.inner.connection())
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

/// What the opening handshake agreed on besides the upgrade itself.
#[derive(Default)]
pub(crate) struct Negotiated {
    /// The subprotocol (RFC 6455 §1.9).
    pub(crate) protocol: Option<String>,
    /// The extension to install, e.g. permessage-deflate (§9, RFC 7692).
    pub(crate) extension: Option<Box<dyn ws_frame::Extension>>,
}

impl Negotiated {
    /// What a client takes from the server's answer, over HTTP/1.1 or
    /// HTTP/2 alike: its subprotocol, and its permessage-deflate parameters
    /// checked against our policy (RFC 7692 §7.1). ws-handshake already
    /// refused anything we did not offer (RFC 6455 §4.1 items 5 and 6).
    pub(crate) fn from_server_answer(
        protocol: Option<&str>,
        extensions: &[ws_handshake::ExtensionOffer],
        config: &Config,
    ) -> Result<Self, Error> {
        let extension = match extensions.iter().find(|e| e.name == "permessage-deflate") {
            Some(answer) => {
                let policy = config.deflate.clone().unwrap_or_default();
                let deflate = ws_frame::deflate::client_accept(&answer.params, &policy)?;
                Some(Box::new(deflate) as Box<dyn ws_frame::Extension>)
            }
            None => None,
        };
        Ok(Self {
            protocol: protocol.map(str::to_owned),
            extension,
        })
    }
}

impl<S> WebSocket<S> {
    /// Wraps a stream on which the opening handshake is already done, e.g. by
    /// a framework that answered the HTTP upgrade itself. `leftover` holds the
    /// bytes read past the end of the HTTP head: they are the first frames.
    pub fn from_raw(stream: S, role: Role, config: Config, leftover: BytesMut) -> Self {
        Self::from_parts(stream, role, config, leftover, Negotiated::default())
    }

    pub(crate) fn from_parts(
        stream: S,
        role: Role,
        config: Config,
        leftover: BytesMut,
        negotiated: Negotiated,
    ) -> Self {
        let Negotiated {
            protocol,
            extension,
        } = negotiated;
        Self {
            inner: Box::new(Inner::new(stream, role, config, leftover, extension)),
            protocol,
            held: None,
        }
    }

    /// The subprotocol agreed in the opening handshake (RFC 6455 §1.9), if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The round-trip time of the last answered keepalive Ping (see
    /// [`Config::keepalive_interval`]).
    pub fn rtt(&self) -> Option<Duration> {
        self.inner.rtt()
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.inner.connection().role()
    }

    /// The closing-handshake state of the connection (RFC 6455 §7).
    pub fn state(&self) -> State {
        self.inner.connection().state()
    }

    /// The configuration in use.
    pub fn config(&self) -> Config {
        self.inner.config().clone()
    }

    /// Bytes queued for writing and not yet written (at most
    /// [`Config::write_buffer_high_water`] plus one message after a `send`).
    pub fn buffered_amount(&self) -> usize {
        self.inner.connection().transmit_len()
    }

    /// Runs `f` on the underlying stream, e.g. to read its peer address.
    pub fn with_stream<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(self.inner.stream())
    }

    /// The driver, for the `Stream` and `Sink` impls (which the halves
    /// implement with a lock).
    fn lock(&mut self) -> &mut Inner<S> {
        &mut self.inner
    }

    // ANCHOR: split
    /// Splits the socket into a reading and a writing half that can be used
    /// from different tasks. The reader half keeps doing everything `recv`
    /// does (automatic Pongs, Close reply, keepalive and idle timers).
    pub fn split(self) -> (WebSocketReader<S>, WebSocketWriter<S>) {
        let Self {
            mut inner,
            protocol,
            held: _,
        } = self;
        inner.make_split();
        let shared = Arc::new(Shared {
            inner: Mutex::new(*inner),
            protocol,
        });
        let reader = WebSocketReader {
            shared: Arc::clone(&shared),
        };
        (reader, WebSocketWriter { shared })
    }
    // ANCHOR_END: split
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    // ANCHOR: recv_send
    /// Receives the next message. Returns `None` once the connection is
    /// finished.
    ///
    /// While waiting it writes out queued frames (the automatic Pong and the
    /// Close reply among them) and runs the keepalive and idle timers. The
    /// end of a connection is reported exactly once, then `None`:
    ///
    /// - the peer's Close: `Some(Ok(Message::Close(frame)))`, after our reply
    ///   is written (and, on a server, the TCP connection shut down, RFC 6455
    ///   §7.1.1; a client waits for the server to close it, at most
    ///   [`Config::close_timeout`], in the call that returns `None`);
    /// - a protocol violation: `Some(Err(Error::Protocol(_)))`, after our
    ///   Close with its code (1002, 1007, 1009) was sent and the peer closed
    ///   (or [`Config::close_timeout`] passed);
    /// - the peer vanishing without a Close: `Some(Err(_))` (1006);
    /// - no answer to our Close in time: `Some(Err(Error::Timeout))`.
    ///
    /// # Cancel safety
    /// Cancel-safe: all state lives in the socket, not in the future, so
    /// dropping it (e.g. in `tokio::select!`) loses no message.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.inner.poll_recv(cx)).await
    }

    /// Queues a message and writes it out, waiting only while more than
    /// [`Config::write_buffer_high_water`] bytes are queued (so memory stays
    /// bounded by the high-water mark plus one message when the peer reads
    /// slowly). What is left below the mark is written by later calls
    /// ([`WebSocket::flush`] waits for all of it).
    ///
    /// `Message::Close` starts the closing handshake; [`WebSocket::close`]
    /// also waits for its end.
    ///
    /// # Cancel safety
    /// The message is queued on the first poll; dropping the future after
    /// that only stops waiting (the message is still sent). Dropped before
    /// its first poll, nothing is sent.
    ///
    /// # Errors
    /// [`Error::Closed`] once a Close was sent or received or the connection
    /// ended; [`Error::InvalidSend`] for a
    /// control payload over 125 bytes or a close code that may not be sent;
    /// [`Error::Io`] if writing fails.
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        send(&mut *self.inner, message).await
    }
    // ANCHOR_END: recv_send

    /// Writes out everything queued and flushes the transport.
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is lost if dropped; the rest is written later.
    ///
    /// # Errors
    /// [`Error::Io`] if writing fails; [`Error::Closed`] if it failed before.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.inner.poll_flush(cx)).await
    }

    /// Runs the closing handshake (RFC 6455 §7.1.2): sends a Close with
    /// `code` and `reason` (cut to 123 bytes), then reads until the peer's
    /// Close arrives (messages received meanwhile are discarded), at most
    /// [`Config::close_timeout`]. A server then closes the TCP connection; a
    /// client waits for the server to do so (§7.1.1). If the handshake was
    /// already started (by either side) this just waits for its end.
    ///
    /// # Cancel safety
    /// Cancel-safe in that the Close stays queued and a later `recv` or
    /// `close` continues the handshake.
    ///
    /// # Errors
    /// [`Error::Timeout`] if the peer did not answer in time (the connection
    /// is dropped anyway); [`Error::InvalidSend`] for a code that may not be sent
    /// (1005, 1006, 1015, …); an error that ended the connection meanwhile.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        match self.inner.queue(Message::close(code, reason)) {
            Ok(()) | Err(Error::Closed) => {}
            Err(e) => return Err(e),
        }
        let mut result = Ok(());
        while let Some(item) = self.recv().await {
            if let Err(e) = item {
                result = Err(e);
            }
        }
        result
    }
}

/// Something that gives access to the driver: the socket itself, or a
/// half (which locks the shared state).
trait Driver<S> {
    fn lock(&mut self) -> impl std::ops::DerefMut<Target = Inner<S>> + '_;
}

impl<S> Driver<S> for &mut Inner<S> {
    fn lock(&mut self) -> impl std::ops::DerefMut<Target = Inner<S>> + '_ {
        &mut **self
    }
}

impl<S> Driver<S> for &Shared<S> {
    fn lock(&mut self) -> impl std::ops::DerefMut<Target = Inner<S>> + '_ {
        Shared::lock(self)
    }
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    mut driver: impl Driver<S>,
    message: Message,
) -> Result<(), Error> {
    // Queued on the first poll, under the same lock as the first write.
    let mut message = Some(message);
    poll_fn(|cx| {
        let mut inner = driver.lock();
        if let Some(message) = message.take() {
            inner.queue(message)?;
        }
        inner.poll_send_ready(cx)
    })
    .await
}

/// `Stream` for a handle that reads: each item is one `poll_recv` on the
/// shared state.
macro_rules! impl_stream {
    ($handle:ident) => {
        impl<S: ::tokio::io::AsyncRead + ::tokio::io::AsyncWrite + Unpin> ::futures_core::Stream
            for $handle<S>
        {
            type Item = Result<$crate::Message, $crate::Error>;

            fn poll_next(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Option<Self::Item>> {
                self.get_mut().lock().poll_recv(cx)
            }
        }
    };
}

/// `Sink` for a handle that writes: each method is one call on the shared
/// state.
macro_rules! impl_sink {
    ($handle:ident) => {
        impl<S: ::tokio::io::AsyncRead + ::tokio::io::AsyncWrite + Unpin>
            ::futures_sink::Sink<$crate::Message> for $handle<S>
        {
            type Error = $crate::Error;

            fn poll_ready(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Result<(), $crate::Error>> {
                self.get_mut().lock().poll_send_ready(cx)
            }

            fn start_send(
                self: ::std::pin::Pin<&mut Self>,
                item: $crate::Message,
            ) -> Result<(), $crate::Error> {
                self.get_mut().lock().queue(item)
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Result<(), $crate::Error>> {
                self.get_mut().lock().poll_flush(cx)
            }

            /// Sends a Close 1000 (unless one was sent) and flushes; the
            /// answer is read by whoever reads (`close` waits for it).
            fn poll_close(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<Result<(), $crate::Error>> {
                $crate::websocket::sink_close(&mut self.get_mut().lock(), cx)
            }
        }
    };
}
pub(crate) use {impl_sink, impl_stream};

impl_stream!(WebSocket);
impl_sink!(WebSocket);

fn sink_close<S: AsyncRead + AsyncWrite + Unpin>(
    inner: &mut Inner<S>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), Error>> {
    if inner.connection().close_sent().is_none() && inner.connection().state() == State::Open {
        inner.queue(Message::close(CloseCode::NORMAL, ""))?;
    }
    inner.poll_flush(cx)
}
