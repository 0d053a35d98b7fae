//! RFC 6455 §7: closing the connection. One test per requirement, named
//! after its section.

mod common;

use common::*;
use ws_frame::{CloseCode, CloseFrame, Error, Event, OpCode, PeerClose, Role, SendError, State};

/// §7.1.1: after the closing handshake the WebSocket is done; once the
/// Close reply is written, the server may close the TCP connection.
#[test]
fn rfc6455_7_1_1_done_after_closing_handshake() {
    let mut s = server();
    feed(&mut s, &masked_frame(CLOSE, &close_body(1000, ""), KEY));
    assert!(!s.is_done(), "the reply still has to be written");
    assert_eq!(transmitted(&mut s), [0x88, 0x02, 0x03, 0xe8]);
    assert!(s.is_done());
    // The TCP connection then ends: no error for an EOF after the handshake.
    s.receive_eof();
    assert_eq!(s.poll_event(), Ok(None));
}

/// §7.1.2: "To _Start the WebSocket Closing Handshake_ with a status code
/// and an optional close reason, an endpoint MUST send a Close control
/// frame ... whose status code is set to /code/ and whose close reason is
/// set to /reason/."
#[test]
fn rfc6455_7_1_2_start_closing_handshake_sends_code_and_reason() {
    let mut c = client();
    c.close(CloseCode::GOING_AWAY, "moving").unwrap();
    assert_eq!(c.state(), State::Closing);
    assert_eq!(c.close_sent(), Some(CloseCode::GOING_AWAY));
    let sent = frames(&transmitted(&mut c));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header.opcode, OpCode::Close);
    assert_eq!(sent[0].payload, close_body(1001, "moving"));
    assert!(!c.is_done(), "waiting for the server's Close");
}

/// §7.1.3: "Upon either sending or receiving a Close control frame, it is
/// said that _The WebSocket Closing Handshake is Started_"; incoming data is
/// still delivered while we wait for the peer's Close.
#[test]
fn rfc6455_7_1_3_messages_still_delivered_while_closing() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    transmitted(&mut s);
    let mut input = masked_frame(TEXT, b"in flight", KEY);
    input.extend(masked_frame(CLOSE, &close_body(1000, ""), KEY));
    let (events, error) = feed(&mut s, &input);
    assert_eq!(error, None);
    assert_eq!(
        events,
        [
            Event::Text("in flight".into()),
            Event::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")))
        ]
    );
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.poll_transmit(), None, "no second Close");
}

/// §7.1.4: "Once an endpoint has both sent and received a Close control
/// frame, ... _The WebSocket Connection is Closed_".
#[test]
fn rfc6455_7_1_4_closed_after_both_close_frames() {
    for (role, mut conn) in both() {
        assert_eq!(conn.state(), State::Open);
        conn.close(CloseCode::NORMAL, "").unwrap();
        transmitted(&mut conn);
        assert_eq!(conn.state(), State::Closing);
        feed(&mut conn, &peer_frame(role, CLOSE, &close_body(1000, "")));
        assert_eq!(conn.state(), State::Closed);
        assert!(conn.is_done());
    }
}

/// §7.1.5: "_The WebSocket Connection Close Code_ is defined as the status
/// code contained in the first Close control frame received"; "If this
/// Close control frame contains no status code, ... considered to be 1005".
#[test]
fn rfc6455_7_1_5_close_code_is_that_of_the_received_close() {
    let mut s = server();
    feed(&mut s, &masked_frame(CLOSE, &close_body(4001, "why"), KEY));
    assert_eq!(
        s.close_received(),
        Some(&PeerClose::Frame(CloseFrame::new(CloseCode(4001), "why")))
    );
    let mut s = server();
    feed(&mut s, &masked_frame(CLOSE, b"", KEY));
    assert_eq!(s.close_received(), Some(&PeerClose::Empty));
    assert_eq!(
        s.close_received().map(PeerClose::code),
        Some(CloseCode::NO_STATUS)
    );
    assert_eq!(s.close_sent(), Some(CloseCode::NO_STATUS));
    assert_eq!(transmitted(&mut s), [0x88, 0x00]);
}

