//! Property tests of the whole connection: what one end sends, the other
//! receives, however the bytes are cut; arbitrary input never panics and
//! every failure maps to a close code; a frame yields nothing until complete.

use bytes::Bytes;
use proptest::prelude::*;
use ws_frame::{Config, Connection, Error, Event, MessageKind, OpCode, Role, State};

/// One thing the sender does.
#[derive(Clone, Debug)]
enum Op {
    /// A data message, sent whole (no cuts) or as fragments cut at the given
    /// byte positions, with an optional Ping after the first fragment.
    Message {
        kind: MessageKind,
        data: Vec<u8>,
        cuts: Vec<usize>,
        ping_inside: Option<Vec<u8>>,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

fn control_payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=125)
}

fn op() -> impl Strategy<Value = Op> {
    let data = prop_oneof![
        any::<String>().prop_map(|s| (MessageKind::Text, s.into_bytes())),
        "\\PC{0,300}".prop_map(|s| (MessageKind::Text, s.into_bytes())),
        proptest::collection::vec(any::<u8>(), 0..600).prop_map(|b| (MessageKind::Binary, b)),
    ];
    let cuts = proptest::collection::vec(0usize..600, 0..5);
    prop_oneof![
        4 => (data, cuts, proptest::option::of(control_payload())).prop_map(|((kind, data), mut cuts, ping_inside)| {
            cuts.iter_mut().for_each(|c| *c = (*c).min(data.len()));
            cuts.sort_unstable();
            Op::Message { kind, data, cuts, ping_inside }
        }),
        1 => control_payload().prop_map(Op::Ping),
        1 => control_payload().prop_map(Op::Pong),
    ]
}

/// Sends `ops` from `sender`; returns the events the receiver must report.
fn send_all(sender: &mut Connection, ops: &[Op]) -> Vec<Event> {
    let mut expected = Vec::new();
    for op in ops {
        match op {
            Op::Message {
                kind,
                data,
                cuts,
                ping_inside,
            } => {
                let bytes = Bytes::from(data.clone());
                if cuts.is_empty() {
                    sender.send_message(*kind, bytes.clone()).unwrap();
                } else {
                    let mut start = 0;
                    for (i, &end) in cuts.iter().chain(std::iter::once(&data.len())).enumerate() {
                        let fin = i == cuts.len();
                        sender
                            .send_fragment(*kind, bytes.slice(start..end), i == 0, fin)
                            .unwrap();
                        if i == 0
                            && let Some(ping) = ping_inside
                        {
                            sender.ping(ping.clone()).unwrap();
                            expected.push(Event::Ping(ping.clone().into()));
                        }
                        start = end;
                    }
                }
                expected.push(match kind {
                    MessageKind::Text => {
                        Event::Text(String::from_utf8(data.clone()).unwrap().into())
                    }
                    MessageKind::Binary => Event::Binary(bytes),
                });
            }
            Op::Ping(p) => {
                sender.ping(p.clone()).unwrap();
                expected.push(Event::Ping(p.clone().into()));
            }
            Op::Pong(p) => {
                sender.pong(p.clone()).unwrap();
                expected.push(Event::Pong(p.clone().into()));
            }
        }
    }
    expected
}

fn wire(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = conn.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    out
}

/// Feeds `bytes` in chunks of the given sizes (cycled), draining events.
fn receive_in_chunks(receiver: &mut Connection, bytes: &[u8], sizes: &[usize]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut rest = bytes;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).clamp(1, rest.len()));
        rest = tail;
        receiver.receive(chunk);
        while let Some(event) = receiver.poll_event().unwrap() {
            events.push(event);
        }
    }
    events
}

fn pair(sender_role: Role) -> (Connection, Connection) {
    let receiver_role = if sender_role == Role::Client {
        Role::Server
    } else {
        Role::Client
    };
    (
        Connection::new(sender_role, Config::default()),
        Connection::new(receiver_role, Config::default()),
    )
}

