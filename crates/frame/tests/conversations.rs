//! Byte-exact scripted conversations, in the style of python `websockets`'
//! `test_protocol.py`: feed the exact bytes received, then assert the exact
//! bytes `poll_transmit` yields and the events `poll_event` reports.
//!
//! Clients mask with the key of the RFC 6455 §5.7 examples, `37 fa 21 3d`,
//! so the expected bytes can be checked against the RFC by eye.

use bytes::Bytes;
use ws_frame::{
    CloseCode, CloseFrame, Config, Connection, Error, Event, Fragment, MessageKind, Role,
    SendError, State,
};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn server() -> Connection {
    Connection::new(Role::Server, Config::default())
}

fn client() -> Connection {
    Connection::new(Role::Client, Config::default()).with_mask_source(|| KEY)
}

/// Everything queued for the peer, as one byte string.
fn sent(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = conn.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    out
}

/// Every event until "need more", ending with the error if there is one.
fn events(conn: &mut Connection) -> Vec<Result<Event, Error>> {
    let mut out = Vec::new();
    loop {
        match conn.poll_event() {
            Ok(Some(event)) => out.push(Ok(event)),
            Ok(None) => return out,
            Err(error) => {
                out.push(Err(error));
                assert_eq!(conn.poll_event(), Ok(None), "after an error");
                return out;
            }
        }
    }
}

/// Receives `input`, then checks the events and the reply bytes.
#[track_caller]
fn expect(
    conn: &mut Connection,
    input: &[u8],
    want_events: &[Result<Event, Error>],
    want_sent: &[u8],
) {
    conn.receive(input);
    assert_eq!(events(conn), want_events, "events");
    assert_eq!(sent(conn), want_sent, "sent bytes");
}

fn text(s: &str) -> Result<Event, Error> {
    Ok(Event::Text(s.into()))
}

fn binary(b: &'static [u8]) -> Result<Event, Error> {
    Ok(Event::Binary(Bytes::from_static(b)))
}

fn close(code: u16, reason: &str) -> Result<Event, Error> {
    Ok(Event::Close(Some(CloseFrame::new(CloseCode(code), reason))))
}

// ------------------------------------------------------------------ §5.7

// ANCHOR: conv_hello
/// §5.7: "A single-frame masked text message ... contains 'Hello'".
#[test]
fn rfc6455_5_7_masked_hello_client_to_server() {
    let hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let mut c = client();
    c.send_text("Hello").unwrap();
    assert_eq!(sent(&mut c), hello);
    expect(&mut server(), &hello, &[text("Hello")], b"");
}
// ANCHOR_END: conv_hello

/// §5.7: "A single-frame unmasked text message".
#[test]
fn rfc6455_5_7_unmasked_hello_server_to_client() {
    let hello = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let mut s = server();
    s.send_text("Hello").unwrap();
    assert_eq!(sent(&mut s), hello);
    expect(&mut client(), &hello, &[text("Hello")], b"");
}

/// §5.7: "A fragmented unmasked text message": `01 03 48 65 6c`, `80 02 6c 6f`.
#[test]
fn rfc6455_5_7_fragmented_hello() {
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    let mut s = server();
    s.send_fragment(MessageKind::Text, Bytes::from_static(b"Hel"), true, false)
        .unwrap();
    s.send_fragment(MessageKind::Text, Bytes::from_static(b"lo"), false, true)
        .unwrap();
    assert_eq!(sent(&mut s), wire);
    let mut c = client();
    expect(&mut c, &wire[..5], &[], b"");
    expect(&mut c, &wire[5..], &[text("Hello")], b"");
}

/// §5.7: "Unmasked Ping request and masked Ping response" — the client
/// answers `89 05 Hello` with `8a 85 37 fa 21 3d 7f 9f 4d 51 58`.
#[test]
fn rfc6455_5_7_ping_and_masked_pong() {
    expect(
        &mut client(),
        &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
        &[Ok(Event::Ping(Bytes::from_static(b"Hello")))],
        &[
            0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ],
    );
}