/// §7.1.5: "If _The WebSocket Connection is Closed_ and no Close control
/// frame was received by the endpoint ... the close code is considered to
/// be 1006."
#[test]
fn rfc6455_7_1_5_eof_without_close_is_unexpected_eof_1006() {
    for (role, mut conn) in both() {
        conn.receive(&peer_frame(role, TEXT, b"last words"));
        conn.receive_eof();
        let (events, error) = drain(&mut conn);
        assert_eq!(events, [Event::Text("last words".into())]);
        assert_eq!(error, Some(Error::UnexpectedEof));
        assert_eq!(Error::UnexpectedEof.close_code(), CloseCode::ABNORMAL);
        assert_eq!(conn.state(), State::Closed);
        assert_eq!(conn.poll_transmit(), None, "no Close frame can be sent");
    }
}

/// §7.1.5: an EOF in the middle of a frame, or after our Close but before
/// the peer's, is still abnormal.
#[test]
fn rfc6455_7_1_5_eof_mid_frame_or_while_closing_is_unexpected_eof() {
    let mut s = server();
    s.receive(&masked_frame(TEXT, b"cut short", KEY)[..7]);
    s.receive_eof();
    assert_eq!(drain(&mut s), (vec![], Some(Error::UnexpectedEof)));
    let mut c = client();
    c.close(CloseCode::NORMAL, "").unwrap();
    transmitted(&mut c);
    c.receive_eof();
    assert_eq!(drain(&mut c), (vec![], Some(Error::UnexpectedEof)));
}

/// §7.1.6: "_The WebSocket Connection Close Reason_ is defined as the UTF-8
/// -encoded data following the status code".
#[test]
fn rfc6455_7_1_6_close_reason_is_reported() {
    let mut c = client();
    let (events, _) = feed(&mut c, &unmasked_frame(CLOSE, &close_body(1001, "κόσμε")));
    assert_eq!(
        events,
        [Event::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            "κόσμε"
        )))]
    );
}

/// §7.1.7: "If _The WebSocket Connection is Established_ prior to the point
/// where the endpoint is required to _Fail the WebSocket Connection_, the
/// endpoint SHOULD send a Close frame with an appropriate status code" —
/// once — and "MUST NOT continue to attempt to process data (including a
/// responding Close frame) from the remote endpoint".
#[test]
fn rfc6455_7_1_7_fail_sends_close_once() {
    let mut s = server();
    let mut input = unmasked_frame(TEXT, b"bad");
    input.extend(unmasked_frame(TEXT, b"worse"));
    assert_fails(&mut s, &input, 1002);
    // More violations, a Ping and a Close: nothing is processed or answered.
    let mut more = unmasked_frame(TEXT, b"again");
    more.extend(masked_frame(PING, b"p", KEY));
    more.extend(masked_frame(CLOSE, &close_body(1000, ""), KEY));
    assert_eq!(feed(&mut s, &more), (vec![], None));
    s.receive_eof();
    assert_eq!(s.poll_event(), Ok(None));
    assert_eq!(s.poll_transmit(), None);
    assert_eq!(s.close_sent(), Some(CloseCode::PROTOCOL_ERROR));
}

/// §7.1.7 with §5.5.1: if our Close was already sent, failing sends no
/// second one.
#[test]
fn rfc6455_7_1_7_fail_while_closing_sends_no_second_close() {
    let mut c = client();
    c.close(CloseCode::NORMAL, "").unwrap();
    transmitted(&mut c);
    let (_, error) = feed(&mut c, &masked_frame(TEXT, b"x", KEY));
    assert_eq!(error, Some(Error::MaskedFrame));
    assert_eq!(c.poll_transmit(), None);
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.close_sent(), Some(CloseCode::NORMAL));
}

/// §7.1.7: events decoded before the violation are still delivered, in order.
#[test]
fn rfc6455_7_1_7_events_before_the_violation_are_delivered() {
    let mut s = server();
    let mut input = masked_frame(TEXT, b"fine", KEY);
    input.extend(masked_frame(0x83, b"", KEY));
    input.extend(masked_frame(TEXT, b"never", KEY));
    let (events, error) = feed(&mut s, &input);
    assert_eq!(
        (events, error),
        (
            vec![Event::Text("fine".into())],
            Some(Error::ReservedOpcode(3))
        )
    );
}

/// §7.2.1: a client that fails the connection closes with a masked Close.
#[test]
fn rfc6455_7_2_1_client_fail_sends_masked_close() {
    let mut c = client();
    assert_fails(&mut c, &unmasked_frame(0x8b, b""), 1002);
}

