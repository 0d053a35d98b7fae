//! Helpers shared by the integration tests: a server on 127.0.0.1, an echo
//! handler, and a "raw" peer that speaks frames written by hand.
#![allow(dead_code, unreachable_pub)] // not every test file uses every helper

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_tokio::ws_frame::{Connection, Event, Role};
use ws_tokio::{Accept, Config, Message, WebSocket};

/// Generous bound for anything that should happen "soon".
pub const SOON: Duration = Duration::from_secs(10);

/// Starts a server that runs `handler` on every accepted WebSocket.
pub async fn server<F, Fut>(config: Config, handler: F) -> SocketAddr
where
    F: Fn(WebSocket<TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = std::sync::Arc::new(handler);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tcp.set_nodelay(true).unwrap();
            let config = config.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                if let Ok(ws) =
                    ws_tokio::accept_with_config(tcp, config, |_, _| Ok(Accept::default())).await
                {
                    handler(ws).await;
                }
            });
        }
    });
    addr
}

/// Starts a server that runs `handler` on the first accepted WebSocket and
/// sends what it returns to the receiver (later connections are dropped).
pub async fn server_once<F, Fut, T>(
    config: Config,
    handler: F,
) -> (SocketAddr, tokio::sync::oneshot::Receiver<T>)
where
    F: FnOnce(WebSocket<TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let first = std::sync::Mutex::new(Some((tx, handler)));
    let addr = server(config, move |ws| {
        let first = first.lock().unwrap().take();
        async move {
            if let Some((tx, handler)) = first {
                let _ = tx.send(handler(ws).await);
            }
        }
    })
    .await;
    (addr, rx)
}

/// Sends every data message back.
pub async fn echo(mut ws: WebSocket<TcpStream>) {
    while let Some(Ok(message)) = ws.recv().await {
        if message.is_data() && ws.send(message).await.is_err() {
            break;
        }
    }
}

/// An echo server with the default configuration.
pub async fn echo_server() -> SocketAddr {
    server(Config::default(), echo).await
}

/// The opening handshake of a client with the RFC 6455 §1.3 sample key.
pub const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A frame written by hand (RFC 6455 §5.2), independent of `ws-frame`.
pub fn frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | u8::try_from(n).unwrap()),
        n @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A masked frame from a client.
pub fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame(fin, opcode, payload, Some([0x37, 0xfa, 0x21, 0x3d]))
}

/// A peer that writes raw bytes and decodes what it receives with a
/// `ws-frame` connection of the other role.
pub struct RawPeer {
    pub stream: TcpStream,
    pub conn: Connection,
}

impl RawPeer {
    /// Connects to a server and does the handshake by hand; `extra` is sent in
    /// the same write as the request.
    pub async fn connect(addr: SocketAddr, extra: &[u8]) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let mut out = REQUEST.to_vec();
        out.extend_from_slice(extra);
        stream.write_all(&out).await.unwrap();
        let mut head = Vec::new();
        let mut conn = Connection::new(Role::Client, Default::default());
        let mut byte = [0; 1024];
        loop {
            let n = stream.read(&mut byte).await.unwrap();
            assert!(n > 0, "server closed during the handshake");
            head.extend_from_slice(&byte[..n]);
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                let text = String::from_utf8_lossy(&head[..end]).to_string();
                assert!(text.starts_with("HTTP/1.1 101"), "{text}");
                // RFC 6455 §1.3: the accept value for the sample key.
                assert!(text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{text}");
                conn.receive(&head[end + 4..]);
                break;
            }
        }
        Self { stream, conn }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next event from the server; `None` at EOF (or a decoding error).
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            match self.conn.poll_event() {
                Ok(Some(event)) => return Some(event),
                Ok(None) => {}
                Err(_) => return None,
            }
            let mut buf = BytesMut::with_capacity(64 * 1024);
            let n = tokio::time::timeout(SOON, self.stream.read_buf(&mut buf))
                .await
                .expect("raw peer read timed out")
                .unwrap_or(0);
            if n == 0 {
                self.conn.receive_eof();
            } else {
                self.conn.receive(&buf);
            }
        }
    }

    /// Reads until the server closes the TCP connection; true if it did.
    pub async fn expect_eof(&mut self) -> bool {
        let mut buf = [0; 4096];
        loop {
            match tokio::time::timeout(SOON, self.stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {}
                Err(_) => return false,
            }
        }
    }
}

/// Connects our client to `addr` with `config`.
pub async fn client(addr: SocketAddr, config: Config) -> WebSocket<ws_tokio::MaybeTlsStream> {
    let options = ws_tokio::ConnectOptions {
        config,
        ..Default::default()
    };
    let (ws, response) = ws_tokio::connect_with(&format!("ws://{addr}/"), options)
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    ws
}

/// Receives the next message within [`SOON`].
pub async fn next<S>(ws: &mut WebSocket<S>) -> Option<Result<Message, ws_tokio::Error>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    tokio::time::timeout(SOON, ws.recv())
        .await
        .expect("recv timed out")
}
