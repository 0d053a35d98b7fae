#![cfg_attr(fuzzing, no_main)]
//! `Header::parse`: errors are 1002; a header lies within the input and 14
//! bytes; every shorter prefix needs more; a minimally encoded header encodes
//! back to exactly its bytes. (`crates/frame/tests/fuzz_corpus.rs` replays
//! the seeds through `check`.)
use ws_frame::Header;

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

pub(crate) fn check(data: &[u8]) {
    let (header, n) = match Header::parse(data) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return assert!(data.len() < Header::MAX_LEN),
        Err(e) => return assert_eq!(e.close_code().0, 1002, "{e}"),
    };
    assert!(n <= data.len() && n <= Header::MAX_LEN);
    assert!((0..n).all(|cut| Header::parse(&data[..cut]) == Ok(None)));
    let mut buf = [0; Header::MAX_LEN];
    let m = header.encode(&mut buf);
    assert!(m == header.encoded_len() && m <= n);
    if m == n {
        assert_eq!(buf[..m], data[..n]);
    }
}
