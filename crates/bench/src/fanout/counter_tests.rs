//! The counter against frames as the server writes them, split anywhere.

use bytes::Bytes;
use ws_frame::deflate::{DeflateConfig, DeflateParams, PerMessageDeflate};
use ws_frame::{Extension, Header, MessageKind, OpCode, Role};

use super::{Counter, Event};

/// What the counter reported, owned.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Welcome,
    Message(Option<String>),
    Error,
    Presence,
    Other,
    Ping(Vec<u8>),
    Close,
}

fn frame(opcode: OpCode, rsv: u8, payload: &[u8]) -> Vec<u8> {
    let header = Header {
        fin: true,
        rsv,
        opcode,
        mask: None,
        payload_len: payload.len() as u64,
    };
    let mut head = [0; Header::MAX_LEN];
    let n = header.encode(&mut head);
    [&head[..n], payload].concat()
}

fn text(payload: &str) -> Vec<u8> {
    frame(OpCode::Text, 0, payload.as_bytes())
}

const WELCOME: &str = r#"{"type":"welcome","room":"r","name":"a","users":["a"]}"#;
const JOIN: &str = r#"{"type":"join","room":"r","name":"b"}"#;
const ERROR: &str = r#"{"type":"error","code":"rate_limited","message":"x"}"#;

fn message(n: u32) -> String {
    format!(
        r#"{{"type":"message","room":"r","from":"a","text":"0:{n}{}","ts":1,"seq":{n}}}"#,
        "y".repeat(300)
    )
}

/// Feeds `wire` in pieces of `step` bytes.
fn feed(counter: &mut Counter, wire: &[u8], step: usize) -> Vec<Seen> {
    let mut seen = Vec::new();
    for piece in wire.chunks(step) {
        counter
            .feed(piece, &mut |e| {
                seen.push(match e {
                    Event::Welcome => Seen::Welcome,
                    Event::Message { json } => {
                        Seen::Message(json.map(|j| String::from_utf8_lossy(j).into_owned()))
                    }
                    Event::Error => Seen::Error,
                    Event::Presence => Seen::Presence,
                    Event::Other => Seen::Other,
                    Event::Ping(p) => Seen::Ping(p.to_vec()),
                    Event::Close => Seen::Close,
                });
            })
            .unwrap();
    }
    seen
}

#[test]
fn counts_the_same_whatever_the_reads() {
    let wire = [
        text(WELCOME),
        text(JOIN),
        text(&message(1)),
        frame(OpCode::Ping, 0, b"hi"),
        text(&message(2)),
        text(ERROR),
        frame(OpCode::Close, 0, &1000_u16.to_be_bytes()),
    ]
    .concat();
    let expected = vec![
        Seen::Welcome,
        Seen::Presence,
        Seen::Message(None),
        Seen::Ping(b"hi".to_vec()),
        Seen::Message(None),
        Seen::Error,
        Seen::Close,
    ];
    for step in [1, 2, 3, 7, 64, wire.len()] {
        // Never sampling: `every` larger than the messages, phase past them.
        let mut counter = Counter::new(1000, 999, None, false);
        assert_eq!(feed(&mut counter, &wire, step), expected, "reads of {step}");
    }
}

#[test]
fn only_sampled_messages_are_handed_over_whole() {
    let wire: Vec<u8> = (1..=4).flat_map(|n| text(&message(n))).collect();
    let wire = [text(WELCOME), wire].concat();
    // One in two, starting with the second data message.
    let mut counter = Counter::new(2, 1, None, false);
    let seen = feed(&mut counter, &wire, 5);
    assert_eq!(
        seen,
        vec![
            Seen::Welcome,
            Seen::Message(Some(message(1))),
            Seen::Message(None),
            Seen::Message(Some(message(3))),
            Seen::Message(None),
        ]
    );
}

#[test]
fn masked_and_unnegotiated_compressed_frames_are_refused() {
    let mut masked = text(JOIN);
    masked[1] |= 0x80;
    masked.splice(2..2, [1, 2, 3, 4]);
    let mut counter = Counter::new(1, 0, None, false);
    assert!(counter.feed(&masked, &mut |_| {}).is_err());
    let mut counter = Counter::new(1, 0, None, false);
    let rsv1 = frame(OpCode::Text, ws_frame::bits::RSV1, b"xx");
    assert!(counter.feed(&rsv1, &mut |_| {}).is_err());
}

/// The server's side: messages compressed by one compressor (context
/// takeover unless `no_context`), as wire frames.
fn compressed(messages: &[String], no_context: bool) -> (Vec<u8>, DeflateParams) {
    let params = DeflateParams {
        server_no_context_takeover: no_context,
        ..DeflateParams::default()
    };
    let mut server = PerMessageDeflate::new(Role::Server, &params, &DeflateConfig::default());
    let wire = messages
        .iter()
        .flat_map(|m| {
            let payload = Bytes::from(m.clone().into_bytes());
            match server.encode_message(MessageKind::Text, &payload) {
                Some((data, rsv)) => frame(OpCode::Text, rsv, &data),
                None => frame(OpCode::Text, 0, &payload),
            }
        })
        .collect();
    (wire, params)
}

#[test]
fn compressed_messages_are_inflated_in_step_with_the_server() {
    let messages: Vec<String> = std::iter::once(WELCOME.to_owned())
        .chain((1..=5).map(message))
        .collect();
    let (wire, params) = compressed(&messages, false);
    let client = PerMessageDeflate::new(Role::Client, &params, &DeflateConfig::default());
    // Context takeover: every message inflated, the sampled ones handed over.
    let mut counter = Counter::new(2, 1, Some(client), true);
    let seen = feed(&mut counter, &wire, 9);
    assert_eq!(seen[0], Seen::Welcome);
    assert_eq!(seen[1], Seen::Message(Some(message(1))));
    assert_eq!(seen[2], Seen::Message(None));
    assert_eq!(seen[3], Seen::Message(Some(message(3))));
    assert_eq!(seen.len(), 6);
}

#[test]
fn without_context_takeover_only_the_sample_is_inflated() {
    let messages: Vec<String> = std::iter::once(WELCOME.to_owned())
        .chain((1..=4).map(message))
        .collect();
    let (wire, params) = compressed(&messages, true);
    let client = PerMessageDeflate::new(Role::Client, &params, &DeflateConfig::default());
    let mut counter = Counter::new(3, 2, Some(client), false);
    let seen = feed(&mut counter, &wire, 4);
    assert_eq!(
        seen,
        vec![
            Seen::Welcome,
            Seen::Message(None),
            Seen::Message(Some(message(2))),
            Seen::Message(None),
            Seen::Message(None),
        ]
    );
}