/// §7.3: "the closing handshake ... both peers may initiate it at the same
/// time": each receives the other's Close, none is answered twice.
#[test]
fn rfc6455_7_3_simultaneous_close() {
    let mut s = server();
    let mut c = client();
    s.close(CloseCode::NORMAL, "server").unwrap();
    c.close(CloseCode::GOING_AWAY, "client").unwrap();
    let to_client = transmitted(&mut s);
    let to_server = transmitted(&mut c);
    let (client_events, e1) = feed(&mut c, &to_client);
    let (server_events, e2) = feed(&mut s, &to_server);
    assert_eq!((e1, e2), (None, None));
    assert_eq!(
        client_events,
        [Event::Close(Some(CloseFrame::new(
            CloseCode::NORMAL,
            "server"
        )))]
    );
    assert_eq!(
        server_events,
        [Event::Close(Some(CloseFrame::new(
            CloseCode::GOING_AWAY,
            "client"
        )))]
    );
    assert!(s.is_done() && c.is_done());
}

/// §7.4.1: 1004 is reserved, and 1005, 1006 and 1015 "MUST NOT be set as a
/// status code in a Close control frame by an endpoint": received, they are
/// a protocol error; asked to send them, we refuse.
#[test]
fn rfc6455_7_4_1_codes_1004_1005_1006_1015_rejected() {
    for code in [1004u16, 1005, 1006, 1015] {
        for (role, mut conn) in both() {
            let err = assert_fails(
                &mut conn,
                &peer_frame(role, CLOSE, &close_body(code, "")),
                1002,
            );
            assert_eq!(err, Error::InvalidCloseCode(code));
        }
        let mut s = server();
        assert!(
            s.close(CloseCode(code), "") == Err(SendError::CloseCodeNotSendable(CloseCode(code))),
            "{code}"
        );
        assert_eq!((s.state(), s.poll_transmit()), (State::Open, None));
    }
}

/// §7.4.1: the defined codes are accepted and echoed.
#[test]
fn rfc6455_7_4_1_defined_codes_accepted() {
    for code in [1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011] {
        let mut c = client();
        let (events, error) = feed(&mut c, &unmasked_frame(CLOSE, &close_body(code, "")));
        assert_eq!(error, None, "{code}");
        assert_eq!(
            events,
            [Event::Close(Some(CloseFrame::new(CloseCode(code), "")))]
        );
        assert_eq!(frames(&transmitted(&mut c))[0].payload, code.to_be_bytes());
    }
}

/// §7.4.2: "Status codes in the range 0-999 are not used."
#[test]
fn rfc6455_7_4_2_codes_below_1000_rejected() {
    for code in [0u16, 1, 999] {
        let err = assert_fails(
            &mut server(),
            &masked_frame(CLOSE, &close_body(code, ""), KEY),
            1002,
        );
        assert_eq!(err, Error::InvalidCloseCode(code));
    }
}

/// §7.4.2: 1000-2999 are reserved for this protocol and its extensions;
/// the unassigned ones must not appear on the wire.
#[test]
fn rfc6455_7_4_2_unassigned_protocol_codes_rejected() {
    for code in [1016u16, 1100, 2000, 2999] {
        let err = assert_fails(
            &mut server(),
            &masked_frame(CLOSE, &close_body(code, ""), KEY),
            1002,
        );
        assert_eq!(err, Error::InvalidCloseCode(code));
    }
}

/// §7.4.2: 3000-3999 (libraries, frameworks) and 4000-4999 (private use)
/// are accepted; 5000 and up are not defined.
#[test]
fn rfc6455_7_4_2_codes_3000_to_4999_accepted_above_rejected() {
    for code in [3000u16, 3999, 4000, 4999] {
        let mut s = server();
        assert_eq!(
            feed(&mut s, &masked_frame(CLOSE, &close_body(code, ""), KEY)).1,
            None,
            "{code}"
        );
        let mut s = server();
        s.close(CloseCode(code), "app").unwrap();
        assert_eq!(
            transmitted(&mut s),
            unmasked_frame(CLOSE, &close_body(code, "app"))
        );
    }
    for code in [5000u16, 65535] {
        assert_fails(
            &mut server(),
            &masked_frame(CLOSE, &close_body(code, ""), KEY),
            1002,
        );
    }
}

/// §7.4: the roles agree: a code either side may send, the other accepts.
#[test]
fn rfc6455_7_4_codes_round_trip_between_roles() {
    for code in [1000u16, 1001, 1011, 3333, 4444] {
        let mut c = client();
        c.close(CloseCode(code), "x").unwrap();
        let mut s = server();
        let (events, _) = feed(&mut s, &transmitted(&mut c));
        assert_eq!(
            events,
            [Event::Close(Some(CloseFrame::new(CloseCode(code), "x")))]
        );
        assert_eq!(s.role(), Role::Server);
    }
}
