#![no_main]
//! Request heads: never panic; a complete head lies within the input and the
//! limit, parses the same on its own, and any shorter prefix needs more bytes.
use libfuzzer_sys::fuzz_target;
use ws_handshake::{Limits, Request};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_header_bytes: 4096, max_headers: 32 };
    let full = Request::parse(data, &limits);
    if let Ok(Some((request, consumed))) = &full {
        assert!(*consumed <= data.len() && *consumed <= limits.max_header_bytes);
        assert_eq!(Request::parse(&data[..*consumed], &limits), full);
        assert_eq!(Request::parse(&data[..*consumed - 1], &limits), Ok(None));
        if let Ok(upgrade) = request.validate() {
            assert_eq!(upgrade.key.len(), 24);
        }
        let _ = (request.path(), request.query(), request.is_upgrade());
    }
});
