//! RFC 6455 §8 (error handling) and the limits of §10.4. One test per
//! requirement, named after its section.

mod common;

use bytes::Bytes;
use common::*;
use ws_frame::{CloseCode, Config, Connection, Error, Event, Role, SendError, State};

fn server_with(config: Config) -> Connection {
    Connection::new(Role::Server, config)
}

/// §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds
/// that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint
/// MUST _Fail the WebSocket Connection_." The failure is reported as soon
/// as the invalid bytes arrive: here the first half of a frame, whose second
/// half has not arrived yet.
#[test]
fn rfc6455_8_1_utf8_fail_fast_mid_frame() {
    let mut payload = b"valid \xce\xba then \xff".to_vec();
    payload.resize(2000, b'a');
    let wire = masked_frame(TEXT, &payload, KEY);
    let mut s = server();
    s.receive(&wire[..wire.len() / 2]);
    assert_eq!(s.poll_event(), Err(Error::InvalidUtf8));
    assert_eq!(transmitted(&mut s), [0x88, 0x02, 0x03, 0xef]);
    // The rest is never looked at.
    assert_eq!(feed(&mut s, &wire[wire.len() / 2..]), (vec![], None));
}

/// §8.1: fail fast also across fragments: a bad first fragment fails before
/// the message is complete.
#[test]
fn rfc6455_8_1_utf8_fail_fast_in_first_fragment() {
    let mut c = client();
    let err = assert_fails(&mut c, &unmasked_frame(no_fin(TEXT), b"ok\xc0"), 1007);
    assert_eq!(err, Error::InvalidUtf8);
    // A sequence that only becomes impossible in the next fragment.
    let mut c = client();
    let mut input = unmasked_frame(no_fin(TEXT), b"\xf0\x9f");
    input.extend(unmasked_frame(no_fin(CONT), b"A"));
    assert_fails(&mut c, &input, 1007);
}

/// §8.1: a valid stream is accepted however it is cut, one byte at a time.
#[test]
fn rfc6455_8_1_valid_utf8_accepted_in_one_byte_reads() {
    let text = "κόσμε €𝄞 ascii";
    let mut wire = masked_frame(no_fin(TEXT), &text.as_bytes()[..5], KEY);
    wire.extend(masked_frame(CONT, &text.as_bytes()[5..], [1, 2, 3, 4]));
    let mut s = server();
    let mut events = Vec::new();
    for byte in &wire {
        let (mut got, error) = feed(&mut s, std::slice::from_ref(byte));
        assert_eq!(error, None);
        events.append(&mut got);
    }
    assert_eq!(events, [Event::Text(text.into())]);
}

/// §8.1: the text must not end in the middle of a character, checked at
/// the final fragment even when it is empty.
#[test]
fn rfc6455_8_1_utf8_incomplete_at_end_of_message_fails() {
    let mut input = masked_frame(no_fin(TEXT), b"\xe2\x82", KEY);
    input.extend(masked_frame(CONT, b"", KEY));
    let err = assert_fails(&mut server(), &input, 1007);
    assert_eq!(err, Error::InvalidUtf8);
}

/// §8.1 with §5.5.1: a Close reason is UTF-8 too.
#[test]
fn rfc6455_8_1_utf8_invalid_close_reason_fails_1007() {
    let mut body = close_body(1000, "");
    body.extend_from_slice(b"\xed\xa0\x80"); // a surrogate
    assert_fails(&mut server(), &masked_frame(CLOSE, &body, KEY), 1007);
}

/// §10.4: "implementations will likely want to impose implementation-specific
/// limits on frame sizes"; §7.4.1: 1009 "a message that is too big for it to
/// process". The frame limit is enforced from the header, before any of
/// the payload arrives.
#[test]
fn rfc6455_10_4_frame_size_limit_1009_before_payload() {
    let mut config = Config::default();
    config.max_frame_size = 1000;
    let mut s = server_with(config.clone());
    let wire = masked_frame(BINARY, &[0; 1001], KEY);
    s.receive(&wire[..8]); // the header only
    let err = s.poll_event().unwrap_err();
    assert_eq!(
        err,
        Error::FrameTooLarge {
            len: 1001,
            max: 1000
        }
    );
    assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
    assert_eq!(transmitted(&mut s), [0x88, 0x02, 0x03, 0xf1]);
    // A 64-bit length announcing 2^62 bytes is refused as quickly.
    let mut s = server_with(config.clone());
    let mut header = vec![BINARY, 0x80 | 127, 0x40, 0, 0, 0, 0, 0, 0, 0];
    header.extend_from_slice(&KEY);
    assert_eq!(
        feed(&mut s, &header).1.map(|e| e.close_code()),
        Some(CloseCode::MESSAGE_TOO_BIG)
    );
    // Exactly the limit is fine.
    let mut s = server_with(config);
    assert_eq!(feed(&mut s, &masked_frame(BINARY, &[0; 1000], KEY)).1, None);
}