/// §5.7: the server answers a masked Ping with an unmasked Pong.
#[test]
fn rfc6455_5_7_masked_ping_unmasked_pong() {
    expect(
        &mut server(),
        &[
            0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ],
        &[Ok(Event::Ping(Bytes::from_static(b"Hello")))],
        &[0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    );
}

/// §5.7: "256 bytes binary message in a single unmasked frame": `82 7E 0100`.
#[test]
fn rfc6455_5_7_256_bytes_binary() {
    let payload = [0xab; 256];
    let mut s = server();
    s.send_binary(payload.to_vec()).unwrap();
    let wire = sent(&mut s);
    assert_eq!(wire[..4], [0x82, 0x7e, 0x01, 0x00]);
    assert_eq!(wire[4..], payload);
    expect(
        &mut client(),
        &wire,
        &[Ok(Event::Binary(payload.to_vec().into()))],
        b"",
    );
}

/// §5.7: "64KiB binary message in a single unmasked frame":
/// `82 7F 0000000000010000`. (Large server payloads leave as their own chunk.)
#[test]
fn rfc6455_5_7_64k_binary() {
    let payload = vec![0x5a; 65536];
    let mut s = server();
    s.send_binary(payload.clone()).unwrap();
    assert_eq!(
        s.poll_transmit().unwrap(),
        [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0][..]
    );
    assert_eq!(s.poll_transmit().unwrap(), payload);
    assert_eq!(s.poll_transmit(), None);
    let mut c = client();
    c.receive(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(
        &mut c,
        &payload,
        &[Ok(Event::Binary(payload.clone().into()))],
        b"",
    );
}

// ------------------------------------------------------------------ data

#[test]
fn client_sends_binary_masked() {
    let mut c = client();
    c.send_binary(Bytes::from_static(&[0x00, 0xff, 0x10]))
        .unwrap();
    assert_eq!(
        sent(&mut c),
        [0x82, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x37, 0x05, 0x31]
    );
}

#[test]
fn server_receives_binary_and_empty_messages() {
    let mut s = server();
    let mut input = vec![0x82, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x37, 0x05, 0x31];
    input.extend([0x81, 0x80, 1, 2, 3, 4]); // empty text
    input.extend([0x82, 0x80, 1, 2, 3, 4]); // empty binary
    expect(
        &mut s,
        &input,
        &[binary(&[0x00, 0xff, 0x10]), text(""), binary(b"")],
        b"",
    );
}

#[test]
fn server_reassembles_fragments_with_ping_and_pong_between() {
    let mut s = server();
    // "Hel" (not final), ping "1", pong "2", continuation "lo" (final); key 0.
    let input = [
        0x01, 0x83, 0, 0, 0, 0, b'H', b'e', b'l', //
        0x89, 0x81, 0, 0, 0, 0, b'1', //
        0x8a, 0x81, 0, 0, 0, 0, b'2', //
        0x80, 0x82, 0, 0, 0, 0, b'l', b'o',
    ];
    expect(
        &mut s,
        &input,
        &[
            Ok(Event::Ping(Bytes::from_static(b"1"))),
            Ok(Event::Pong(Bytes::from_static(b"2"))),
            text("Hello"),
        ],
        &[0x8a, 0x01, b'1'],
    );
}

#[test]
fn client_sends_fragments_each_with_the_mask() {
    let mut c = client();
    c.send_fragment(
        MessageKind::Binary,
        Bytes::from_static(b"\x00"),
        true,
        false,
    )
    .unwrap();
    c.ping(Bytes::new()).unwrap();
    c.send_fragment(
        MessageKind::Binary,
        Bytes::from_static(b"\x00"),
        false,
        true,
    )
    .unwrap();
    assert_eq!(
        sent(&mut c),
        [
            0x02, 0x81, 0x37, 0xfa, 0x21, 0x3d, 0x37, //
            0x89, 0x80, 0x37, 0xfa, 0x21, 0x3d, //
            0x80, 0x81, 0x37, 0xfa, 0x21, 0x3d, 0x37,
        ]
    );
}

#[test]
fn streamed_fragments_are_delivered_as_they_arrive() {
    let mut config = Config::default();
    config.stream_messages = true;
    let mut c = Connection::new(Role::Client, config);
    let piece = |first, fin, data: &'static [u8]| {
        Ok(Event::Fragment(Fragment {
            kind: MessageKind::Text,
            first,
            fin,
            data: Bytes::from_static(data),
        }))
    };
    expect(
        &mut c,
        &[0x01, 0x03, b'H', b'e', b'l'],
        &[piece(true, false, b"Hel")],
        b"",
    );
    expect(
        &mut c,
        &[0x80, 0x02, b'l', b'o'],
        &[piece(false, true, b"lo")],
        b"",
    );
}

#[test]
fn unsolicited_pong_is_reported_and_not_answered() {
    expect(
        &mut client(),
        &[0x8a, 0x00],
        &[Ok(Event::Pong(Bytes::new()))],
        b"",
    );
}

// ------------------------------------------------------------------ closing

#[test]
fn server_initiates_close() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(sent(&mut s), [0x88, 0x02, 0x03, 0xe8]);
    assert_eq!(s.state(), State::Closing);
    // The client echoes the code, masked: 03 e8 ^ 37 fa = 34 12.
    let mut c = client();
    expect(
        &mut c,
        &[0x88, 0x02, 0x03, 0xe8],
        &[close(1000, "")],
        &[0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x34, 0x12],
    );
    assert!(c.is_done());
    expect(
        &mut s,
        &[0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x34, 0x12],
        &[close(1000, "")],
        b"",
    );
    assert!(s.is_done());
}

