//! RFC 6455 §5: data framing. One test per requirement, named after its section.

mod common;

use bytes::Bytes;
use common::*;
use ws_frame::apply_mask;
use ws_frame::{
    CloseCode, CloseFrame, Config, Connection, Error, Event, MessageKind, OpCode, Role, SendError,
    State,
};

// ---------------------------------------------------------------- §5.1

// ANCHOR: unmasked_test
/// §5.1: "a server MUST close the connection upon receiving a frame that is
/// not masked. In this case, a server MAY send a Close frame with a status
/// code of 1002 (protocol error)".
#[test]
fn rfc6455_5_1_server_fails_on_unmasked_frame_with_1002() {
    let mut s = server();
    let err = assert_fails(&mut s, &unmasked_frame(TEXT, b"hi"), 1002);
    assert_eq!(err, Error::UnmaskedFrame);
    // Control frames too.
    assert_fails(&mut server(), &unmasked_frame(PING, b""), 1002);
}
// ANCHOR_END: unmasked_test

/// §5.1: "A client MUST close a connection if it detects a masked frame."
#[test]
fn rfc6455_5_1_client_fails_on_masked_frame() {
    let mut c = client();
    let err = assert_fails(&mut c, &masked_frame(BINARY, b"hi", KEY), 1002);
    assert_eq!(err, Error::MaskedFrame);
    assert_fails(&mut client(), &masked_frame(PONG, b"", KEY), 1002);
}

/// §5.1: "a client MUST mask all frames that it sends to the server".
#[test]
fn rfc6455_5_1_client_masks_every_frame() {
    let mut c = client();
    c.send_text("text").unwrap();
    c.send_binary(vec![7u8; 5000]).unwrap();
    c.send_fragment(MessageKind::Binary, Bytes::from_static(b"a"), true, false)
        .unwrap();
    c.send_fragment(MessageKind::Binary, Bytes::from_static(b"b"), false, true)
        .unwrap();
    c.ping("p").unwrap();
    c.pong("q").unwrap();
    c.close(CloseCode::NORMAL, "bye").unwrap();
    let sent = frames(&transmitted(&mut c));
    assert_eq!(sent.len(), 7);
    assert!(sent.iter().all(|f| f.header.mask.is_some()), "{sent:?}");
    assert_eq!(sent[1].payload, vec![7u8; 5000]);
}

/// §5.1: "A server MUST NOT mask any frames that it sends to the client."
#[test]
fn rfc6455_5_1_server_never_masks() {
    let mut s = server();
    s.send_text("text").unwrap();
    s.send_binary(vec![7u8; 5000]).unwrap();
    s.ping("p").unwrap();
    s.close(CloseCode::NORMAL, "").unwrap();
    let sent = frames(&transmitted(&mut s));
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|f| f.header.mask.is_none()));
}

// ---------------------------------------------------------------- §5.2

/// §5.2 RSV1–3: "If a nonzero value is received and none of the negotiated
/// extensions defines the meaning of such a nonzero value, the receiving
/// endpoint MUST _Fail the WebSocket Connection_."
#[test]
fn rfc6455_5_2_reserved_bits_without_extension_fail_1002() {
    for rsv in [0x40, 0x20, 0x10, 0x70] {
        for b0 in [TEXT, BINARY, PING, CLOSE] {
            for (role, mut conn) in both() {
                let err = assert_fails(&mut conn, &peer_frame(role, b0 | rsv, b"x"), 1002);
                assert_eq!(err, Error::ReservedBits(rsv));
            }
        }
    }
}

/// §5.2 Opcode: "If an unknown opcode is received, the receiving endpoint
/// MUST _Fail the WebSocket Connection_."
#[test]
fn rfc6455_5_2_reserved_opcode_fails_1002() {
    for op in [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        for (role, mut conn) in both() {
            let err = assert_fails(&mut conn, &peer_frame(role, 0x80 | op, b""), 1002);
            assert_eq!(err, Error::ReservedOpcode(op));
        }
    }
}

/// §5.2 Payload length: "the most significant bit MUST be 0" in the 64-bit form.
#[test]
fn rfc6455_5_2_length_msb_set_fails() {
    let mut s = server();
    let mut input = vec![BINARY, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 5];
    input.extend_from_slice(&KEY);
    let err = assert_fails(&mut s, &input, 1002);
    assert_eq!(err, Error::InvalidLength);
}

