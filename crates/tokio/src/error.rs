//! The one error type of this crate: what can go wrong above the sans-IO
//! layers (IO, TLS, timers), plus their errors passed through.

use std::{fmt, io};

use ws_frame::CloseCode;

/// Everything that can go wrong with a WebSocket connection or its handshake.
///
/// The layers below keep their own error types and this one wraps them:
/// [`Error::Protocol`] is a framing error (it knows its close code, RFC 6455
/// §7.4.1), [`Error::Handshake`] an opening-handshake error (it knows its
/// HTTP status).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading from or writing to the transport failed.
    Io(io::Error),
    /// The peer broke RFC 6455 (our Close frame with the matching code was
    /// sent), or the connection ended without a closing handshake
    /// ([`ws_frame::Error::UnexpectedEof`], close code 1006).
    Protocol(ws_frame::Error),
    /// This program asked to send something RFC 6455 forbids (a control
    /// payload over 125 bytes, a close code that may not be sent, a message
    /// inside a fragmented one); nothing was sent and the connection goes
    /// on. Sending after a Close is [`Error::Closed`] instead.
    InvalidSend(ws_frame::SendError),
    /// The server's permessage-deflate answer breaks RFC 7692 §7.1; the
    /// client dropped the connection (it must _Fail the WebSocket
    /// Connection_).
    Negotiation(ws_frame::deflate::NegotiationError),
    /// The opening handshake failed (RFC 6455 §4). On the server the HTTP
    /// error answer was already sent; on the client, a non-101 answer is
    /// [`ws_handshake::Error::Status`] with its status and headers.
    Handshake(ws_handshake::Error),
    /// The server's callback refused the upgrade; the HTTP answer with this
    /// status was sent.
    Rejected {
        /// The HTTP status that was sent.
        status: u16,
    },
    /// TLS could not be set up (bad CA file, invalid server name, failed TLS
    /// handshake, untrusted certificate).
    Tls(String),
    /// A timer ran out: the opening handshake took longer than
    /// [`Config::handshake_timeout`](crate::Config::handshake_timeout), or
    /// the peer did not answer our Close within
    /// [`Config::close_timeout`](crate::Config::close_timeout).
    Timeout,
    /// The connection is closing or closed: nothing more can be sent, or it
    /// already ended.
    Closed,
}

impl Error {
    /// The close code that describes this error (RFC 6455 §7.4.1), where one
    /// applies: 1002/1007/1009 for protocol violations (the code we sent),
    /// 1006 for a connection that ended without a Close frame.
    #[must_use]
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol(e) => Some(e.close_code()),
            Self::Io(_) | Self::Timeout => Some(CloseCode::ABNORMAL),
            Self::InvalidSend(_)
            | Self::Negotiation(_)
            | Self::Handshake(_)
            | Self::Rejected { .. }
            | Self::Tls(_)
            | Self::Closed => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "IO error: {e}"),
            Self::Protocol(e) => write!(f, "WebSocket protocol error: {e}"),
            Self::InvalidSend(e) => write!(f, "cannot send: {e}"),
            Self::Negotiation(e) => write!(f, "WebSocket handshake failed: {e}"),
            Self::Handshake(e) => write!(f, "WebSocket handshake failed: {e}"),
            Self::Rejected { status } => write!(f, "upgrade rejected with HTTP {status}"),
            Self::Tls(e) => write!(f, "TLS error: {e}"),
            Self::Timeout => f.write_str("timed out"),
            Self::Closed => f.write_str("the WebSocket connection is closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Protocol(e) => Some(e),
            Self::InvalidSend(e) => Some(e),
            Self::Negotiation(e) => Some(e),
            Self::Handshake(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<ws_frame::Error> for Error {
    fn from(e: ws_frame::Error) -> Self {
        Self::Protocol(e)
    }
}

impl From<ws_frame::SendError> for Error {
    fn from(e: ws_frame::SendError) -> Self {
        match e {
            ws_frame::SendError::Closed => Self::Closed,
            e => Self::InvalidSend(e),
        }
    }
}

impl From<ws_frame::deflate::NegotiationError> for Error {
    fn from(e: ws_frame::deflate::NegotiationError) -> Self {
        Self::Negotiation(e)
    }
}

impl From<ws_handshake::Error> for Error {
    fn from(e: ws_handshake::Error) -> Self {
        Self::Handshake(e)
    }
}

impl From<tokio::time::error::Elapsed> for Error {
    fn from(_: tokio::time::error::Elapsed) -> Self {
        Self::Timeout
    }
}
