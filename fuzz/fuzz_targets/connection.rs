#![cfg_attr(fuzzing, no_main)]
//! A `Connection` fed bytes (byte 0: role, streaming, read size) never panics,
//! fails only with 1002/1007/1009 (1006 at EOF), and keeps its replies bounded.
use ws_frame::{Config, Connection, Error, Role};
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

pub(crate) fn check(data: &[u8]) {
    let (&first, input) = data.split_first().unwrap_or((&0, &[]));
    let role = [Role::Server, Role::Client][usize::from(first & 1)];
    let mut config = Config::default();
    (config.stream_messages, config.max_frame_size) = (first & 2 != 0, 1 << 16);
    let allowed = |e: Error| matches!(e.close_code().0, 1002 | 1007 | 1009);
    let mut conn = Connection::new(role, config).with_mask_source(|| [1, 2, 3, 4]);
    for piece in input.chunks(usize::from(first >> 2).max(1)) {
        conn.receive(piece);
        while let Some(r) = conn.poll_event().transpose() {
            assert!(r.err().is_none_or(allowed));
        }
        assert!(conn.transmit_len() <= 3 * data.len() + 8, "{conn:?}");
    }
    conn.receive_eof();
    let end = conn.poll_event();
    assert!(matches!(end, Ok(None) | Err(Error::UnexpectedEof)));
}