/// §5.2: "in all cases, the minimal number of bytes MUST be used to encode
/// the length".
#[test]
fn rfc6455_5_2_minimal_length_encoding() {
    for (len, header) in [
        (0usize, vec![0x82, 0]),
        (125, vec![0x82, 125]),
        (126, vec![0x82, 126, 0, 126]),
        (0xffff, vec![0x82, 126, 0xff, 0xff]),
        (0x1_0000, vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
    ] {
        let mut s = server();
        s.send_binary(vec![0u8; len]).unwrap();
        let sent = transmitted(&mut s);
        assert_eq!(sent[..header.len()], header[..], "length {len}");
        assert_eq!(sent.len(), header.len() + len);
    }
}

/// §5.2: the extended lengths are "interpreted as a 16-bit unsigned integer"
/// and "a 64-bit unsigned integer", in network byte order (§5.7 examples).
#[test]
fn rfc6455_5_2_extended_lengths_network_byte_order() {
    for len in [126usize, 256, 0xffff, 0x1_0000] {
        let payload: Vec<u8> = (0..=250u8).cycle().take(len).collect();
        let mut c = client();
        let (events, error) = feed(&mut c, &unmasked_frame(BINARY, &payload));
        assert_eq!((events, error), (vec![Event::Binary(payload.into())], None));
    }
}

// ---------------------------------------------------------------- §5.3

/// §5.3: "The masking key is a 32-bit value chosen at random by the client.
/// When preparing a masked frame, the client MUST pick a fresh masking key
/// from the set of allowed 32-bit values."
#[test]
fn rfc6455_5_3_fresh_mask_per_frame() {
    // The default source: a CSPRNG. 64 keys of 32 bits collide with
    // probability ~5e-7.
    let mut c = Connection::new(Role::Client, Config::default());
    for i in 0..32 {
        c.send_text(format!("{i}")).unwrap();
        c.ping("p").unwrap();
    }
    let keys: Vec<[u8; 4]> = frames(&transmitted(&mut c))
        .iter()
        .map(|f| f.header.mask.unwrap())
        .collect();
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "repeated masking key");
    // The source is asked once per frame.
    let mut c = client();
    c.send_text("a").unwrap();
    c.send_text("b").unwrap();
    let keys: Vec<_> = frames(&transmitted(&mut c))
        .iter()
        .map(|f| f.header.mask.unwrap())
        .collect();
    assert_eq!(keys, [[1, 2, 3, 4], [2, 3, 4, 5]]);
}

/// §5.3: "Octet i of the transformed data ... is the XOR of octet i of the
/// original data with octet at index i modulo 4 of the masking key."
#[test]
fn rfc6455_5_3_mask_is_xor_with_key_octet_i_mod_4() {
    let data: Vec<u8> = (0..=255).collect();
    for len in 0..=40 {
        for offset in 0..4 {
            let mut fast = data[..len].to_vec();
            apply_mask(&mut fast, KEY, offset);
            let expected: Vec<u8> = data[..len]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ KEY[(i + offset) % 4])
                .collect();
            assert_eq!(fast, expected);
            let mut slow = data[..len].to_vec();
            mask_by_definition(&mut slow, KEY, offset);
            assert_eq!(slow, expected);
        }
    }
}

/// §5.3: "The same algorithm applies regardless of the direction of the
/// translation": the server unmasks, whatever the read boundaries.
#[test]
fn rfc6455_5_3_server_unmasks_across_reads() {
    let payload: Vec<u8> = (0..=255u8).cycle().skip(7).take(300).collect();
    let wire = masked_frame(BINARY, &payload, KEY);
    for cut in [1, 2, 5, 7, 8, 9, 10, 150, 303] {
        let mut s = server();
        s.receive(&wire[..cut]);
        assert_eq!(drain(&mut s), (vec![], None));
        assert_eq!(
            feed(&mut s, &wire[cut..]),
            (vec![Event::Binary(payload.clone().into())], None)
        );
    }
}

// ---------------------------------------------------------------- §5.4

/// §5.4: "An unfragmented message consists of a single frame with the FIN
/// bit set and an opcode other than 0."
#[test]
fn rfc6455_5_4_unfragmented_message_is_one_fin_frame() {
    let mut s = server();
    s.send_text("Hello").unwrap();
    assert_eq!(transmitted(&mut s), b"\x81\x05Hello");
}

