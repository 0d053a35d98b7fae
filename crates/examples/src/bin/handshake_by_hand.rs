//! The opening handshake and the frames by hand, over a blocking
//! [`std::net::TcpStream`] with only ws-handshake and ws-frame: no async
//! runtime, and no `Connection` state machine doing the work. It is the
//! program a reader of chapter 2 writes.
//!
//! ```text
//! cargo run -p ws-examples --bin handshake_by_hand -- ws://127.0.0.1:9001/echo hello world
//! ```
//!
//! It sends each message as one masked text frame, prints each echo on
//! stdout, and closes. The steps of the handshake go to stderr.
//!
//! Only a teaching client: it speaks to one echo-like server, has no
//! timers, and answers a Ping only while it waits for an echo. A real
//! blocking client drives a `ws_frame::Connection` (see the adapter in
//! `crates/frame/examples/blocking/`), which does all the rules.

use std::error::Error;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use ws_frame::{CloseCode, CloseFrame, Header, OpCode, apply_mask};
use ws_handshake::{Limits, Response, Url};

/// The largest message accepted: lengths come from the peer, so they are
/// checked before anything is allocated.
const MAX_MESSAGE: usize = 1 << 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, messages @ ..] = args.as_slice() else {
        eprintln!("usage: handshake_by_hand ws://HOST:PORT/PATH [MESSAGE]...");
        return ExitCode::from(2);
    };
    match run(url, messages) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("handshake_by_hand: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(url: &str, messages: &[String]) -> Result<(), Box<dyn Error>> {
    let url = Url::parse(url)?;
    if url.secure {
        return Err("wss:// needs TLS first; see wss_client".into());
    }
    let mut tcp = TcpStream::connect((url.host.as_str(), url.port))?;
    // No hang on a silent server: a read that waits this long fails.
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = handshake(&mut tcp, &url)?;
    for message in messages {
        send_frame(&mut tcp, OpCode::Text, message.as_bytes())?;
        println!("{}", receive_text(&mut tcp, &mut buf)?);
    }
    // RFC 6455 §7.1.2: send a Close, wait for the server's, then (§7.1.1)
    // for the server to close the TCP connection first.
    send_frame(
        &mut tcp,
        OpCode::Close,
        &CloseFrame::new(CloseCode::NORMAL, "done").encode(),
    )?;
    loop {
        let (header, _) = read_frame(&mut tcp, &mut buf)?;
        if header.opcode == OpCode::Close {
            break;
        }
    }
    let eof = tcp.read(&mut [0; 1])?;
    if eof != 0 {
        return Err("bytes after the server's Close".into());
    }
    eprintln!("closed cleanly");
    Ok(())
}

// ANCHOR: handshake
/// The client side of the opening handshake (RFC 6455 §4.1). Returns the
/// bytes read past the response head: they are already frames.
fn handshake(tcp: &mut TcpStream, url: &Url) -> Result<Vec<u8>, Box<dyn Error>> {
    // 1. The key: 16 random bytes, base64-encoded (§4.1 item 7).
    let nonce: [u8; 16] = rand::random();
    let key = base64::engine::general_purpose::STANDARD.encode(nonce);
    // 2. What the server must prove it read (§4.2.2 item 5.4): the key
    //    with the GUID 258EAFA5-E914-47DA-95CA-C5AB0DC85B11 appended,
    //    hashed with SHA-1, the 20-byte digest base64-encoded.
    let expected = ws_handshake::accept_key(key.as_bytes());
    eprintln!("Sec-WebSocket-Key: {key}, expecting Sec-WebSocket-Accept: {expected}");
    // 3. The request: a GET with the upgrade headers (§4.1 items 1-9;
    //    item 8, Origin, is for browsers).
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        url.resource,
        url.host_header()
    );
    tcp.write_all(request.as_bytes())?;
    // 4. Read until the response head is complete (`Ok(None)`: need more).
    let mut buf = Vec::new();
    let (response, head_len) = loop {
        if let Some(parsed) = Response::parse(&buf, &Limits::default())? {
            break parsed;
        }
        read_more(tcp, &mut buf)?;
    };
    // 5. Check the answer: the client's checks 1-6 of §4.1.
    // Check 1: anything but 101 is handled per HTTP; here, an error.
    if response.status() != 101 {
        let (status, reason) = (response.status(), response.reason());
        return Err(format!("the server answered {status} {reason}, not 101").into());
    }
    let has = |name: &str, token: &str| {
        let value = response.header(name).unwrap_or("");
        value
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    // Checks 2 and 3.
    if !has("Upgrade", "websocket") || !has("Connection", "upgrade") {
        return Err("the 101 lacks Upgrade: websocket or Connection: Upgrade".into());
    }
    // Check 4: proof that the server read our key.
    if response.header("Sec-WebSocket-Accept").map(str::trim) != Some(expected.as_str()) {
        return Err("wrong Sec-WebSocket-Accept: the server did not read our key".into());
    }
    // Checks 5 and 6: we offered no extension and no subprotocol.
    if response.header("Sec-WebSocket-Extensions").is_some()
        || response.header("Sec-WebSocket-Protocol").is_some()
    {
        return Err("the server chose an extension or subprotocol we did not offer".into());
    }
    eprintln!("101 Switching Protocols, Sec-WebSocket-Accept matches");
    Ok(buf.split_off(head_len))
}
// ANCHOR_END: handshake

