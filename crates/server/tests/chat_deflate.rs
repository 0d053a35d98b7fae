//! permessage-deflate on `/chat` (docs/chat.md, "Compression"): what the
//! server answers a browser's offer under each `--chat-deflate` mode, that
//! members with and without compression get the same events, and that a
//! room message is compressed once for all members (RFC 7692 §7.1.1.1).
//!
//! The members are raw TCP clients; their compressed frames are inflated
//! (and their own messages deflated) with flate2, not with the project's
//! code, so the test checks the wire.

mod common;

use std::io::Write;
use std::net::TcpStream;

use common::{Server, frame, read_frame, read_head, upgrade_request};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use serde_json::Value;

/// What Chromium, Firefox and Python `websockets` offer.
const BROWSER_OFFER: &str =
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

/// RSV1: the message is compressed (RFC 7692 §6).
const RSV1: u8 = 0x40;

/// Upgrades to `path` with `extra` header lines; the stream and the
/// `Sec-WebSocket-Extensions` answer, if any.
fn upgrade(server: &Server, path: &str, extra: &str) -> (TcpStream, Option<String>) {
    let mut stream = server.connect();
    stream
        .write_all(upgrade_request(path, extra).as_bytes())
        .unwrap();
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    let extensions = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-extensions")
            .then(|| value.trim().to_owned())
    });
    (stream, extensions)
}

/// A member's client: its socket and whether it agreed to deflate.
struct Member {
    stream: TcpStream,
    deflate: bool,
    /// Server frames with RSV1 seen.
    compressed: usize,
    /// With context takeover (`--chat-deflate own`), one decompressor for
    /// the whole connection; else a fresh one per message.
    inflater: Option<Decompress>,
}

impl Member {
    fn join(server: &Server, room: &str, name: &str, deflate: bool) -> Self {
        let offer = if deflate { BROWSER_OFFER } else { "" };
        let (stream, answer) = upgrade(server, &format!("/chat/{room}?name={name}"), offer);
        assert_eq!(answer.is_some(), deflate, "{answer:?}");
        let takeover = answer.is_some_and(|a| !a.contains("server_no_context_takeover"));
        let mut member = Self {
            stream,
            deflate,
            compressed: 0,
            inflater: takeover.then(|| Decompress::new(false)),
        };
        assert_eq!(member.next()["type"], "welcome");
        member
    }

    /// The next text event, inflated if it came compressed.
    fn next(&mut self) -> Value {
        loop {
            let (b0, payload) = read_frame(&mut self.stream);
            if b0 & 0x0f != 0x1 {
                continue;
            }
            let text = if b0 & RSV1 != 0 {
                assert!(self.deflate, "RSV1 on a connection without deflate");
                self.compressed += 1;
                match &mut self.inflater {
                    Some(inflater) => inflate(inflater, &payload),
                    None => inflate(&mut Decompress::new(false), &payload),
                }
            } else {
                payload
            };
            return serde_json::from_slice(&text).expect("JSON");
        }
    }

    /// The next event of `kind`, skipping others (`join`s).
    fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let event = self.next();
            if event["type"] == kind {
                return event;
            }
        }
    }

    /// Says `text`, compressed when the member agreed to deflate.
    fn say(&mut self, text: &str) {
        let json = serde_json::json!({"type": "message", "text": text}).to_string();
        let frame = if self.deflate {
            frame(0x80 | RSV1 | 0x1, &deflate(json.as_bytes()))
        } else {
            frame(0x81, json.as_bytes())
        };
        self.stream.write_all(&frame).unwrap();
    }
}

/// RFC 7692 §7.2.2: append 00 00 ff ff and inflate.
fn inflate(inflater: &mut Decompress, payload: &[u8]) -> Vec<u8> {
    let mut input = payload.to_vec();
    input.extend_from_slice(&[0, 0, 0xff, 0xff]);
    let mut out = Vec::with_capacity(64 << 10);
    inflater
        .decompress_vec(&input, &mut out, FlushDecompress::Sync)
        .expect("valid DEFLATE from the server");
    out
}

/// RFC 7692 §7.2.1: deflate, sync flush, drop the 4-octet tail.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    Compress::new(Compression::default(), false)
        .compress_vec(data, &mut out, FlushCompress::Sync)
        .unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// The value of counter `name` in `/metrics`.