/// §5.4: "A fragmented message consists of a single frame with the FIN bit
/// clear and an opcode other than 0, followed by zero or more frames with
/// the FIN bit clear and the opcode set to 0, and terminated by a single
/// frame with the FIN bit set and an opcode of 0."
#[test]
fn rfc6455_5_4_sender_fragments_with_continuation_frames() {
    let mut s = server();
    for (data, first, fin) in [
        ("Hel", true, false),
        ("", false, false),
        ("lo", false, true),
    ] {
        s.send_fragment(MessageKind::Text, Bytes::from(data), first, fin)
            .unwrap();
    }
    assert_eq!(transmitted(&mut s), b"\x01\x03Hel\x00\x00\x80\x02lo");
    // A new first fragment inside a message is refused.
    s.send_fragment(MessageKind::Text, Bytes::new(), true, false)
        .unwrap();
    assert!(matches!(
        s.send_fragment(MessageKind::Text, Bytes::new(), true, true),
        Err(SendError::FragmentInProgress)
    ));
    assert!(matches!(
        s.send_text("x"),
        Err(SendError::FragmentInProgress)
    ));
}

/// §5.4: the receiver reassembles fragments "in the order sent by the sender".
#[test]
fn rfc6455_5_4_fragmented_message_reassembled_in_order() {
    let mut s = server();
    let mut input = masked_frame(no_fin(BINARY), b"ab", KEY);
    input.extend(masked_frame(no_fin(CONT), b"", KEY));
    input.extend(masked_frame(no_fin(CONT), b"cd", [9, 9, 9, 9]));
    input.extend(masked_frame(CONT, b"e", KEY));
    assert_eq!(
        feed(&mut s, &input),
        (vec![Event::Binary(Bytes::from_static(b"abcde"))], None)
    );
}

