//! One load connection and its round trip: the lean raw client with its
//! masked frame built once, or a `ws-tokio` client (over TLS, with
//! permessage-deflate (RFC 7692) negotiated, or on an HTTP/2 stream, RFC
//! 8441). Each checks one echo byte for byte on opening.

use ws_frame::OpCode;
use ws_frame::deflate::DeflateConfig;
use ws_tokio::{Config, ConnectOptions, HyperWebSocket, MaybeTlsStream, Message, WebSocket};

use super::chat_text::chat_text;
use crate::raw::{self, RawClient};

/// One load connection of any kind.
pub(super) enum Conn {
    /// The lean raw client, with its masked frame built once.
    Raw {
        client: RawClient,
        frame: Vec<u8>,
        opcode: OpCode,
        len: usize,
    },
    /// A `ws-tokio` client on a connection of its own (`wss://`, or
    /// permessage-deflate negotiated).
    Tokio {
        ws: WebSocket<MaybeTlsStream>,
        message: Message,
    },
    /// A `ws-tokio` client on a stream of an HTTP/2 connection (RFC 8441).
    Http2 {
        ws: HyperWebSocket,
        message: Message,
    },
}

/// What the `ws-tokio` kinds send and negotiate.
pub(super) struct Load<'a> {
    pub(super) url: &'a str,
    pub(super) deflate: bool,
    pub(super) opcode: OpCode,
    pub(super) payload: &'a [u8],
    pub(super) ca_pem: Option<&'a [u8]>,
}

impl Load<'_> {
    fn config(&self) -> Config {
        Config {
            deflate: self.deflate.then(DeflateConfig::default),
            ..Config::default()
        }
    }

    /// Chat-like JSON text with permessage-deflate, else the payload.
    fn message(&self) -> Message {
        if self.deflate {
            Message::text(chat_text(self.payload.len()))
        } else if self.opcode == OpCode::Text {
            Message::text(String::from_utf8_lossy(self.payload).into_owned())
        } else {
            Message::binary(self.payload.to_vec())
        }
    }
}

impl Conn {
    /// Opens a raw connection and checks one echo byte for byte.
    pub(super) async fn raw(url: &str, opcode: OpCode, payload: &[u8]) -> std::io::Result<Self> {
        let mut client = RawClient::connect(url).await?;
        let frame = raw::masked_frame(opcode, payload);
        client.send_raw(&frame).await?;
        let (got, data) = client.read_message().await?;
        if got != opcode || data != payload {
            return Err(std::io::Error::other(
                "the first echo differs from what was sent",
            ));
        }
        Ok(Self::Raw {
            client,
            frame,
            opcode,
            len: payload.len(),
        })
    }

    /// Opens a `ws-tokio` connection (offering permessage-deflate if asked,
    /// and failing if the server declines it), and checks one echo byte
    /// for byte.
    pub(super) async fn tokio(load: &Load<'_>) -> std::io::Result<Self> {
        let options = ConnectOptions {
            config: load.config(),
            ca_pem: load.ca_pem.map(<[u8]>::to_vec),
            ..ConnectOptions::default()
        };
        let (ws, response) = ws_tokio::connect_with(load.url, options)
            .await
            .map_err(std::io::Error::other)?;
        if load.deflate
            && !response
                .extensions()
                .iter()
                .any(|e| e.name == "permessage-deflate")
        {
            return Err(std::io::Error::other(
                "the server declined permessage-deflate",
            ));
        }
        let mut conn = Self::Tokio {
            ws,
            message: load.message(),
        };
        conn.round_trip(true).await?;
        Ok(conn)
    }

    /// Opens a WebSocket on a stream of `connection` and checks one echo
    /// byte for byte.
    pub(super) async fn http2(
        connection: &mut super::h2::Connection,
        load: &Load<'_>,
    ) -> std::io::Result<Self> {
        let ws = super::h2::open(connection, load.url, load.config()).await?;
        let mut conn = Self::Http2 {
            ws,
            message: load.message(),
        };
        conn.round_trip(true).await?;
        Ok(conn)
    }

    /// Sends the message and waits for its echo; `exact` compares every
    /// byte, otherwise the kind and length.
    pub(super) async fn round_trip(&mut self, exact: bool) -> std::io::Result<()> {
        match self {
            Self::Raw {
                client,
                frame,
                opcode,
                len,
            } => {
                client.send_raw(frame).await?;
                client.read_echo(*opcode, *len).await
            }
            Self::Tokio { ws, message } => ws_round_trip(ws, message, exact).await,
            Self::Http2 { ws, message } => ws_round_trip(ws, message, exact).await,
        }
    }
}

async fn ws_round_trip<S>(
    ws: &mut WebSocket<S>,
    message: &Message,
    exact: bool,
) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    ws.send(message.clone())
        .await
        .map_err(std::io::Error::other)?;
    loop {
        match ws.recv().await {
            Some(Ok(echo)) if echo.is_data() => {
                let same = if exact {
                    echo == *message
                } else {
                    echo.is_text() == message.is_text() && echo.len() == message.len()
                };
                return if same {
                    Ok(())
                } else {
                    Err(std::io::Error::other("the echo differs"))
                };
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(std::io::Error::other(e)),
            None => return Err(std::io::Error::other("closed by the server")),
        }
    }
}
