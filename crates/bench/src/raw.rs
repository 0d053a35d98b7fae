//! The lean load client: a plain TCP stream, the opening handshake from
//! `ws-handshake`, and frames built by hand.
//!
//! The load generator must not be the thing being measured: each connection
//! builds its masked frame once (one fresh masking key per connection, not
//! per frame: the server cannot tell, and re-masking a 1 MiB payload per
//! send would make the client the bottleneck), writes it with one
//! `write_all`, and reads the echo into a fixed 64 KiB buffer, checking the
//! opcode and length of every echo and the bytes of the first.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use ws_frame::{Header, OpCode};
use ws_handshake::{ClientRequest, ExtensionOffer, Limits, Response, Url};

/// Size of the per-connection read buffer.
const READ_BUF: usize = 64 * 1024;

/// A client WebSocket connection after the opening handshake.
#[derive(Debug)]
pub struct RawClient {
    stream: TcpStream,
    /// Received bytes not yet consumed: `buf[start..end]`.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

/// A received frame's header fields the load generator looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The frame's opcode.
    pub opcode: OpCode,
    /// Whether it is the final frame of its message.
    pub fin: bool,
    /// Payload length.
    pub len: u64,
}

pub(crate) fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl RawClient {
    /// Connects to `url` (`ws://` only), sets `TCP_NODELAY` and runs the
    /// opening handshake (RFC 6455 §4.1).
    ///
    /// # Errors
    /// Connection failures, a refused or invalid handshake, `wss://`.
    pub async fn connect(url: &str) -> io::Result<Self> {
        let (stream, rest, _) = handshake(url, &[]).await?;
        let mut buf = vec![0; READ_BUF].into_boxed_slice();
        buf[..rest.len()].copy_from_slice(&rest);
        Ok(Self {
            stream,
            buf,
            start: 0,
            end: rest.len(),
        })
    }

    /// Writes bytes (a frame built by [`masked_frame`]).
    ///
    /// # Errors
    /// Write failures.
    pub async fn send_raw(&mut self, frame: &[u8]) -> io::Result<()> {
        self.stream.write_all(frame).await
    }

    /// Reads until at least `n` bytes are buffered.
    async fn fill(&mut self, n: usize) -> io::Result<()> {
        while self.end - self.start < n {
            if self.start > 0 && self.buf.len() - self.start < n {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let read = self.stream.read(&mut self.buf[self.end..]).await?;
            if read == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.end += read;
        }
        Ok(())
    }

    /// Reads one frame header (unmasked: we are the client).
    async fn read_header(&mut self) -> io::Result<Received> {
        loop {
            match Header::parse(&self.buf[self.start..self.end]).map_err(invalid)? {
                Some((header, used)) => {
                    self.start += used;
                    if header.mask.is_some() {
                        return Err(invalid("the server masked a frame"));
                    }
                    return Ok(Received {
                        opcode: header.opcode,
                        fin: header.fin,
                        len: header.payload_len,
                    });
                }
                None => {
                    let have = self.end - self.start;
                    self.fill(have + 1).await?;
                }
            }
        }
    }

    /// Reads one whole frame, calling `payload` with its bytes in pieces.
    ///
    /// # Errors
    /// Read failures, a malformed or masked frame.
    pub async fn read_frame(&mut self, mut payload: impl FnMut(&[u8])) -> io::Result<Received> {
        let received = self.read_header().await?;
        let mut left = usize::try_from(received.len).map_err(invalid)?;
        while left > 0 {
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
                self.fill(1).await?;
            }
            let take = left.min(self.end - self.start);
            payload(&self.buf[self.start..self.start + take]);
            self.start += take;
            left -= take;
        }
        Ok(received)
    }

    /// Reads one data message (skipping Ping/Pong frames), checking that it
    /// is a single frame of `kind` and `len` bytes.
    ///
    /// # Errors
    /// Read failures; another opcode, a fragment or another length; a Close.
    pub async fn read_echo(&mut self, kind: OpCode, len: usize) -> io::Result<()> {
        loop {
            let got = self.read_frame(|_| {}).await?;
            match got.opcode {
                OpCode::Ping | OpCode::Pong => continue,
                OpCode::Close => return Err(invalid("the server closed the connection")),
                _ => {}
            }
            if got.opcode != kind || !got.fin || got.len != len as u64 {
                return Err(invalid(format!(
                    "expected a {kind:?} echo of {len} bytes, got {got:?}"
                )));
            }
            return Ok(());
        }
    }

    /// Reads one data message and returns its payload (for checking the
    /// first echo byte for byte).
    ///
    /// # Errors
    /// As [`RawClient::read_echo`].
    pub async fn read_message(&mut self) -> io::Result<(OpCode, Vec<u8>)> {
        loop {
            let mut data = Vec::new();
            let got = self
                .read_frame(|piece| data.extend_from_slice(piece))
                .await?;
            match got.opcode {
                OpCode::Ping | OpCode::Pong => continue,
                OpCode::Close => return Err(invalid("the server closed the connection")),
                _ if !got.fin => return Err(invalid("fragmented echo")),
                opcode => return Ok((opcode, data)),
            }
        }
    }
}

/// A complete masked client frame carrying `payload` (RFC 6455 §5.2, §5.3).
pub fn masked_frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let key: [u8; 4] = rand_key();
    let header = Header {
        fin: true,
        rsv: 0,
        opcode,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut head = [0; Header::MAX_LEN];
    let n = header.encode(&mut head);
    let mut frame = Vec::with_capacity(n + payload.len());
    frame.extend_from_slice(&head[..n]);
    frame.extend_from_slice(payload);
    ws_frame::apply_mask(&mut frame[n..], key, 0);
    frame
}

/// A payload of `len` bytes: printable ASCII (valid UTF-8, so the same bytes
/// serve text and binary runs), varied so it does not look like zeros.
pub fn payload(len: usize) -> Vec<u8> {
    (b'a'..=b'z').cycle().take(len).collect()
}

/// Connects to `url` (`ws://` only), sets `TCP_NODELAY` and runs the
/// opening handshake (RFC 6455 §4.1) offering `extensions`. Returns the
/// stream, the bytes that came after the server's answer (the first
/// frames), and the answer (its extensions, for permessage-deflate).
///
/// # Errors
/// Connection failures, a refused or invalid handshake, `wss://`.
pub async fn handshake(
    url: &str,
    extensions: &[ExtensionOffer],
) -> io::Result<(TcpStream, Vec<u8>, Response)> {
    let url = Url::parse(url).map_err(invalid)?;
    if url.secure {
        return Err(invalid("wss:// is not supported by the load client"));
    }
    let mut stream = TcpStream::connect((url.host.as_str(), url.port)).await?;
    stream.set_nodelay(true)?;
    let mut request = ClientRequest::new(&url);
    for offer in extensions {
        request = request.extension(offer.clone());
    }
    stream.write_all(&request.encode()).await?;
    let mut head = Vec::with_capacity(512);
    let limits = Limits::default();
    loop {
        let mut chunk = [0; 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some((response, consumed)) =
            request.parse_response(&head, &limits).map_err(invalid)?
        {
            head.drain(..consumed);
            return Ok((stream, head, response));
        }
    }
}

/// A masking key that differs between connections (the load client does not
/// need cryptographic keys: it only talks to local test servers).
fn rand_key() -> [u8; 4] {
    use std::hash::{BuildHasher, RandomState};
    let h = RandomState::new().hash_one(std::time::Instant::now());
    let [a, b, c, d, ..] = h.to_le_bytes();
    [a, b, c, d]
}