/// §5.4: "Control frames MAY be injected in the middle of a fragmented
/// message" and "An endpoint MUST be capable of handling control frames in
/// the middle of a fragmented message."
#[test]
fn rfc6455_5_4_control_frames_interleaved_in_fragmented_message() {
    let mut s = server();
    let mut input = masked_frame(no_fin(TEXT), b"Hel", KEY);
    input.extend(masked_frame(PING, b"1", KEY));
    input.extend(masked_frame(PONG, b"2", KEY));
    input.extend(masked_frame(CONT, b"lo", KEY));
    let (events, error) = feed(&mut s, &input);
    assert_eq!(error, None);
    assert_eq!(
        events,
        [
            Event::Ping(Bytes::from_static(b"1")),
            Event::Pong(Bytes::from_static(b"2")),
            Event::Text("Hello".into())
        ]
    );
    assert_eq!(transmitted(&mut s), b"\x8a\x011");
    // A Close in the middle ends the connection normally.
    let mut s = server();
    let mut input = masked_frame(no_fin(TEXT), b"Hel", KEY);
    input.extend(masked_frame(CLOSE, &close_body(1000, ""), KEY));
    let (events, error) = feed(&mut s, &input);
    assert_eq!(
        (events, error),
        (
            vec![Event::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")))],
            None
        )
    );
}

/// §5.4: control frames may be sent between the fragments of our own message.
#[test]
fn rfc6455_5_4_sender_may_interleave_control_frames() {
    let mut s = server();
    s.send_fragment(MessageKind::Binary, Bytes::from_static(b"a"), true, false)
        .unwrap();
    s.ping("p").unwrap();
    s.send_fragment(MessageKind::Binary, Bytes::from_static(b"b"), false, true)
        .unwrap();
    assert_eq!(transmitted(&mut s), b"\x02\x01a\x89\x01p\x80\x01b");
}

/// §5.4: a continuation frame continues a message; without one in progress
/// the stream is invalid and the connection fails.
#[test]
fn rfc6455_5_4_continuation_without_start_fails() {
    for (role, mut conn) in both() {
        let err = assert_fails(&mut conn, &peer_frame(role, CONT, b"x"), 1002);
        assert_eq!(err, Error::UnexpectedContinuation);
    }
    // Also right after a complete message.
    let mut s = server();
    let mut input = masked_frame(TEXT, b"done", KEY);
    input.extend(masked_frame(no_fin(CONT), b"x", KEY));
    let (events, error) = feed(&mut s, &input);
    assert_eq!(
        (events, error),
        (
            vec![Event::Text("done".into())],
            Some(Error::UnexpectedContinuation)
        )
    );
}

/// §5.4: "the fragments of one message MUST NOT be interleaved between the
/// fragments of another message".
#[test]
fn rfc6455_5_4_new_message_inside_fragmented_fails() {
    for b0 in [TEXT, BINARY, no_fin(TEXT), no_fin(BINARY)] {
        for (role, mut conn) in both() {
            let mut input = peer_frame(role, no_fin(BINARY), b"a");
            input.extend(peer_frame(role, b0, b"b"));
            let err = assert_fails(&mut conn, &input, 1002);
            assert_eq!(err, Error::ExpectedContinuation);
        }
    }
}

// ---------------------------------------------------------------- §5.5

/// §5.5: "All control frames MUST have a payload length of 125 bytes or less".
#[test]
fn rfc6455_5_5_control_frame_over_125_fails() {
    for b0 in [CLOSE, PING, PONG] {
        for (role, mut conn) in both() {
            let mut body = close_body(1000, "");
            body.resize(126, b'x');
            let err = assert_fails(&mut conn, &peer_frame(role, b0, &body), 1002);
            assert_eq!(err, Error::ControlFrameTooLong);
        }
    }
    // Rejected from the header alone.
    let mut s = server();
    s.receive(&[PING, 0x80 | 126]);
    assert_eq!(s.poll_event(), Err(Error::ControlFrameTooLong));
}

/// §5.5: 125 bytes is allowed.
#[test]
fn rfc6455_5_5_control_frame_of_125_is_accepted() {
    let payload = [b'p'; 125];
    let mut s = server();
    assert_eq!(
        feed(&mut s, &masked_frame(PING, &payload, KEY)),
        (vec![Event::Ping(payload.to_vec().into())], None)
    );
    assert_eq!(transmitted(&mut s), unmasked_frame(PONG, &payload));
}

/// §5.5: control frames "MUST NOT be fragmented".
#[test]
fn rfc6455_5_5_fragmented_control_frame_fails() {
    for b0 in [CLOSE, PING, PONG] {
        for (role, mut conn) in both() {
            let err = assert_fails(&mut conn, &peer_frame(role, no_fin(b0), b""), 1002);
            assert_eq!(err, Error::FragmentedControlFrame);
        }
    }
}

/// §5.5: we never send a control frame over 125 bytes or fragmented.
#[test]
fn rfc6455_5_5_sender_refuses_control_payload_over_125() {
    let mut s = server();
    assert!(matches!(
        s.ping(vec![0u8; 126]),
        Err(SendError::ControlFrameTooLong { len: 126 })
    ));
    assert!(matches!(
        s.pong(vec![0u8; 126]),
        Err(SendError::ControlFrameTooLong { len: 126 })
    ));
    s.ping(vec![0u8; 125]).unwrap();
    // A long reason is cut so that the Close payload stays within 125 bytes.
    s.close(CloseCode::NORMAL, &"é".repeat(100)).unwrap();
    let sent = frames(&transmitted(&mut s));
    assert!(
        sent.iter().all(|f| f.header.fin && f.payload.len() <= 125),
        "{sent:?}"
    );
    assert_eq!(sent[1].payload.len(), 2 + 122);
}

// ---------------------------------------------------------------- §5.5.1

/// §5.5.1: "If an endpoint receives a Close frame and did not previously
/// send a Close frame, the endpoint MUST send a Close frame in response.
/// ... typically echoing the status code it received".
#[test]
fn rfc6455_5_5_1_close_reply_echoes_code() {
    for code in [1000u16, 1001, 1003, 1008, 3000, 4999] {
        let mut s = server();
        let (events, error) = feed(
            &mut s,
            &masked_frame(CLOSE, &close_body(code, "reason"), KEY),
        );
        assert_eq!(error, None);
        assert_eq!(
            events,
            [Event::Close(Some(CloseFrame::new(
                CloseCode(code),
                "reason"
            )))]
        );
        assert_eq!(
            transmitted(&mut s),
            unmasked_frame(CLOSE, &code.to_be_bytes())
        );
        assert_eq!(s.state(), State::Closed);
        assert!(s.is_done());
    }
}

/// §5.5.1: a Close without a body is answered, and the reply has no code.
#[test]
fn rfc6455_5_5_1_close_without_body_gets_empty_reply() {
    let mut c = client();
    assert_eq!(
        feed(&mut c, &unmasked_frame(CLOSE, b"")),
        (vec![Event::Close(None)], None)
    );
    let sent = frames(&transmitted(&mut c));
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].header.opcode, sent[0].payload.len()),
        (OpCode::Close, 0)
    );
}

