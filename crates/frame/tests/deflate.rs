//! permessage-deflate (RFC 7692) through whole connections: negotiated from
//! the header strings, installed on a client and a server, messages both
//! ways for every window size and context-takeover mode, fragmented
//! compressed messages, the connection's RSV checks, and random messages
//! with the wire cut at random (proptest). Also replays the seeds of
//! `fuzz/fuzz_targets/deflate.rs`.

// `cargo fuzz` builds the targets with `--cfg fuzzing`, a cfg this crate
// does not declare; without it the target is a plain module with a `check`.
#![allow(unexpected_cfgs)]

use bytes::Bytes;
use proptest::prelude::*;
use ws_frame::bits::{RSV1, RSV2};
use ws_frame::deflate::{self, DeflateConfig, PerMessageDeflate};
use ws_frame::{
    Config, Connection, Error, Event, Extension, Header, MessageKind, OpCode, Role, State,
};

#[path = "../../../fuzz/fuzz_targets/deflate.rs"]
mod fuzz_deflate;

/// `name; a; b=c` split the simple way (the tests' headers have no quotes).
fn element(header: &str) -> (String, Vec<(String, Option<String>)>) {
    let mut parts = header.split(';').map(str::trim);
    let name = parts.next().unwrap().to_owned();
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (p.to_owned(), None),
        })
        .collect();
    (name, params)
}

/// The handshake in strings: the client offers, the server answers, the
/// client checks the answer. Returns (client, server) extensions.
fn handshake(
    client: &DeflateConfig,
    server: &DeflateConfig,
) -> (PerMessageDeflate, PerMessageDeflate) {
    let offer = element(&deflate::client_offer(client).unwrap());
    let (answer, server_ext) =
        deflate::negotiate([(offer.0.as_str(), offer.1.as_slice())], server).unwrap();
    let (name, params) = element(&answer);
    assert_eq!(name, "permessage-deflate");
    (deflate::client_accept(&params, client).unwrap(), server_ext)
}

fn config(bits: u8, no_context_takeover: bool, min_size: usize) -> DeflateConfig {
    let mut c = DeflateConfig::default();
    c.server_max_window_bits = bits;
    c.client_max_window_bits = bits;
    c.server_no_context_takeover = no_context_takeover;
    c.client_no_context_takeover = no_context_takeover;
    c.min_size = min_size;
    c
}

fn connections(client: PerMessageDeflate, server: PerMessageDeflate) -> (Connection, Connection) {
    let mut c = Connection::new(Role::Client, Config::default());
    c.set_extension(Box::new(client));
    let mut s = Connection::new(Role::Server, Config::default());
    s.set_extension(Box::new(server));
    (c, s)
}

fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = conn.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    out
}

/// Feeds `wire` in pieces of the given sizes (cycled) and collects events.
fn receive(conn: &mut Connection, wire: &[u8], sizes: &[usize]) -> Result<Vec<Event>, Error> {
    let mut events = Vec::new();
    let mut rest = wire;
    for &size in sizes.iter().cycle() {
        let (piece, tail) = rest.split_at(size.clamp(1, rest.len().max(1)).min(rest.len()));
        rest = tail;
        conn.receive(piece);
        while let Some(event) = conn.poll_event()? {
            events.push(event);
        }
        if rest.is_empty() {
            break;
        }
    }
    Ok(events)
}