/// Feeds arbitrary bytes; checks that nothing panics, that an error maps to
/// 1002, 1007 or 1009 and is answered by exactly that Close frame, and that
/// the replies stay bounded by the input (Pongs echo at most what came in).
fn check_arbitrary(role: Role, input: &[u8], chunk: usize) -> Result<(), TestCaseError> {
    let mut conn = Connection::new(role, Config::default()).with_mask_source(|| [0; 4]);
    let mut error = None;
    for piece in input.chunks(chunk.max(1)) {
        conn.receive(piece);
        loop {
            match conn.poll_event() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        // A client's Pong adds a 4-byte key to a Ping of at least 2 bytes.
        prop_assert!(conn.transmit_len() <= 3 * input.len() + 8);
    }
    let out = wire(&mut conn);
    if let Some(e) = error {
        let code = e.close_code().0;
        prop_assert!(matches!(code, 1002 | 1007 | 1009), "{e} -> {code}");
        // The last frame is our Close carrying the code (masked with zeros).
        prop_assert_eq!(&out[out.len() - 2..], &code.to_be_bytes()[..]);
        prop_assert_eq!(conn.state(), State::Closed);
    }
    Ok(())
}

/// Random frames: headers with random bits, the right mask bit for the
/// receiver most of the time, short random payloads.
fn frames(masked: bool) -> impl Strategy<Value = Vec<u8>> {
    let frame = (
        any::<u8>(),
        proptest::bool::weighted(0.9),
        proptest::collection::vec(any::<u8>(), 0..20),
    )
        .prop_map(move |(b0, right_mask, payload)| {
            let mask = masked == right_mask;
            let mut out = vec![
                b0,
                u8::try_from(payload.len()).unwrap() | if mask { 0x80 } else { 0 },
            ];
            if mask {
                out.extend([0; 4]);
            }
            out.extend(payload);
            out
        });
    proptest::collection::vec(frame, 0..12).prop_map(|frames| frames.concat())
}

/// A complete frame the receiver of `role` accepts, with its event.
fn valid_frame(role: Role) -> impl Strategy<Value = (Vec<u8>, OpCode)> {
    let opcode = prop_oneof![
        Just(OpCode::Text),
        Just(OpCode::Binary),
        Just(OpCode::Ping),
        Just(OpCode::Pong),
        Just(OpCode::Close)
    ];
    (
        opcode,
        "\\PC{0,40}",
        prop_oneof![Just(0usize), 0usize..200, 126usize..70_000],
        any::<[u8; 4]>(),
    )
        .prop_map(move |(opcode, text, len, key)| {
            let payload = match opcode {
                OpCode::Text => text.into_bytes(),
                OpCode::Close => [&[0x03, 0xe8][..], text.as_bytes()]
                    .concat()
                    .into_iter()
                    .take(125)
                    .collect(),
                OpCode::Binary => vec![0x5a; len],
                _ => vec![0xa5; len % 126],
            };
            let mut buf = [0; ws_frame::Header::MAX_LEN];
            let mask = (role == Role::Server).then_some(key);
            let header = ws_frame::Header {
                fin: true,
                rsv: 0,
                opcode,
                mask,
                payload_len: payload.len() as u64,
            };
            let n = header.encode(&mut buf);
            let mut out = buf[..n].to_vec();
            let start = out.len();
            out.extend_from_slice(&payload);
            if let Some(key) = mask {
                ws_frame::apply_mask(&mut out[start..], key, 0);
            }
            (out, opcode)
        })
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Client), Just(Role::Server)]
}

proptest! {
    // ANCHOR: prop_cuts
    #[test]
    fn messages_arrive_identical_whatever_the_cuts(
        ops in proptest::collection::vec(op(), 0..8),
        sender_role in role(),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let (mut sender, mut receiver) = pair(sender_role);
        let expected = send_all(&mut sender, &ops);
        let bytes = wire(&mut sender);
        prop_assert_eq!(&receive_in_chunks(&mut receiver, &bytes, &sizes), &expected);
        // And one byte at a time.
        let (_, mut receiver) = pair(sender_role);
        prop_assert_eq!(receive_in_chunks(&mut receiver, &bytes, &[1]), expected);
    }
    // ANCHOR_END: prop_cuts

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..256),
                                   role in role(), chunk in 1usize..32) {
        check_arbitrary(role, &input, chunk)?;
    }

    #[test]
    fn random_frames_never_panic(role in role(), chunk in 1usize..32, server_input in frames(true), client_input in frames(false)) {
        let input = if role == Role::Server { server_input } else { client_input };
        check_arbitrary(role, &input, chunk)?;
    }

    #[test]
    fn nothing_until_the_frame_is_complete(role in role(), (frame, opcode) in valid_frame(Role::Server)) {
        let frame = if role == Role::Server {
            frame
        } else {
            // Strip the mask for a client: re-encode unmasked.
            let (mut header, n) = ws_frame::Header::parse(&frame).unwrap().unwrap();
            let mut payload = frame[n..].to_vec();
            ws_frame::apply_mask(&mut payload, header.mask.take().unwrap(), 0);
            let mut buf = [0; ws_frame::Header::MAX_LEN];
            let n = header.encode(&mut buf);
            [&buf[..n], &payload[..]].concat()
        };
        // Fed one byte at a time: nothing, then exactly one event at the end.
        let mut conn = Connection::new(role, Config::default());
        for (i, byte) in frame.iter().enumerate() {
            conn.receive(std::slice::from_ref(byte));
            let event = conn.poll_event().unwrap();
            prop_assert_eq!(event.is_some(), i == frame.len() - 1, "at byte {}", i);
        }
        prop_assert_eq!(conn.poll_event(), Ok(None));
        // Every prefix alone, on a fresh connection (spot-checked for big frames).
        let step = (frame.len() / 64).max(1);
        for cut in (0..frame.len()).step_by(step) {
            let mut conn = Connection::new(role, Config::default());
            conn.receive(&frame[..cut]);
            prop_assert_eq!(conn.poll_event(), Ok(None));
            prop_assert_eq!(conn.transmit_len(), 0);
            if cut > 0 || opcode == OpCode::Close {
                conn.receive_eof();
                prop_assert_eq!(conn.poll_event(), Err(Error::UnexpectedEof));
            }
        }
    }
}
