#![cfg_attr(fuzzing, no_main)]
//! A `Connection` fed arbitrary bytes: byte 0 picks the role, the streaming
//! mode and the read size. Never panics; errors map to 1002/1007/1009 (or
//! 1006 at EOF); the replies stay bounded by the input.
use ws_frame::{Config, Connection, Error, Role};

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

pub(crate) fn check(data: &[u8]) {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let role = if first & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let mut config = Config::default();
    (
        config.max_frame_size,
        config.max_message_size,
        config.stream_messages,
    ) = (1 << 16, 1 << 17, first & 2 != 0);
    let mut conn = Connection::new(role, config).with_mask_source(|| [1, 2, 3, 4]);
    for piece in input.chunks(usize::from(first >> 2).max(1)) {
        conn.receive(piece);
        while let Some(event) = conn.poll_event().transpose() {
            event.map_or_else(
                |e| assert!(matches!(e.close_code().0, 1002 | 1007 | 1009), "{e}"),
                drop,
            );
        }
        assert!(conn.transmit_len() <= 3 * data.len() + 8, "{conn:?}");
    }
    conn.receive_eof();
    assert!(matches!(
        conn.poll_event(),
        Ok(None) | Err(Error::UnexpectedEof)
    ));
}
