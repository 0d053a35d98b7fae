//! Replays the fuzz seeds in `fuzz/corpus/<target>/` through the parsers
//! with the invariants the fuzz targets assert, so `cargo test` runs them.

use std::fs;
use std::path::PathBuf;

use ws_handshake::{
    ClientRequest, Error, Limits, Request, Url, format_extensions, parse_extensions,
    parse_protocols,
};

/// Every seed of one fuzz target; fails if there are none.
fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable corpus entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = fs::read(&path).expect("readable seed");
            (path, bytes)
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

const LIMITS: Limits = Limits {
    max_header_bytes: 4096,
    max_headers: 32,
};

#[test]
fn request_parser_seeds() {
    let mut upgrades = 0;
    for (path, data) in seeds("request_parser") {
        let full = Request::parse(&data, &LIMITS);
        if let Ok(Some((request, consumed))) = &full {
            assert!(*consumed <= data.len(), "{}", path.display());
            assert_eq!(Request::parse(&data[..*consumed], &LIMITS), full);
            assert_eq!(Request::parse(&data[..*consumed - 1], &LIMITS), Ok(None));
            upgrades += usize::from(request.validate().is_ok());
        }
    }
    assert!(upgrades >= 2, "the valid seeds validate");
}

#[test]
fn response_parser_seeds() {
    let url = Url::parse("ws://example.com/chat").expect("valid URL");
    let client = ClientRequest::new(&url)
        .with_key(*b"the sample nonce")
        .protocol("chat")
        .extension("x");
    let mut accepted = 0;
    for (path, data) in seeds("response_parser") {
        match client.parse_response(&data, &LIMITS) {
            Ok(Some((response, consumed))) => {
                assert!(consumed <= data.len() && response.status() == 101);
                assert!(response.protocol().is_none_or(|p| p == "chat"));
                assert!(response.extensions().iter().all(|e| e.name == "x"));
                assert_eq!(
                    client.parse_response(&data[..consumed - 1], &LIMITS),
                    Ok(None)
                );
                accepted += 1;
            }
            Err(Error::Status { status, body, .. }) => {
                assert!(
                    status != 101 && body.len() < data.len(),
                    "{}",
                    path.display()
                );
            }
            _ => {}
        }
    }
    assert!(accepted >= 2, "the valid seeds are accepted");
}

#[test]
fn extension_header_seeds() {
    let mut parsed = 0;
    for (path, data) in seeds("extension_header") {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(offers) = parse_extensions(text) {
            assert!(!offers.is_empty(), "{}", path.display());
            assert_eq!(parse_extensions(&format_extensions(&offers)), Ok(offers));
            parsed += 1;
        }
        if let Ok(protocols) = parse_protocols(text) {
            assert_eq!(parse_protocols(&protocols.join(", ")), Ok(protocols));
        }
    }
    assert!(parsed >= 4, "the valid seeds parse");
}
