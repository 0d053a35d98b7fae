//! `Connection::poll_borrowed`: what is lent out of the receive buffer, what
//! falls back to an owned event, and that validation, limits and close codes
//! are those of `poll_event`.

use ws_frame::{Borrowed, Config, Connection, Error, Event, MessageKind, Role};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked client frame.
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut client = Connection::new(Role::Client, Config::default()).with_mask_source(|| KEY);
    let kind = if opcode == 1 {
        MessageKind::Text
    } else {
        MessageKind::Binary
    };
    client
        .send_fragment(kind, payload.to_vec().into(), true, fin)
        .unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = client.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    if opcode == 0 {
        out[0] &= 0xf0; // a continuation frame
    }
    out
}

fn server() -> Connection {
    Connection::new(Role::Server, Config::default())
}

fn sent(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = conn.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    out
}

#[test]
fn single_frame_messages_are_lent_and_released_on_the_next_call() {
    let mut conn = server();
    let mut input = frame(true, 2, b"abc");
    input.extend(frame(true, 1, "héllo".as_bytes()));
    conn.receive(&input);
    assert_eq!(
        conn.poll_borrowed().unwrap(),
        Some(Borrowed::Binary(&b"abc"[..]))
    );
    assert_eq!(conn.lent(), Some((MessageKind::Binary, &b"abc"[..])));
    assert_eq!(conn.poll_borrowed().unwrap(), Some(Borrowed::Text("héllo")));
    assert_eq!(conn.poll_borrowed().unwrap(), None);
    assert_eq!(conn.lent(), None);
    // Nothing is left behind: the next message is decoded as usual.
    conn.receive(&frame(true, 2, b"x"));
    assert_eq!(
        conn.poll_event().unwrap(),
        Some(Event::Binary(b"x".to_vec().into()))
    );
}

#[test]
fn send_lent_echoes_small_and_large_messages_byte_for_byte() {
    for len in [0, 5, 125, 4096, 70_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut lending = server();
        let mut owning = server();
        lending.receive(&frame(true, 2, &payload));
        owning.receive(&frame(true, 2, &payload));
        assert!(matches!(
            lending.poll_borrowed(),
            Ok(Some(Borrowed::Binary(_)))
        ));
        assert!(lending.send_lent().unwrap());
        assert!(!lending.send_lent().unwrap(), "sent once");
        let Some(Event::Binary(data)) = owning.poll_event().unwrap() else {
            panic!("no message");
        };
        owning.send_binary(data).unwrap();
        assert_eq!(sent(&mut lending), sent(&mut owning), "{len} bytes");
    }
}

#[test]
fn fragmented_messages_and_control_frames_fall_back_to_owned_events() {
    let mut conn = server();
    let mut input = frame(false, 1, b"hel");
    input.extend(frame(true, 0, b"lo"));
    conn.receive(&input);
    let Some(Borrowed::Event(Event::Text(text))) = conn.poll_borrowed().unwrap() else {
        panic!("not an owned text");
    };
    assert_eq!(text, "hello");
    assert_eq!(conn.lent(), None);
    assert!(!conn.send_lent().unwrap());
}

#[test]
fn invalid_utf8_fails_with_1007_as_poll_event_does() {
    // A lone continuation byte, and a message ending inside a character.
    for bad in [&[0x80][..], &[0xc3][..]] {
        let mut conn = server();
        conn.receive(&frame(true, 1, bad));
        assert_eq!(conn.poll_borrowed(), Err(Error::InvalidUtf8));
        assert_eq!(
            sent(&mut conn)[..4],
            [0x88, 0x02, 0x03, 0xef],
            "Close 1007 queued"
        );
    }
}

#[test]
fn the_message_size_limit_applies_before_anything_is_lent() {
    let mut config = Config::default();
    config.max_message_size = 10;
    let mut conn = Connection::new(Role::Server, config);
    conn.receive(&frame(true, 2, &[0; 11]));
    assert!(matches!(
        conn.poll_borrowed(),
        Err(Error::MessageTooLarge { max: 10 })
    ));
}
