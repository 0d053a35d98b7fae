//! Deliberately broken echo servers: a small raw server (handshake with
//! ws-handshake, frames by hand) that is correct except for one flaw, so
//! that a test can check the checker fails exactly what Autobahn fails.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_handshake::{Limits, Request, accept_key, accept_response};

/// The one thing the server gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Never answers a Ping.
    NoPong,
    /// Accepts frames with RSV bits and echoes them with the same bits.
    EchoesRsv,
    /// Never checks UTF-8: invalid text is echoed like any other.
    NoUtf8Check,
    /// Answers every Close with 1002 instead of echoing the code.
    WrongCloseCode,
    /// Drops TCP when a Close arrives, without answering it.
    DropsOnClose,
    /// Checks UTF-8 only once a message is complete (RFC 6455 §8.1 allows
    /// it; Autobahn's fail-fast cases do not call it OK).
    Utf8AtMessageEnd,
    /// Accepts frames from the client without a mask (RFC 6455 §5.1 says
    /// the server must close the connection).
    AcceptsUnmasked,
    /// Upgrades every request, however wrong (RFC 6455 §4.2.1 says refuse).
    UpgradesAnything,
    /// Answers the upgrade with a wrong Sec-WebSocket-Accept (§4.2.2).
    WrongAccept,
}

/// A 101 written by hand, with this accept value.
fn switching(accept: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

impl Flaw {
    /// Every flaw with its name on the command line of the example.
    pub const ALL: [(&'static str, Self); 9] = [
        ("no-pong", Self::NoPong),
        ("echoes-rsv", Self::EchoesRsv),
        ("no-utf8-check", Self::NoUtf8Check),
        ("wrong-close-code", Self::WrongCloseCode),
        ("drops-on-close", Self::DropsOnClose),
        ("utf8-at-message-end", Self::Utf8AtMessageEnd),
        ("accepts-unmasked", Self::AcceptsUnmasked),
        ("upgrades-anything", Self::UpgradesAnything),
        ("wrong-accept", Self::WrongAccept),
    ];
}

/// Starts a server with `flaw` on a free port.
pub async fn start(flaw: Flaw) -> SocketAddr {
    start_on(flaw, "127.0.0.1:0").await
}

/// Starts a server with `flaw` on `addr`.
pub async fn start_on(flaw: Flaw, addr: &str) -> SocketAddr {
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, flaw));
        }
    });
    addr
}

async fn serve(mut stream: TcpStream, flaw: Flaw) {
    stream.set_nodelay(true).unwrap();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let request = loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Ok(Some((request, used))) = Request::parse(&buf, &Limits::default()) {
            buf.drain(..used);
            break request;
        }
    };
    let response = match (request.validate(), flaw) {
        (Ok(_), Flaw::WrongAccept) => switching(&accept_key(b"not the key")),
        (Ok(upgrade), _) => accept_response(&upgrade, None, None, &[]),
        (Err(_), Flaw::UpgradesAnything) => {
            let key = request.header("Sec-WebSocket-Key").unwrap_or("");
            switching(&accept_key(key.trim().as_bytes()))
        }
        (Err(e), _) => {
            let _ = stream.write_all(&e.to_response()).await;
            return;
        }
    };
    if stream.write_all(&response).await.is_err() {
        return;
    }
    let mut conn = Conn {
        flaw,
        message: None,
        closing: false,
    };
    loop {
        while let Some((frame, used)) = parse(&buf) {
            buf.drain(..used);
            match conn.frame(frame) {
                Reply::Send(bytes) => {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Reply::SendAndDrop(bytes) => {
                    let _ = stream.write_all(&bytes).await;
                    return;
                }
                Reply::Drop => return,
                Reply::Nothing => {}
            }
        }
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

struct Frame {
    masked: bool,
    fin: bool,
    rsv: u8,
    opcode: u8,
    payload: Vec<u8>,
}

enum Reply {
    Send(Vec<u8>),
    SendAndDrop(Vec<u8>),
    Drop,
    Nothing,
}

struct Conn {
    flaw: Flaw,
    message: Option<(u8, u8, Vec<u8>)>,
    closing: bool,
}

impl Conn {
    fn frame(&mut self, f: Frame) -> Reply {
        if self.closing {
            // We sent a Close and wait for the answer; drop when it comes.
            return if f.opcode == 8 {
                Reply::Drop
            } else {
                Reply::Nothing
            };
        }
        // RFC 6455 §5.1: a server closes on an unmasked client frame.
        if !f.masked && self.flaw != Flaw::AcceptsUnmasked {
            return self.fail(1002);
        }
        if f.rsv != 0 && self.flaw != Flaw::EchoesRsv {
            return self.fail(1002);
        }
        match f.opcode {
            8 => match self.flaw {
                Flaw::DropsOnClose => Reply::Drop,
                Flaw::WrongCloseCode => {
                    Reply::SendAndDrop(encode(true, 0, 8, &1002u16.to_be_bytes()))
                }
                _ => {
                    let code = f.payload.get(..2).map_or(Vec::new(), <[u8]>::to_vec);
                    Reply::SendAndDrop(encode(true, 0, 8, &code))
                }
            },
            9 if self.flaw == Flaw::NoPong => Reply::Nothing,
            9 => Reply::Send(encode(true, 0, 10, &f.payload)),
            10 => Reply::Nothing,
            0..=2 => self.data(f),
            _ => self.fail(1002),
        }
    }

    fn data(&mut self, f: Frame) -> Reply {
        let (opcode, rsv, mut body) = match (self.message.take(), f.opcode) {
            (None, 1 | 2) => (f.opcode, f.rsv, Vec::new()),
            (Some(m), 0) => m,
            _ => return self.fail(1002),
        };
        body.extend_from_slice(&f.payload);
        let checks_now = matches!(self.flaw, Flaw::NoUtf8Check | Flaw::Utf8AtMessageEnd);
        if opcode == 1 && !checks_now && !prefix_may_be_utf8(&body, f.fin) {
            return self.fail(1007);
        }
        if !f.fin {
            self.message = Some((opcode, rsv, body));
            return Reply::Nothing;
        }
        if opcode == 1 && self.flaw == Flaw::Utf8AtMessageEnd && std::str::from_utf8(&body).is_err()
        {
            return self.fail(1007);
        }
        Reply::Send(encode(true, rsv, opcode, &body))
    }

    fn fail(&mut self, code: u16) -> Reply {
        self.closing = true;
        Reply::Send(encode(true, 0, 8, &code.to_be_bytes()))
    }
}

/// Whether `bytes` can still become valid UTF-8 (`done`: must be valid now).
fn prefix_may_be_utf8(bytes: &[u8], done: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => !done && e.error_len().is_none(),
    }
}

fn parse(buf: &[u8]) -> Option<(Frame, usize)> {
    let b0 = *buf.first()?;
    let b1 = *buf.get(1)?;
    let (len, mut at) = match b1 & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        n => (usize::from(n), 2),
    };
    let key: [u8; 4] = if b1 & 0x80 != 0 {
        let k = buf.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        k
    } else {
        [0; 4]
    };
    let mut payload = buf.get(at..at + len)?.to_vec();
    ws_frame::apply_mask(&mut payload, key, 0);
    let frame = Frame {
        masked: b1 & 0x80 != 0,
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 7,
        opcode: b0 & 0x0f,
        payload,
    };
    Some((frame, at + len))
}

fn encode(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(u8::try_from(n).unwrap()),
        n @ 126..=0xffff => {
            out.push(126);
            out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}
