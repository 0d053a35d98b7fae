//! One load connection and its round trip: the lean raw client with its
//! masked frame built once, or a `ws-tokio` client with permessage-deflate
//! (RFC 7692) negotiated. Each checks one echo byte for byte on opening.

use ws_frame::OpCode;
use ws_frame::deflate::DeflateConfig;
use ws_tokio::{Config, ConnectOptions, MaybeTlsStream, Message, WebSocket};

use super::chat_text::chat_text;
use crate::raw::{self, RawClient};

/// One load connection of either kind.
pub(super) enum Conn {
    /// The lean raw client, with its masked frame built once.
    Raw {
        client: RawClient,
        frame: Vec<u8>,
        opcode: OpCode,
        len: usize,
    },
    /// A `ws-tokio` client with permessage-deflate negotiated.
    Deflate {
        ws: WebSocket<MaybeTlsStream>,
        message: Message,
    },
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

    /// Opens a connection that offers permessage-deflate, fails if the
    /// server declines it, and checks one echo byte for byte.
    pub(super) async fn deflate(url: &str, size: usize) -> std::io::Result<Self> {
        let options = ConnectOptions {
            config: Config {
                deflate: Some(DeflateConfig::default()),
                ..Config::default()
            },
            ..ConnectOptions::default()
        };
        let (ws, response) = ws_tokio::connect_with(url, options)
            .await
            .map_err(std::io::Error::other)?;
        if !response
            .extensions()
            .iter()
            .any(|e| e.name == "permessage-deflate")
        {
            return Err(std::io::Error::other(
                "the server declined permessage-deflate",
            ));
        }
        let mut conn = Self::Deflate {
            ws,
            message: Message::text(chat_text(size)),
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
            Self::Deflate { ws, message } => {
                ws.send(message.clone())
                    .await
                    .map_err(std::io::Error::other)?;
                loop {
                    match ws.recv().await {
                        Some(Ok(echo)) if echo.is_data() => {
                            let same = if exact {
                                echo == *message
                            } else {
                                echo.is_text() && echo.len() == message.len()
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
        }
    }
}
