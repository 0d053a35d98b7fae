#![no_main]
//! Header grammars: never panic; whatever parses is non-empty and survives
//! format -> parse unchanged.
use libfuzzer_sys::fuzz_target;
use ws_handshake::{format_extensions, parse_extensions, parse_protocols};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(offers) = parse_extensions(text) {
        assert!(!offers.is_empty());
        assert_eq!(parse_extensions(&format_extensions(&offers)), Ok(offers));
    }
    if let Ok(protocols) = parse_protocols(text) {
        assert!(!protocols.is_empty());
        assert_eq!(parse_protocols(&protocols.join(", ")), Ok(protocols));
    }
});