#[test]
fn client_initiates_close_with_reason() {
    let mut c = client();
    c.close(CloseCode::GOING_AWAY, "bye").unwrap();
    // 03 e9 'b' 'y' 'e' masked with 37 fa 21 3d 37.
    let wire = [
        0x88, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x34, 0x13, 0x43, 0x44, 0x52,
    ];
    assert_eq!(sent(&mut c), wire);
    let mut s = server();
    // The server echoes the code without the reason.
    expect(
        &mut s,
        &wire,
        &[close(1001, "bye")],
        &[0x88, 0x02, 0x03, 0xe9],
    );
    expect(&mut c, &[0x88, 0x02, 0x03, 0xe9], &[close(1001, "")], b"");
    assert_eq!((c.state(), s.state()), (State::Closed, State::Closed));
}

#[test]
fn peer_close_without_body_gets_reply_without_body() {
    expect(
        &mut server(),
        &[0x88, 0x80, 1, 2, 3, 4],
        &[Ok(Event::Close(None))],
        &[0x88, 0x00],
    );
    expect(
        &mut client(),
        &[0x88, 0x00],
        &[Ok(Event::Close(None))],
        &[0x88, 0x80, 0x37, 0xfa, 0x21, 0x3d],
    );
}

#[test]
fn peer_close_with_code_gets_the_code_back() {
    // 4000 = 0f a0, with reason "x"; key 0.
    expect(
        &mut server(),
        &[0x88, 0x83, 0, 0, 0, 0, 0x0f, 0xa0, b'x'],
        &[close(4000, "x")],
        &[0x88, 0x02, 0x0f, 0xa0],
    );
}

#[test]
fn data_after_close_is_ignored() {
    let mut s = server();
    let input = [
        0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8, // close 1000
        0x81, 0x81, 0, 0, 0, 0, b'x', // text after it
        0x89, 0x80, 0, 0, 0, 0, // ping after it: no pong
    ];
    expect(
        &mut s,
        &input,
        &[close(1000, "")],
        &[0x88, 0x02, 0x03, 0xe8],
    );
    expect(&mut s, &[0x81, 0x81, 0, 0, 0, 0, b'y'], &[], b"");
    s.receive_eof();
    assert_eq!(events(&mut s), []);
    assert_eq!(s.send_text("late"), Err(SendError::Closed));
    assert_eq!(sent(&mut s), b"");
}

#[test]
fn ping_while_closing_is_answered() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(sent(&mut s), [0x88, 0x02, 0x03, 0xe8]);
    expect(
        &mut s,
        &[0x89, 0x81, 0, 0, 0, 0, b'?'],
        &[Ok(Event::Ping(Bytes::from_static(b"?")))],
        &[0x8a, 0x01, b'?'],
    );
    expect(&mut s, &[0x81, 0x81, 0, 0, 0, 0, b'!'], &[text("!")], b"");
    expect(
        &mut s,
        &[0x88, 0x80, 0, 0, 0, 0],
        &[Ok(Event::Close(None))],
        b"",
    );
}