/// §10.4: the message limit counts all fragments and is enforced from the
/// header of the frame that crosses it.
#[test]
fn rfc6455_10_4_message_size_limit_1009_before_payload() {
    let mut config = Config::default();
    config.max_message_size = 10;
    let mut s = server_with(config.clone());
    s.receive(&masked_frame(no_fin(TEXT), b"123456", KEY));
    assert_eq!(drain(&mut s), (vec![], None));
    s.receive(&masked_frame(CONT, b"78901", KEY)[..6]); // header only
    assert_eq!(s.poll_event(), Err(Error::MessageTooLarge { max: 10 }));
    assert_eq!(transmitted(&mut s), [0x88, 0x02, 0x03, 0xf1]);
    // One frame over the limit, header only.
    let mut s = server_with(config.clone());
    s.receive(&masked_frame(BINARY, &[0; 11], KEY)[..6]);
    assert_eq!(s.poll_event(), Err(Error::MessageTooLarge { max: 10 }));
    // Exactly the limit, in two fragments, is fine; control frames do not count.
    let mut s = server_with(config);
    let mut input = masked_frame(no_fin(BINARY), b"12345", KEY);
    input.extend(masked_frame(PING, &[0; 100], KEY));
    input.extend(masked_frame(CONT, b"67890", KEY));
    let (events, error) = feed(&mut s, &input);
    assert_eq!(error, None);
    assert_eq!(
        events.last(),
        Some(&Event::Binary(Bytes::from_static(b"1234567890")))
    );
}

/// §10.4 with streaming: a message larger than `max_message_size` arrives
/// piece by piece; only the frame limit applies.
#[test]
fn rfc6455_10_4_streamed_messages_bounded_by_frame_size_only() {
    let mut config = Config::default();
    config.max_message_size = 4;
    config.stream_messages = true;
    let mut s = server_with(config);
    let mut input = masked_frame(no_fin(BINARY), b"12345", KEY);
    input.extend(masked_frame(CONT, b"678", KEY));
    let (events, error) = feed(&mut s, &input);
    assert_eq!(error, None);
    assert_eq!(events.len(), 2);
}

/// §7.4.1 / §8: every error of the peer maps to 1002, 1007 or 1009, and the
/// local conditions to 1006 (no Close frame is sent for them).
#[test]
fn rfc6455_7_4_1_every_error_maps_to_its_close_code() {
    let cases = [
        (Error::ReservedOpcode(3), 1002),
        (Error::ReservedBits(0x40), 1002),
        (Error::InvalidLength, 1002),
        (Error::FragmentedControlFrame, 1002),
        (Error::ControlFrameTooLong, 1002),
        (Error::UnmaskedFrame, 1002),
        (Error::MaskedFrame, 1002),
        (Error::UnexpectedContinuation, 1002),
        (Error::ExpectedContinuation, 1002),
        (Error::InvalidCloseBody, 1002),
        (Error::InvalidCloseCode(1005), 1002),
        (Error::InvalidUtf8, 1007),
        (Error::FrameTooLarge { len: 2, max: 1 }, 1009),
        (Error::MessageTooLarge { max: 1 }, 1009),
        (Error::InvalidCompressedData, 1002),
        (Error::UnexpectedEof, 1006),
    ];
    for (error, code) in cases {
        assert_eq!(error.close_code().0, code, "{error}");
        assert_eq!(error.is_protocol_violation(), code != 1006, "{error}");
    }
}

/// §7.1.7: after a failure, the state is Closed and no command sends more.
#[test]
fn rfc6455_7_1_7_nothing_sent_after_fail() {
    let mut s = server();
    assert_fails(&mut s, &unmasked_frame(BINARY, b""), 1002);
    assert_eq!(s.send_text("x"), Err(SendError::Closed));
    assert_eq!(s.ping("x"), Err(SendError::Closed));
    assert_eq!(s.close(CloseCode::NORMAL, ""), Err(SendError::Closed));
    assert_eq!((s.state(), s.poll_transmit()), (State::Closed, None));
}