fn counter(server: &Server, name: &str) -> u64 {
    let (_, text) = server.get("/metrics");
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[test]
fn rfc7692_7_1_1_chat_answers_without_context_takeover_and_echo_keeps_the_defaults() {
    let server = Server::start(&[]);
    let (_chat, answer) = upgrade(&server, "/chat/r?name=a", BROWSER_OFFER);
    assert_eq!(
        answer.as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    );
    let (_echo, answer) = upgrade(&server, "/echo", BROWSER_OFFER);
    assert_eq!(answer.as_deref(), Some("permessage-deflate"));

    let own = Server::start(&["--chat-deflate", "own"]);
    let (_chat, answer) = upgrade(&own, "/chat/r?name=a", BROWSER_OFFER);
    assert_eq!(answer.as_deref(), Some("permessage-deflate"));

    let off = Server::start(&["--chat-deflate", "off"]);
    let (_chat, answer) = upgrade(&off, "/chat/r?name=a", BROWSER_OFFER);
    assert_eq!(answer, None);
    let (_echo, answer) = upgrade(&off, "/echo", BROWSER_OFFER);
    assert_eq!(answer.as_deref(), Some("permessage-deflate"));

    let none = Server::start(&["--no-deflate"]);
    let (_chat, answer) = upgrade(&none, "/chat/r?name=a", BROWSER_OFFER);
    assert_eq!(answer, None);
}

#[test]
fn members_with_and_without_deflate_get_the_same_messages_compressed_once() {
    const MESSAGES: u64 = 5;
    let server = Server::start(&[]);
    let mut plain = Member::join(&server, "room", "plain", false);
    let mut zipped: Vec<Member> = (0..3)
        .map(|i| Member::join(&server, "room", &format!("z{i}"), true))
        .collect();
    // Everyone has heard every join before the count starts.
    for (i, member) in zipped.iter_mut().enumerate() {
        for _ in i + 1..3 {
            assert_eq!(member.next()["type"], "join");
        }
    }
    for _ in 0..3 {
        assert_eq!(plain.next()["type"], "join");
    }
    // The welcome and the joins came compressed too; count from here.
    zipped.iter_mut().for_each(|m| m.compressed = 0);
    let compressions = counter(&server, "ws_chat_deflate_compressions_total");
    let shared = counter(&server, "ws_chat_deflate_shared_total");

    let text = "a chat line long enough to be worth compressing, compressing, compressing";
    for i in 0..MESSAGES {
        // Sent plain by one member, compressed by another: the server
        // inflates the second (each with a fresh decompressor).
        if i % 2 == 0 {
            plain.say(&format!("{text} {i}"));
        } else {
            zipped[0].say(&format!("{text} {i}"));
        }
        let expected = plain.next_of("message");
        assert_eq!(expected["text"], format!("{text} {i}"));
        for member in &mut zipped {
            assert_eq!(member.next_of("message"), expected);
        }
    }
    for member in &zipped {
        assert_eq!(
            member.compressed as u64, MESSAGES,
            "every message came compressed"
        );
    }
    assert_eq!(
        counter(&server, "ws_chat_deflate_compressions_total") - compressions,
        MESSAGES,
        "one compression per message, not per member"
    );
    assert_eq!(
        counter(&server, "ws_chat_deflate_shared_total") - shared,
        MESSAGES * 3,
        "every compressed delivery used the shared bytes"
    );
}

#[test]
fn with_own_compressors_nothing_is_shared_and_members_still_agree() {
    let server = Server::start(&["--chat-deflate", "own"]);
    let mut a = Member::join(&server, "room", "a", true);
    let mut b = Member::join(&server, "room", "b", false);
    assert_eq!(a.next()["type"], "join");
    let text = "context takeover: this one is compressed by a's own compressor, twice over";
    for _ in 0..2 {
        b.say(text);
        let expected = b.next_of("message");
        assert_eq!(a.next_of("message"), expected);
    }
    assert_eq!(counter(&server, "ws_chat_deflate_compressions_total"), 0);
    assert_eq!(counter(&server, "ws_chat_deflate_shared_total"), 0);
}