/// A frame as `role` sends it (masked from a client).
fn frame(role: Role, fin: bool, rsv: u8, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let mask = (role == Role::Client).then_some([0x37, 0xfa, 0x21, 0x3d]);
    let header = Header {
        fin,
        rsv,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    let mut buf = [0; Header::MAX_LEN];
    let n = header.encode(&mut buf);
    let mut out = buf[..n].to_vec();
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        for (i, b) in out[start..].iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    out
}

/// A message compressed by `ext` and sent as fragments cut at `cuts` (RSV1
/// on the first frame only, RFC 7692 §6.1), with a Ping after the first.
fn fragmented(
    ext: &mut PerMessageDeflate,
    role: Role,
    kind: MessageKind,
    data: &[u8],
    cuts: &[usize],
) -> Vec<u8> {
    let (payload, rsv) = ext
        .encode_message(kind, &Bytes::copy_from_slice(data))
        .unwrap_or_else(|| (Bytes::copy_from_slice(data), 0));
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(payload.len())).collect();
    bounds.sort_unstable();
    bounds.push(payload.len());
    let mut wire = Vec::new();
    let mut start = 0;
    for (i, &end) in bounds.iter().enumerate() {
        let opcode = match (i, kind) {
            (0, MessageKind::Text) => OpCode::Text,
            (0, MessageKind::Binary) => OpCode::Binary,
            _ => OpCode::Continuation,
        };
        let fin = i + 1 == bounds.len();
        wire.extend(frame(
            role,
            fin,
            if i == 0 { rsv } else { 0 },
            opcode,
            &payload[start..end],
        ));
        if i == 0 && !fin {
            wire.extend(frame(role, true, 0, OpCode::Ping, b"inside"));
        }
        start = end;
    }
    wire
}

/// Deterministic messages: compressible text (with multi-byte UTF-8),
/// repetitive and random binary, of sizes from 0 to 40 KiB.
fn messages(seed: u32) -> Vec<(MessageKind, Vec<u8>)> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let words = [
        "κόσμε ",
        "{\"id\":",
        "42,",
        "\"name\":\"WebSocket\"}",
        "𝄞",
        "€100 ",
        "\n",
        "plain ascii ",
    ];
    (0..12)
        .map(|i| {
            let len = [0, 1, 63, 64, 200, 1000, 5000, 40_000][usize::try_from(next() % 8).unwrap()];
            match i % 3 {
                0 => {
                    let mut text = String::new();
                    while text.len() < len {
                        text += words[usize::try_from(next() % 8).unwrap()];
                    }
                    (MessageKind::Text, text.into_bytes())
                }
                1 => (
                    MessageKind::Binary,
                    (0..len).map(|j| u8::try_from(j % 251).unwrap()).collect(),
                ),
                _ => (
                    MessageKind::Binary,
                    (0..len).map(|_| next().to_le_bytes()[0]).collect(),
                ),
            }
        })
        .collect()
}

fn event(kind: MessageKind, data: &[u8]) -> Event {
    match kind {
        MessageKind::Text => Event::Text(String::from_utf8(data.to_vec()).unwrap().into()),
        MessageKind::Binary => Event::Binary(Bytes::copy_from_slice(data)),
    }
}

#[test]
fn rfc7692_every_window_and_takeover_mode_round_trips_both_ways() {
    for bits in 8..=15 {
        for nct in [false, true] {
            let (client_ext, server_ext) =
                handshake(&config(bits, nct, 64), &config(bits, nct, 64));
            assert_eq!(client_ext.params().server_no_context_takeover, nct);
            let (mut client, mut server) = connections(client_ext, server_ext);
            let msgs = messages(u32::from(bits) * 2 + u32::from(nct));
            let mut compressed = 0;
            for (kind, data) in &msgs {
                client
                    .send_message(*kind, Bytes::copy_from_slice(data))
                    .unwrap();
                let wire = drain(&mut client);
                compressed += usize::from(wire[0] & RSV1 != 0);
                let events = receive(&mut server, &wire, &[1000]).unwrap();
                assert_eq!(events, [event(*kind, data)], "{bits} {nct} client → server");
                // The server echoes it.
                server
                    .send_message(*kind, Bytes::copy_from_slice(data))
                    .unwrap();
                let wire = drain(&mut server);
                let events = receive(&mut client, &wire, &[7, 300]).unwrap();
                assert_eq!(events, [event(*kind, data)], "{bits} {nct} server → client");
            }
            assert!(compressed >= 2, "{bits} {nct}: {compressed}");
        }
    }
}

