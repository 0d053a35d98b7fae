#![no_main]
//! Server answers: never panic; an accepted head lies within the input, is a
//! 101 selecting only what was offered, and a shorter prefix needs more bytes.
use libfuzzer_sys::fuzz_target;
use ws_handshake::{ClientRequest, Error, Limits, Url};

fuzz_target!(|data: &[u8]| {
    let Ok(url) = Url::parse("ws://example.com/chat") else { return };
    let client = ClientRequest::new(&url).with_key(*b"the sample nonce").protocol("chat").extension("x");
    let limits = Limits { max_header_bytes: 4096, max_headers: 32 };
    match client.parse_response(data, &limits) {
        Ok(Some((response, consumed))) => {
            assert!(consumed <= data.len() && response.status() == 101);
            assert!(response.protocol().is_none_or(|p| p == "chat"));
            assert!(response.extensions().iter().all(|e| e.name == "x"));
            assert_eq!(client.parse_response(&data[..consumed - 1], &limits), Ok(None));
        }
        Err(Error::Status { status, body, .. }) => assert!(status != 101 && body.len() < data.len()),
        _ => {}
    }
});
