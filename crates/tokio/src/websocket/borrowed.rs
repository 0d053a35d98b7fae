//! Borrowed receiving: [`WebSocket::recv_borrowed`] hands out a view of the
//! message in the connection's receive buffer instead of a [`Message`] of
//! its own, and [`WebSocket::send_back`] echoes it from there. No
//! allocation per message for an application that is done with a message
//! before it asks for the next (see `Connection::poll_borrowed` for what
//! can be lent and what falls back to an owned message).

use std::future::poll_fn;

use tokio::io::{AsyncRead, AsyncWrite};
use ws_frame::{CloseFrame, MessageKind, validate_utf8};

use super::WebSocket;
use crate::socket::Item;
use crate::{Error, Message};

/// A received message, borrowed from the [`WebSocket`] until its next call
/// (from [`WebSocket::recv_borrowed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// A complete text message, valid UTF-8 (§5.6, §8.1).
    Text(&'a str),
    /// A complete binary message.
    Binary(&'a [u8]),
    /// A Ping (already answered, as with [`Message::Ping`]).
    Ping(&'a [u8]),
    /// A Pong.
    Pong(&'a [u8]),
    /// The peer's Close frame (§5.5.1); `None`: one without a body.
    Close(Option<&'a CloseFrame>),
}

impl<'a> MessageRef<'a> {
    /// The payload length in bytes (for a Close: of its reason).
    pub const fn len(&self) -> usize {
        match self {
            Self::Text(text) => text.len(),
            Self::Binary(data) | Self::Ping(data) | Self::Pong(data) => data.len(),
            Self::Close(frame) => match frame {
                Some(frame) => frame.reason.len(),
                None => 0,
            },
        }
    }

    /// Whether the payload is empty.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A view of an owned message.
    fn of(message: &'a Message) -> Self {
        match message {
            Message::Text(text) => Self::Text(text.as_str()),
            Message::Binary(data) => Self::Binary(data),
            Message::Ping(data) => Self::Ping(data),
            Message::Pong(data) => Self::Pong(data),
            Message::Close(frame) => Self::Close(frame.as_ref()),
        }
    }

    /// An owned copy, e.g. to keep it past the next call.
    pub fn to_message(&self) -> Message {
        match *self {
            Self::Text(text) => Message::text(text),
            Self::Binary(data) => Message::binary(data.to_vec()),
            Self::Ping(data) => Message::Ping(data.to_vec().into()),
            Self::Pong(data) => Message::Pong(data.to_vec().into()),
            Self::Close(frame) => Message::Close(frame.cloned()),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    // ANCHOR: recv_borrowed
    /// Receives the next message as a view into the socket, valid until the
    /// next call on it: no allocation per message, unlike
    /// [`WebSocket::recv`], for a message that arrived in one uncompressed
    /// frame (the others are reassembled or inflated, and lent from where
    /// that put them). Otherwise the same as `recv`: automatic Pongs,
    /// timers, the end reported once, then `None`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ws_tokio::Error> {
    /// use ws_tokio::{Config, Message, MessageRef, Role, WebSocket};
    /// let (a, b) = tokio::io::duplex(1024);
    /// let mut server = WebSocket::from_raw(a, Role::Server, Config::default(), Default::default());
    /// let mut client = WebSocket::from_raw(b, Role::Client, Config::default(), Default::default());
    /// client.send(Message::text("hello")).await?;
    /// match server.recv_borrowed().await {
    ///     Some(Ok(MessageRef::Text(text))) => assert_eq!(text, "hello"),
    ///     other => panic!("{other:?}"),
    /// }
    /// server.send_back().await?; // the echo, straight from the receive buffer
    /// assert_eq!(client.recv().await.unwrap()?, Message::text("hello"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// Cancel-safe, as `recv`.
    pub async fn recv_borrowed(&mut self) -> Option<Result<MessageRef<'_>, Error>> {
        self.held = None;
        let item = poll_fn(|cx| self.inner.poll_recv_lend(cx)).await?;
        Some(item.and_then(|item| {
            match item {
                Item::Lent => match self.inner.connection().lent() {
                    Some((MessageKind::Text, bytes)) => validate_utf8(bytes)
                        .map(MessageRef::Text)
                        .map_err(Error::Protocol),
                    Some((MessageKind::Binary, bytes)) => Ok(MessageRef::Binary(bytes)),
                    None => Ok(MessageRef::Binary(&[])),
                },
                Item::Message(message) => Ok(MessageRef::of(self.held.insert(message))),
            }
        }))
    }
    // ANCHOR_END: recv_borrowed

    /// Sends the last text or binary message [`WebSocket::recv_borrowed`]
    /// returned back to the peer, unchanged (an echo): a small one is framed
    /// straight from the receive buffer into the transmit queue, a large one
    /// is queued by reference, never copied. Nothing is sent if the last
    /// message was not a data message. Waits as [`WebSocket::send`] does.
    ///
    /// # Cancel safety
    /// As `send`: the message is queued on the first poll.
    ///
    /// # Errors
    /// As [`WebSocket::send`].
    pub async fn send_back(&mut self) -> Result<(), Error> {
        if let Some(message) = self.held.take() {
            return match message {
                Message::Text(_) | Message::Binary(_) => self.send(message).await,
                _ => Ok(()),
            };
        }
        let mut queued = false;
        poll_fn(|cx| {
            if !queued {
                queued = true;
                if !self.inner.queue_lent()? {
                    return std::task::Poll::Ready(Ok(()));
                }
            }
            self.inner.poll_send_ready(cx)
        })
        .await
    }
}