#[test]
fn rfc7692_6_1_fragmented_compressed_messages() {
    for bits in [8, 9, 12, 15] {
        for nct in [false, true] {
            let (mut client_ext, server_ext) =
                handshake(&config(bits, nct, 0), &config(bits, nct, 0));
            let mut server = Connection::new(Role::Server, Config::default());
            server.set_extension(Box::new(server_ext));
            for (i, (kind, data)) in messages(u32::from(bits)).iter().enumerate() {
                let cuts = [[].as_slice(), &[0], &[1, 2, 3], &[5, 5000], &[usize::MAX]][i % 5];
                let wire = fragmented(&mut client_ext, Role::Client, *kind, data, cuts);
                let events = receive(&mut server, &wire, &[13, 4096]).unwrap();
                let mut expected = Vec::new();
                if !cuts.is_empty() {
                    expected.push(Event::Ping(Bytes::from_static(b"inside")));
                }
                expected.push(event(*kind, data));
                assert_eq!(events, expected, "{bits} {nct} message {i}");
            }
        }
    }
}

#[test]
fn rfc7692_6_1_rsv1_only_on_the_first_frame_of_a_data_message() {
    let (_, server_ext) = handshake(&config(15, false, 0), &config(15, false, 0));
    let (mut client_ext, _) = handshake(&config(15, false, 0), &config(15, false, 0));
    let hello = client_ext
        .encode_message(MessageKind::Text, &Bytes::from_static(b"Hello"))
        .unwrap()
        .0;
    let cases: [(&str, Vec<u8>); 4] = [
        (
            "RSV1 on a continuation frame",
            [
                frame(Role::Client, false, RSV1, OpCode::Text, &hello[..2]),
                frame(Role::Client, true, RSV1, OpCode::Continuation, &hello[2..]),
            ]
            .concat(),
        ),
        (
            "RSV1 on a Ping",
            frame(Role::Client, true, RSV1, OpCode::Ping, b""),
        ),
        (
            "RSV1 on a Close",
            frame(Role::Client, true, RSV1, OpCode::Close, &[0x03, 0xe8]),
        ),
        (
            "RSV2, which deflate does not claim",
            frame(Role::Client, true, RSV2, OpCode::Text, b"x"),
        ),
    ];
    for (what, wire) in cases {
        let mut server = Connection::new(Role::Server, Config::default());
        server.set_extension(Box::new(PerMessageDeflate::new(
            Role::Server,
            server_ext.params(),
            &DeflateConfig::default(),
        )));
        let error = receive(&mut server, &wire, &[usize::MAX]).unwrap_err();
        assert!(matches!(error, Error::ReservedBits(_)), "{what}: {error}");
        assert_eq!(error.close_code().0, 1002, "{what}");
        assert_eq!(server.state(), State::Closed);
    }
}

#[test]
fn rfc6455_8_1_decoded_text_is_validated() {
    let (mut client_ext, server_ext) = handshake(&config(15, false, 0), &config(15, false, 0));
    let (_, mut server) = connections(
        handshake(&config(15, false, 0), &config(15, false, 0)).0,
        server_ext,
    );
    // Valid text whose characters are cut across frames of the compressed
    // payload: fine.
    let text = "κόσμε 𝄞".repeat(50);
    let wire = fragmented(
        &mut client_ext,
        Role::Client,
        MessageKind::Text,
        text.as_bytes(),
        &[3, 4, 9],
    );
    let events = receive(&mut server, &wire, &[1]).unwrap();
    assert_eq!(events.last(), Some(&Event::Text(text.into())));
    // Invalid UTF-8 inside a compressed text message: 1007.
    let bad = [b"abc".as_slice(), &[0xff; 100]].concat();
    let (payload, rsv) = client_ext
        .encode_message(MessageKind::Binary, &Bytes::from(bad))
        .unwrap();
    let error = receive(
        &mut server,
        &frame(Role::Client, true, rsv, OpCode::Text, &payload),
        &[usize::MAX],
    )
    .unwrap_err();
    assert_eq!(error, Error::InvalidUtf8);
    assert_eq!(error.close_code().0, 1007);
}

