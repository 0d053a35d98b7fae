//! What the application sends and receives.

use bytes::Bytes;
use ws_frame::{CloseCode, CloseFrame, Utf8Bytes};

/// A WebSocket message (RFC 6455 §5.6 data frames, §5.5 control frames).
///
/// Received Pings are answered automatically (the Pong is already on its
/// way when [`Message::Ping`] is handed out); they and Pongs are shown to the
/// application anyway, e.g. for liveness displays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A complete text message, valid UTF-8 (§5.6, §8.1).
    Text(Utf8Bytes),
    /// A complete binary message.
    Binary(Bytes),
    /// A Ping with its application data (at most 125 bytes, §5.5.2).
    Ping(Bytes),
    /// A Pong with its application data (§5.5.3).
    Pong(Bytes),
    /// A Close frame (§5.5.1); `None`: one without a status code. Sending
    /// `Close(None)` sends a Close frame without a body (the peer sees 1005).
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }

    /// A Ping (at most 125 bytes of data, or sending it fails).
    pub fn ping(data: impl Into<Bytes>) -> Self {
        Self::Ping(data.into())
    }

    /// A Pong (an unsolicited one is a one-way heartbeat, §5.5.3).
    pub fn pong(data: impl Into<Bytes>) -> Self {
        Self::Pong(data.into())
    }

    /// A Close frame with a code and a reason (cut to 123 bytes when sent).
    pub fn close(code: CloseCode, reason: impl Into<String>) -> Self {
        Self::Close(Some(CloseFrame::new(code, reason)))
    }

    /// Whether this is a text message.
    pub const fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Whether this is a binary message.
    pub const fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// Whether this is a data message (text or binary).
    pub const fn is_data(&self) -> bool {
        matches!(self, Self::Text(_) | Self::Binary(_))
    }

    /// Whether this is a Ping.
    pub const fn is_ping(&self) -> bool {
        matches!(self, Self::Ping(_))
    }

    /// Whether this is a Pong.
    pub const fn is_pong(&self) -> bool {
        matches!(self, Self::Pong(_))
    }

    /// Whether this is a Close frame.
    pub const fn is_close(&self) -> bool {
        matches!(self, Self::Close(_))
    }

    /// The text of a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text.as_str()),
            _ => None,
        }
    }

    /// The payload bytes, without copying (a Close frame's reason only).
    pub fn into_data(self) -> Bytes {
        match self {
            Self::Text(text) => text.into_bytes(),
            Self::Binary(data) | Self::Ping(data) | Self::Pong(data) => data,
            Self::Close(frame) => frame.map(|f| Bytes::from(f.reason)).unwrap_or_default(),
        }
    }

    /// Payload length in bytes (for Close: the reason's).
    pub fn len(&self) -> usize {
        match self {
            Self::Text(text) => text.len(),
            Self::Binary(data) | Self::Ping(data) | Self::Pong(data) => data.len(),
            Self::Close(frame) => frame.as_ref().map_or(0, |f| f.reason.len()),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::Text(text.into())
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::Text(text.into())
    }
}

impl From<Utf8Bytes> for Message {
    fn from(text: Utf8Bytes) -> Self {
        Self::Text(text)
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Self::Binary(data)
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Self::Binary(data.into())
    }
}