// ANCHOR: frames
/// Sends one whole frame, masked with a fresh random key, as every
/// client-to-server frame must be (§5.3; §10.3 says why).
fn send_frame(tcp: &mut TcpStream, opcode: OpCode, payload: &[u8]) -> std::io::Result<()> {
    let mask: [u8; 4] = rand::random();
    let header = Header {
        fin: true,
        rsv: 0,
        opcode,
        mask: Some(mask),
        payload_len: payload.len() as u64,
    };
    let mut head = [0; Header::MAX_LEN];
    let head_len = header.encode(&mut head);
    let mut masked = payload.to_vec();
    apply_mask(&mut masked, mask, 0);
    tcp.write_all(&head[..head_len])?;
    tcp.write_all(&masked)
}

/// Reads one frame: its header and its payload. `buf` keeps what was read
/// past it.
fn read_frame(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(Header, Vec<u8>), Box<dyn Error>> {
    loop {
        if let Some((header, head_len)) = Header::parse(buf)? {
            // §5.1: "A server MUST NOT mask any frames"; §5.2: no extension
            // was agreed, so the RSV bits must be 0.
            if header.mask.is_some() || header.rsv != 0 {
                return Err("the server sent a masked frame or RSV bits".into());
            }
            let len = usize::try_from(header.payload_len)?;
            if len > MAX_MESSAGE {
                return Err(format!("a frame of {len} bytes is over {MAX_MESSAGE}").into());
            }
            if buf.len() >= head_len + len {
                let payload = buf[head_len..head_len + len].to_vec();
                buf.drain(..head_len + len);
                return Ok((header, payload));
            }
        }
        read_more(tcp, buf)?;
    }
}

/// Reads frames until a whole text message arrives (§5.4: it may come in
/// fragments), answering Pings on the way (§5.5.2).
fn receive_text(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Result<String, Box<dyn Error>> {
    let mut message = Vec::new();
    loop {
        let (header, payload) = read_frame(tcp, buf)?;
        match header.opcode {
            OpCode::Text | OpCode::Continuation => message.extend_from_slice(&payload),
            OpCode::Ping => send_frame(tcp, OpCode::Pong, &payload)?,
            OpCode::Pong => {}
            OpCode::Binary | OpCode::Close => return Err("expected a text message".into()),
        }
        if message.len() > MAX_MESSAGE {
            return Err("the message is too long".into());
        }
        if header.fin && header.opcode.is_data() {
            return Ok(String::from_utf8(message)?); // §8.1: text is UTF-8
        }
    }
}
// ANCHOR_END: frames

/// Appends what the socket has; the end of the stream here is an error.
fn read_more(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), Box<dyn Error>> {
    let mut chunk = [0; 4096];
    let n = tcp.read(&mut chunk)?;
    if n == 0 {
        return Err("the server closed the connection".into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}