#[test]
fn rfc7692_streamed_messages_are_inflated_per_frame() {
    let (mut client_ext, server_ext) = handshake(&config(15, false, 0), &config(15, false, 0));
    let mut streaming = Config::default();
    streaming.stream_messages = true;
    let mut server = Connection::new(Role::Server, streaming);
    server.set_extension(Box::new(server_ext));
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 97) as u8).collect();
    let wire = fragmented(
        &mut client_ext,
        Role::Client,
        MessageKind::Binary,
        &data,
        &[10, 20, 30],
    );
    let mut received = Vec::new();
    for event in receive(&mut server, &wire, &[100]).unwrap() {
        match event {
            Event::Fragment(f) => received.extend_from_slice(&f.data),
            Event::Ping(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(received, data);
}

#[test]
fn fuzz_deflate_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/deflate");
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        eprintln!("{}", path.display());
        fuzz_deflate::check(&std::fs::read(&path).unwrap());
        seeds += 1;
    }
    assert!(seeds >= 4, "only {seeds} seeds in {}", dir.display());
}

/// A random message and where to cut its compressed payload into frames.
fn message() -> impl Strategy<Value = (MessageKind, Vec<u8>, Vec<usize>)> {
    let data = prop_oneof![
        "\\PC{0,400}".prop_map(|s| (MessageKind::Text, s.into_bytes())),
        "(ab|c|κό|€1){0,300}".prop_map(|s| (MessageKind::Text, s.into_bytes())),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(|b| (MessageKind::Binary, b)),
        (any::<u8>(), 0..5000usize).prop_map(|(b, n)| (MessageKind::Binary, vec![b; n])),
    ];
    (data, proptest::collection::vec(0usize..300, 0..4))
        .prop_map(|((kind, data), cuts)| (kind, data, cuts))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random messages, compressed with random parameters, sent whole by a
    /// client `Connection` or fragmented by hand, arrive intact at a server
    /// `Connection` whatever the cuts in the wire; the server's compressed
    /// echoes arrive intact at the client.
    #[test]
    fn compressed_messages_round_trip(
        bits in 8u8..=15,
        nct in any::<bool>(),
        min_size in prop_oneof![Just(0usize), Just(64)],
        msgs in proptest::collection::vec(message(), 1..8),
        sizes in proptest::collection::vec(1usize..200, 1..6),
    ) {
        let cfg = config(bits, nct, min_size);
        let (client_ext, server_ext) = handshake(&cfg, &cfg);
        let (mut client, mut server) = connections(client_ext, server_ext);
        // A second client-side codec for the hand-made fragments, talking
        // to a second server (the contexts must stay paired).
        let (mut frag_ext, frag_server_ext) = handshake(&cfg, &cfg);
        let mut frag_server = Connection::new(Role::Server, Config::default());
        frag_server.set_extension(Box::new(frag_server_ext));
        for (kind, data, cuts) in &msgs {
            client.send_message(*kind, Bytes::copy_from_slice(data)).unwrap();
            let wire = drain(&mut client);
            let events = receive(&mut server, &wire, &sizes).unwrap();
            prop_assert_eq!(&events, &[event(*kind, data)]);

            server.send_message(*kind, Bytes::copy_from_slice(data)).unwrap();
            let wire = drain(&mut server);
            let events = receive(&mut client, &wire, &sizes).unwrap();
            prop_assert_eq!(&events, &[event(*kind, data)]);

            let wire = fragmented(&mut frag_ext, Role::Client, *kind, data, cuts);
            let events = receive(&mut frag_server, &wire, &sizes).unwrap();
            prop_assert_eq!(events.last(), Some(&event(*kind, data)));
        }
    }
}
