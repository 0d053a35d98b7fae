#![cfg_attr(fuzzing, no_main)]
//! Server `Connection` with permessage-deflate: no panic, only 1002/1007/1009, nothing over the limit.
use ws_frame::deflate::{DeflateConfig, DeflateParams, PerMessageDeflate};
use ws_frame::{Config, Connection, Error, Event, Role};
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
pub(crate) fn check(data: &[u8]) {
    let (&first, input) = data.split_first().unwrap_or((&0, &[]));
    let mut p = DeflateParams::default();
    (p.client_max_window_bits, p.client_no_context_takeover) =
        (Some(first % 8 + 8), first & 8 != 0);
    let mut c = Config::default();
    (c.stream_messages, c.max_frame_size, c.max_message_size) = (first & 16 != 0, 1 << 16, 1 << 16);
    let ext = PerMessageDeflate::new(Role::Server, &p, &DeflateConfig::default());
    let mut conn = Connection::new(Role::Server, c);
    conn.set_extension(Box::new(ext));
    let allowed = |e: Error| matches!(e.close_code().0, 1002 | 1007 | 1009);
    for piece in input.chunks(usize::from(first >> 5) * 37 + 1) {
        conn.receive(piece);
        while let Some(r) = conn.poll_event().transpose() {
            assert!(!matches!(&r, Ok(Event::Binary(b)) if b.len() > 1 << 16));
            assert!(r.err().is_none_or(allowed));
        }
    }
}