/// §5.5.1: "If there is a body, the first two bytes of the body MUST be a
/// 2-byte unsigned integer": a one-byte body is a protocol error.
#[test]
fn rfc6455_5_5_1_close_one_byte_body_fails_1002() {
    let err = assert_fails(&mut server(), &masked_frame(CLOSE, &[3], KEY), 1002);
    assert_eq!(err, Error::InvalidCloseBody);
}

/// §5.5.1: the reason "MUST be UTF-8-encoded" (§8.1: else close 1007).
#[test]
fn rfc6455_5_5_1_close_reason_invalid_utf8_fails_1007() {
    let mut body = close_body(1000, "");
    body.extend_from_slice(&[0xce, 0xba, 0xff]);
    let err = assert_fails(&mut client(), &unmasked_frame(CLOSE, &body), 1007);
    assert_eq!(err, Error::InvalidUtf8);
}

/// §5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more
/// data frames."
#[test]
fn rfc6455_5_5_1_no_data_after_close_sent() {
    let mut s = server();
    s.close(CloseCode::GOING_AWAY, "").unwrap();
    assert_eq!(s.state(), State::Closing);
    let close = transmitted(&mut s);
    assert_eq!(close, [0x88, 0x02, 0x03, 0xe9]);
    assert_eq!(s.send_text("late"), Err(SendError::Closed));
    assert_eq!(
        s.send_binary(Bytes::from_static(b"late")),
        Err(SendError::Closed)
    );
    assert_eq!(
        s.send_fragment(MessageKind::Binary, Bytes::new(), true, true),
        Err(SendError::Closed)
    );
    assert_eq!(s.close(CloseCode::NORMAL, ""), Err(SendError::Closed));
    assert_eq!(s.poll_transmit(), None);
    // Nor after the peer's Close was answered.
    let mut s = server();
    feed(&mut s, &masked_frame(CLOSE, b"", KEY));
    transmitted(&mut s);
    assert_eq!(s.send_text("late"), Err(SendError::Closed));
    assert_eq!(s.ping("late"), Err(SendError::Closed));
    assert_eq!(s.poll_transmit(), None);
}

/// §5.5.1: after sending a Close, the peer's Close completes the handshake
/// and is not answered a second time.
#[test]
fn rfc6455_5_5_1_close_reply_completes_handshake_without_second_close() {
    let mut c = client();
    c.close(CloseCode::NORMAL, "bye").unwrap();
    transmitted(&mut c);
    let (events, error) = feed(&mut c, &unmasked_frame(CLOSE, &close_body(1000, "")));
    assert_eq!(
        (events, error),
        (
            vec![Event::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")))],
            None
        )
    );
    assert_eq!(c.poll_transmit(), None);
    assert_eq!(c.state(), State::Closed);
}

/// §5.5.1: "It is possible that an endpoint ... will not continue to process
/// data after receiving a Close frame": data after it is ignored.
#[test]
fn rfc6455_5_5_1_data_after_close_received_is_ignored() {
    let mut s = server();
    let mut input = masked_frame(CLOSE, &close_body(1000, ""), KEY);
    input.extend(masked_frame(TEXT, b"ignored", KEY));
    input.extend([0xff, 0xff]); // even garbage
    let (events, error) = feed(&mut s, &input);
    assert_eq!(events.len(), 1);
    assert_eq!(error, None);
    assert_eq!(feed(&mut s, &masked_frame(PING, b"x", KEY)), (vec![], None));
    assert_eq!(transmitted(&mut s), [0x88, 0x02, 0x03, 0xe8]);
}

// ---------------------------------------------------------------- §5.5.2

/// §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame
/// in response"; §5.5.3: "A Pong frame sent in response to a Ping frame
/// must have identical 'Application data'".
#[test]
fn rfc6455_5_5_2_ping_gets_pong_with_same_payload() {
    let mut s = server();
    assert_eq!(
        feed(&mut s, &masked_frame(PING, b"Hello", KEY)),
        (vec![Event::Ping(Bytes::from_static(b"Hello"))], None)
    );
    assert_eq!(transmitted(&mut s), b"\x8a\x05Hello");
    let mut c = client();
    feed(&mut c, &unmasked_frame(PING, b""));
    let sent = frames(&transmitted(&mut c));
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].header.opcode, sent[0].payload.len()),
        (OpCode::Pong, 0)
    );
}