#[test]
fn eof_without_close() {
    let mut s = server();
    s.receive(&[0x81, 0x85, 0x37, 0xfa]);
    s.receive_eof();
    assert_eq!(events(&mut s), [Err(Error::UnexpectedEof)]);
    assert_eq!(sent(&mut s), b"");
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn eof_after_complete_message_delivers_it_first() {
    let mut c = client();
    c.receive(&[0x81, 0x02, b'h', b'i']);
    c.receive_eof();
    assert_eq!(events(&mut c), [text("hi"), Err(Error::UnexpectedEof)]);
}

// ------------------------------------------------------------------ errors

/// Each protocol error, received by a server, and the Close it sends.
#[test]
fn protocol_errors_send_their_close_frame() {
    let protocol_error = [0x88, 0x02, 0x03, 0xea];
    let cases: &[(&[u8], Error, [u8; 4])] = &[
        (
            &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'],
            Error::UnmaskedFrame,
            protocol_error,
        ),
        (
            &[0xc1, 0x80, 0, 0, 0, 0],
            Error::ReservedBits(0x40),
            protocol_error,
        ),
        (
            &[0x83, 0x80, 0, 0, 0, 0],
            Error::ReservedOpcode(3),
            protocol_error,
        ),
        (
            &[0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0],
            Error::InvalidLength,
            protocol_error,
        ),
        (
            &[0x09, 0x80, 0, 0, 0, 0],
            Error::FragmentedControlFrame,
            protocol_error,
        ),
        (
            &[0x89, 0xfe, 0, 126],
            Error::ControlFrameTooLong,
            protocol_error,
        ),
        (
            &[0x80, 0x80, 0, 0, 0, 0],
            Error::UnexpectedContinuation,
            protocol_error,
        ),
        (
            &[0x01, 0x80, 0, 0, 0, 0, 0x81, 0x80, 0, 0, 0, 0],
            Error::ExpectedContinuation,
            protocol_error,
        ),
        (
            &[0x88, 0x81, 0, 0, 0, 0, 0x03],
            Error::InvalidCloseBody,
            protocol_error,
        ),
        (
            &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xed],
            Error::InvalidCloseCode(1005),
            protocol_error,
        ),
        (
            &[0x81, 0x81, 0, 0, 0, 0, 0xff],
            Error::InvalidUtf8,
            [0x88, 0x02, 0x03, 0xef],
        ),
        (
            &[0x88, 0x83, 0, 0, 0, 0, 0x03, 0xe8, 0x80],
            Error::InvalidUtf8,
            [0x88, 0x02, 0x03, 0xef],
        ),
    ];
    for (input, error, close) in cases {
        let mut s = server();
        expect(&mut s, input, &[Err(error.clone())], close);
        // Nothing more is read or sent.
        expect(&mut s, &[0x89, 0x80, 0, 0, 0, 0], &[], b"");
        assert_eq!(s.state(), State::Closed);
    }
}

/// A client fails on a masked frame and sends a masked 1002:
/// 03 ea ^ 37 fa = 34 10.
#[test]
fn client_gets_masked_frame() {
    expect(
        &mut client(),
        &[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ],
        &[Err(Error::MaskedFrame)],
        &[0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x34, 0x10],
    );
}

#[test]
fn oversized_frame_and_message_send_1009() {
    let mut config = Config::default();
    config.max_frame_size = 4;
    let mut c = Connection::new(Role::Client, config.clone()).with_mask_source(|| [0; 4]);
    expect(
        &mut c,
        &[0x82, 0x05],
        &[Err(Error::FrameTooLarge { len: 5, max: 4 })],
        &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xf1],
    );
    config.max_frame_size = 100;
    config.max_message_size = 4;
    let mut c = Connection::new(Role::Client, config).with_mask_source(|| [0; 4]);
    expect(&mut c, &[0x02, 0x03, 1, 2, 3], &[], b"");
    expect(
        &mut c,
        &[0x80, 0x02],
        &[Err(Error::MessageTooLarge { max: 4 })],
        &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xf1],
    );
}

