//! What a user sees when inspecting the crate's values: `Debug` of a
//! connection and of a deflate context, the configuration a connection was
//! built with, and the messages of negotiation errors.

use ws_frame::deflate::{DeflateConfig, DeflateParams, NegotiationError, PerMessageDeflate};
use ws_frame::{Config, Connection, Role};

#[test]
fn connection_keeps_its_config_and_debug_shows_role_and_buffers() {
    let mut config = Config::default();
    config.max_frame_size = 1234;
    config.auto_pong = false;
    let mut c = Connection::new(Role::Client, config);
    assert_eq!(c.config().max_frame_size, 1234);
    assert!(!c.config().auto_pong);
    c.send_text("hi").unwrap();
    let debug = format!("{c:?}");
    assert!(debug.starts_with("Connection {"), "{debug}");
    assert!(debug.contains("role: Client"), "{debug}");
    assert!(debug.contains("buffered_in: 0"), "{debug}");
    // "hi" from a client: 2 header bytes, 4 mask bytes, 2 payload bytes.
    assert!(debug.contains("buffered_out: 8"), "{debug}");
}

#[test]
fn deflate_debug_shows_params_level_and_memory() {
    let d = PerMessageDeflate::new(
        Role::Server,
        &DeflateParams::default(),
        &DeflateConfig::default(),
    );
    let debug = format!("{d:?}");
    assert!(debug.starts_with("PerMessageDeflate {"), "{debug}");
    for field in ["params:", "level:", "min_size:", "memory_usage:"] {
        assert!(debug.contains(field), "{field} in {debug}");
    }
    assert!(
        debug.contains(&format!("memory_usage: {}", d.memory_usage())),
        "{debug}"
    );
}

#[test]
fn negotiation_error_messages() {
    let cases = [
        (
            NegotiationError::NotOffered,
            "permessage-deflate: answered though not offered",
        ),
        (
            NegotiationError::UnknownParameter("x".to_owned()),
            "permessage-deflate: unknown parameter \"x\"",
        ),
        (
            NegotiationError::DuplicateParameter("client_max_window_bits"),
            "permessage-deflate: duplicate parameter client_max_window_bits",
        ),
        (
            NegotiationError::UnexpectedValue("server_no_context_takeover"),
            "permessage-deflate: server_no_context_takeover takes no value",
        ),
        (
            NegotiationError::MissingValue("server_max_window_bits"),
            "permessage-deflate: server_max_window_bits needs a value",
        ),
        (
            NegotiationError::InvalidWindowBits("16".to_owned()),
            "permessage-deflate: window bits \"16\" not in 8..=15",
        ),
        (
            NegotiationError::ContextTakeoverNotGranted,
            "permessage-deflate: server_no_context_takeover was requested",
        ),
        (
            NegotiationError::WindowNotGranted {
                asked: 10,
                answered: Some(12),
            },
            "permessage-deflate: server_max_window_bits=12 above the 10 requested",
        ),
        (
            NegotiationError::WindowNotGranted {
                asked: 10,
                answered: None,
            },
            "permessage-deflate: server_max_window_bits=10 was requested",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
        let _: &dyn std::error::Error = &error;
    }
}

#[test]
fn bytes_after_a_final_deflate_block_are_ignored_until_the_message_ends() {
    use bytes::BytesMut;
    use ws_frame::Extension;
    let mut d = PerMessageDeflate::new(
        Role::Client,
        &DeflateParams::default(),
        &DeflateConfig::default(),
    );
    // A stored block with BFINAL set (RFC 1951 §3.2.4): 01, LEN 5, NLEN, "hello".
    let first = b"\x01\x05\x00\xfa\xffhello";
    let mut out = BytesMut::new();
    d.decode_frame(ws_frame::bits::RSV1, first, false, &mut out, 1 << 20)
        .unwrap();
    d.decode_frame(0, b"not deflate at all", false, &mut out, 1 << 20)
        .unwrap();
    d.decode_frame(0, b"\xff\xff", true, &mut out, 1 << 20)
        .unwrap();
    assert_eq!(&out[..], b"hello");
    // The stream was reset: the next message inflates afresh.
    let mut next = BytesMut::new();
    d.decode_frame(
        ws_frame::bits::RSV1,
        b"\x01\x02\x00\xfd\xffok",
        true,
        &mut next,
        1 << 20,
    )
    .unwrap();
    assert_eq!(&next[..], b"ok");
}
