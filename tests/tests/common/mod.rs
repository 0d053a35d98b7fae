//! Frame builders and drivers shared by the section files.
//!
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use ws_frame::{Config, Connection, Error, Event, Header, Role, State};

/// The masking key of the RFC 6455 §5.7 examples.
pub(crate) const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// FIN set, opcode text/binary/continuation/close/ping/pong.
pub(crate) const TEXT: u8 = 0x81;
pub(crate) const BINARY: u8 = 0x82;
pub(crate) const CONT: u8 = 0x80;
pub(crate) const CLOSE: u8 = 0x88;
pub(crate) const PING: u8 = 0x89;
pub(crate) const PONG: u8 = 0x8a;
/// The first byte without FIN.
pub(crate) const fn no_fin(b0: u8) -> u8 {
    b0 & 0x7f
}

/// A frame with first byte `b0`, the minimal length encoding and, if `key`
/// is given, a masked payload.
pub(crate) fn frame(b0: u8, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    let mask_bit = if key.is_some() { 0x80 } else { 0 };
    let mut out = vec![b0];
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | u8::try_from(n).unwrap()),
        n @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match key {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A frame as a client sends it.
pub(crate) fn masked_frame(b0: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    frame(b0, payload, Some(key))
}

/// A frame as a server sends it.
pub(crate) fn unmasked_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, None)
}

/// A Close body: the code in network byte order, then the reason.
pub(crate) fn close_body(code: u16, reason: &str) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(reason.as_bytes());
    body
}

/// A server with the default configuration.
pub(crate) fn server() -> Connection {
    Connection::new(Role::Server, Config::default())
}

/// A client whose masking keys are 1 2 3 4, 2 3 4 5, … (one per frame).
pub(crate) fn client() -> Connection {
    client_with(Config::default())
}

/// A client with deterministic, changing masking keys.
pub(crate) fn client_with(config: Config) -> Connection {
    let next = Arc::new(AtomicU8::new(1));
    Connection::new(Role::Client, config).with_mask_source(move || {
        let k = next.fetch_add(1, Ordering::Relaxed);
        [k, k.wrapping_add(1), k.wrapping_add(2), k.wrapping_add(3)]
    })
}

/// A connection of `role` that receives frames of the peer: a server gets
/// masked frames, a client unmasked ones.
pub(crate) fn peer_frame(role: Role, b0: u8, payload: &[u8]) -> Vec<u8> {
    match role {
        Role::Server => masked_frame(b0, payload, KEY),
        Role::Client => unmasked_frame(b0, payload),
    }
}

/// Both roles, for requirements that apply to every endpoint.
pub(crate) fn both() -> [(Role, Connection); 2] {
    [(Role::Server, server()), (Role::Client, client())]
}

/// Every event until "need more", and the error that stopped it, if any.
pub(crate) fn drain(conn: &mut Connection) -> (Vec<Event>, Option<Error>) {
    let mut events = Vec::new();
    loop {
        match conn.poll_event() {
            Ok(Some(event)) => events.push(event),
            Ok(None) => return (events, None),
            Err(error) => {
                // An error is reported once; afterwards nothing more is decoded.
                assert_eq!(conn.poll_event(), Ok(None), "a second result after {error}");
                return (events, Some(error));
            }
        }
    }
}

/// Feeds `input` and returns the events and the error.
pub(crate) fn feed(conn: &mut Connection, input: &[u8]) -> (Vec<Event>, Option<Error>) {
    conn.receive(input);
    drain(conn)
}

/// Everything waiting to be written.
pub(crate) fn transmitted(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = conn.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    assert_eq!(conn.transmit_len(), 0);
    out
}

/// A decoded frame: header and unmasked payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) header: Header,
    pub(crate) payload: Vec<u8>,
}

/// RFC 6455 §5.3 as written, one byte at a time: `transformed-octet-i =
/// original-octet-i XOR masking-key-octet-(i MOD 4)`. The tests' oracle,
/// independent of the crate's fast `apply_mask`.
pub(crate) fn mask_by_definition(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(offset + i) % 4];
    }
}

/// Splits a byte stream into complete frames, unmasking payloads.
pub(crate) fn frames(mut bytes: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (header, n) = Header::parse(bytes)
            .expect("valid header")
            .expect("complete header");
        let len = usize::try_from(header.payload_len).unwrap();
        let mut payload = bytes[n..n + len].to_vec();
        if let Some(key) = header.mask {
            mask_by_definition(&mut payload, key, 0);
        }
        out.push(Frame { header, payload });
        bytes = &bytes[n + len..];
    }
    out
}

/// Feeds `input` and asserts that the connection fails with `code`: the
/// error maps to it, exactly one Close frame carrying it is sent (masked by
/// a client), and the connection is closed.
pub(crate) fn assert_fails(conn: &mut Connection, input: &[u8], code: u16) -> Error {
    let (_, error) = feed(conn, input);
    let error = error.unwrap_or_else(|| panic!("no error, expected {code}"));
    assert_eq!(error.close_code().0, code, "{error}");
    let sent = frames(&transmitted(conn));
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].header.opcode, ws_frame::OpCode::Close);
    assert_eq!(sent[0].payload, code.to_be_bytes());
    assert_eq!(sent[0].header.mask.is_some(), conn.role() == Role::Client);
    assert_eq!(conn.state(), State::Closed);
    error
}