/// Failing while our Close is already out sends no second Close.
#[test]
fn error_while_closing_sends_nothing_more() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(sent(&mut s), [0x88, 0x02, 0x03, 0xe8]);
    expect(&mut s, &[0x81, 0x00], &[Err(Error::UnmaskedFrame)], b"");
}

/// Invalid UTF-8 in the first part of a frame fails before the rest arrives.
#[test]
fn invalid_utf8_fails_before_the_frame_is_complete() {
    let mut s = server();
    // Text of 10 bytes announced, 3 arrive: "a", then c3 28 (impossible).
    expect(
        &mut s,
        &[0x81, 0x8a, 0, 0, 0, 0, b'a', 0xc3, 0x28],
        &[Err(Error::InvalidUtf8)],
        &[0x88, 0x02, 0x03, 0xef],
    );
}

#[test]
fn close_without_status_sends_an_empty_close_and_the_peer_sees_no_code() {
    let mut client =
        Connection::new(Role::Client, Config::default()).with_mask_source(|| [1, 2, 3, 4]);
    client.close_without_status().unwrap();
    // FIN + Close, masked, length 0, then the key: no body at all (§5.5.1).
    assert_eq!(
        &client.poll_transmit().unwrap()[..],
        &[0x88, 0x80, 1, 2, 3, 4]
    );
    assert_eq!(client.state(), State::Closing);
    assert_eq!(client.close_without_status(), Err(SendError::Closed));
    let mut server = Connection::new(Role::Server, Config::default());
    server.receive(&[0x88, 0x80, 1, 2, 3, 4]);
    assert_eq!(server.poll_event(), Ok(Some(Event::Close(None))));
    // The reply to a bodiless Close is bodiless too.
    assert_eq!(&server.poll_transmit().unwrap()[..], &[0x88, 0x00]);
}

#[test]
fn later_fragment_without_a_first_one_is_refused() {
    let mut c = server();
    assert_eq!(
        c.send_fragment(MessageKind::Text, Bytes::from_static(b"x"), false, true),
        Err(SendError::NoFragmentInProgress)
    );
    // A continuation of another kind than the message in progress, too.
    c.send_fragment(MessageKind::Text, Bytes::from_static(b"a"), true, false)
        .unwrap();
    assert_eq!(
        c.send_fragment(MessageKind::Binary, Bytes::from_static(b"b"), false, true),
        Err(SendError::NoFragmentInProgress)
    );
    c.send_fragment(MessageKind::Text, Bytes::from_static(b"b"), false, true)
        .unwrap();
    assert_eq!(sent(&mut c), b"\x01\x01a\x80\x01b");
}

#[test]
fn read_hint_asks_for_the_rest_of_the_payload() {
    let mut s = server();
    assert_eq!(s.read_hint(), 1);
    // A masked binary frame of 100 bytes: header and 10 payload bytes so far.
    s.receive(&[0x82, 0x80 | 100]);
    s.receive(&KEY);
    s.receive(&[0; 10]);
    assert!(events(&mut s).is_empty());
    assert_eq!(s.read_hint(), 90);
    s.receive(&[0; 89]);
    assert!(events(&mut s).is_empty());
    assert_eq!(s.read_hint(), 1, "one byte left");
    s.receive(&[0]);
    assert_eq!(events(&mut s).len(), 1);
    assert_eq!(s.read_hint(), 1);
}

#[test]
fn a_bad_frame_after_our_close_fails_without_a_second_close() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(sent(&mut s), b"\x88\x02\x03\xe8");
    // An unmasked frame from a client (RFC 6455 §5.1): fails the connection,
    // but our Close is already out, so nothing more is sent.
    s.receive(b"\x81\x01a");
    let got = events(&mut s);
    assert!(matches!(got.last(), Some(Err(_))), "{got:?}");
    assert_eq!(sent(&mut s), b"");
}

#[test]
fn eof_in_the_middle_of_a_frame_fails_without_a_close() {
    let mut s = server();
    s.receive(&[0x81, 0x85]);
    s.receive_eof();
    let got = events(&mut s);
    assert_eq!(got.last(), Some(&Err(Error::UnexpectedEof)), "{got:?}");
    assert_eq!(sent(&mut s), b"", "no Close for a peer that is gone");
}