/// §5.5.2: the Pong is due "unless it already received a Close frame" — so
/// also while waiting for the peer's Close after sending ours.
#[test]
fn rfc6455_5_5_2_ping_while_closing_gets_pong() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    transmitted(&mut s);
    feed(&mut s, &masked_frame(PING, b"still there?", KEY));
    assert_eq!(transmitted(&mut s), b"\x8a\x0cstill there?");
    // With auto_pong off, the application may answer while closing.
    let mut config = Config::default();
    config.auto_pong = false;
    let mut s = Connection::new(Role::Server, config);
    s.close(CloseCode::NORMAL, "").unwrap();
    transmitted(&mut s);
    assert_eq!(
        feed(&mut s, &masked_frame(PING, b"x", KEY)),
        (vec![Event::Ping(Bytes::from_static(b"x"))], None)
    );
    assert_eq!(s.poll_transmit(), None);
    s.pong("x").unwrap();
    assert_eq!(transmitted(&mut s), b"\x8a\x01x");
}

/// §5.5.2: with `auto_pong` off the Ping is reported and nothing is sent.
#[test]
fn rfc6455_5_5_2_auto_pong_off_leaves_the_answer_to_the_application() {
    let mut config = Config::default();
    config.auto_pong = false;
    let mut s = Connection::new(Role::Server, config);
    assert_eq!(
        feed(&mut s, &masked_frame(PING, b"x", KEY)),
        (vec![Event::Ping(Bytes::from_static(b"x"))], None)
    );
    assert_eq!(s.poll_transmit(), None);
}

// ---------------------------------------------------------------- §5.5.3

/// §5.5.3: "A Pong frame MAY be sent unsolicited. ... A response to an
/// unsolicited Pong frame is not expected."
#[test]
fn rfc6455_5_5_3_unsolicited_pong_is_ignored() {
    let mut c = client();
    assert_eq!(
        feed(&mut c, &unmasked_frame(PONG, b"beat")),
        (vec![Event::Pong(Bytes::from_static(b"beat"))], None)
    );
    assert_eq!(c.poll_transmit(), None);
    assert_eq!(c.state(), State::Open);
    // And we may send one.
    c.pong("beat").unwrap();
    assert_eq!(frames(&transmitted(&mut c))[0].payload, b"beat");
}

// ---------------------------------------------------------------- §5.6

/// §5.6: "The 'Payload data' is text data encoded as UTF-8"; §8.1: invalid
/// UTF-8 fails the connection with 1007.
#[test]
fn rfc6455_5_6_text_invalid_utf8_fails_1007() {
    for bad in [
        &[0xff][..],
        &[0xc0, 0x80],
        &[0xed, 0xa0, 0x80],
        &[0xf4, 0x90, 0x80, 0x80],
        b"ok\xe2\x28\xa1",
    ] {
        for (role, mut conn) in both() {
            let err = assert_fails(&mut conn, &peer_frame(role, TEXT, bad), 1007);
            assert_eq!(err, Error::InvalidUtf8);
        }
    }
}

/// §5.6: a text message may be split inside a character across frames, but
/// must not end inside one.
#[test]
fn rfc6455_5_6_text_split_character_across_fragments() {
    let euro = "€".as_bytes();
    let mut s = server();
    let mut input = masked_frame(no_fin(TEXT), &euro[..1], KEY);
    input.extend(masked_frame(no_fin(CONT), &euro[1..2], KEY));
    input.extend(masked_frame(CONT, &euro[2..], KEY));
    assert_eq!(feed(&mut s, &input), (vec![Event::Text("€".into())], None));
    let err = assert_fails(&mut server(), &masked_frame(TEXT, &euro[..2], KEY), 1007);
    assert_eq!(err, Error::InvalidUtf8);
}

/// §5.6: "Binary data ... interpretation is solely up to the application
/// layer": any bytes are accepted.
#[test]
fn rfc6455_5_6_binary_is_not_validated() {
    let all: Vec<u8> = (0..=255).collect();
    let mut s = server();
    assert_eq!(
        feed(&mut s, &masked_frame(BINARY, &all, KEY)),
        (vec![Event::Binary(all.into())], None)
    );
}
