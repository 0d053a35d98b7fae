//! Property tests: incremental parsing does not depend on how the bytes
//! arrive, no input panics a parser, and the extension grammar round-trips.

use proptest::prelude::*;
use ws_handshake::{
    ClientRequest, ExtensionOffer, Limits, Request, Response, Url, accept_response,
    format_extensions, parse_extensions, parse_protocols,
};

const TOKEN: &str = "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}";

/// A header line that is neither one the handshake cares about nor empty.
fn extra_header() -> impl Strategy<Value = (String, String)> {
    (
        "X-[A-Za-z0-9-]{1,10}",
        "[ -~]{0,20}".prop_map(|v| v.trim().to_owned()),
    )
}

fn offer() -> impl Strategy<Value = ExtensionOffer> {
    (
        TOKEN,
        prop::collection::vec((TOKEN, prop::option::of(TOKEN)), 0..4),
    )
        .prop_map(|(name, params)| ExtensionOffer { name, params })
}

fn client_request() -> impl Strategy<Value = ClientRequest> {
    (
        any::<[u8; 16]>(),
        "/[a-z0-9/]{0,20}",
        prop::collection::vec(TOKEN, 0..3),
        prop::collection::vec(extra_header(), 0..5),
    )
        .prop_map(|(key, path, protocols, headers)| {
            let url = Url::parse(&format!("ws://example.com:9001{path}")).expect("valid URL");
            let mut request = ClientRequest::new(&url).with_key(key);
            let mut seen: Vec<String> = Vec::new();
            for p in protocols {
                if !seen.contains(&p) {
                    request = request.protocol(&p);
                    seen.push(p);
                }
            }
            for (name, value) in headers {
                request = request.header(&name, &value);
            }
            request
        })
}

/// Splits `bytes` at sorted cut points into consecutive chunks.
fn chunks(bytes: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
    cuts.iter_mut().for_each(|c| *c %= bytes.len() + 1);
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        out.push(&bytes[start..cut]);
        start = cut;
    }
    out
}

proptest! {
    #[test]
    fn request_parses_the_same_however_it_is_split(
        request in client_request(),
        trailing in prop::collection::vec(any::<u8>(), 0..16),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let limits = Limits::default();
        let head = request.encode();
        let mut bytes = head.clone();
        bytes.extend_from_slice(&trailing);
        let whole = Request::parse(&bytes, &limits).unwrap().unwrap();
        prop_assert_eq!(whole.1, head.len());
        prop_assert!(whole.0.validate().is_ok());

        let mut buf = Vec::new();
        let mut result = None;
        for chunk in chunks(&bytes, cuts) {
            buf.extend_from_slice(chunk);
            let parsed = Request::parse(&buf, &limits).unwrap();
            if buf.len() < head.len() {
                prop_assert_eq!(parsed, None);
            } else {
                result = parsed;
            }
        }
        prop_assert_eq!(result, Some(whole));
    }

    #[test]
    fn response_parses_the_same_however_it_is_split(
        request in client_request(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let limits = Limits::default();
        let (parsed, _) = Request::parse(&request.encode(), &limits).unwrap().unwrap();
        let upgrade = parsed.validate().unwrap();
        let protocol = upgrade.protocols.last().map(String::as_str);
        let mut bytes = accept_response(&upgrade, protocol, None, &[]);
        let head_len = bytes.len();
        bytes.extend_from_slice(b"\x81\x00");
        let whole = request.parse_response(&bytes, &limits).unwrap().unwrap();
        prop_assert_eq!(whole.1, head_len);
        prop_assert_eq!(whole.0.protocol(), protocol);

        let mut buf = Vec::new();
        let mut result = None;
        for chunk in chunks(&bytes, cuts) {
            buf.extend_from_slice(chunk);
            let parsed = request.parse_response(&buf, &limits).unwrap();
            if buf.len() < head_len {
                prop_assert_eq!(parsed, None);
            } else {
                result = parsed;
            }
        }
        prop_assert_eq!(result, Some(whole));
    }

    #[test]
    fn list_headers_split_over_lines_mean_the_same(
        protocols in prop::collection::btree_set(TOKEN, 1..5),
        offers in prop::collection::vec(offer(), 1..4),
        split in any::<prop::sample::Index>(),
    ) {
        let protocols: Vec<String> = protocols.into_iter().collect();
        let base = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
        let one_line = format!(
            "{base}Sec-WebSocket-Protocol: {}\r\nSec-WebSocket-Extensions: {}\r\n\r\n",
            protocols.join(", "),
            format_extensions(&offers),
        );
        let p = split.index(protocols.len());
        let e = split.index(offers.len());
        let mut many_lines = base.to_owned();
        for part in [&protocols[..p], &protocols[p..]].into_iter().filter(|s| !s.is_empty()) {
            many_lines.push_str(&format!("Sec-WebSocket-Protocol: {}\r\n", part.join(",")));
        }
        for part in [&offers[..e], &offers[e..]].into_iter().filter(|s| !s.is_empty()) {
            many_lines.push_str(&format!("sec-websocket-extensions: {}\r\n", format_extensions(part)));
        }
        many_lines.push_str("\r\n");
        let limits = Limits::default();
        let a = Request::parse(one_line.as_bytes(), &limits).unwrap().unwrap().0.validate().unwrap();
        let b = Request::parse(many_lines.as_bytes(), &limits).unwrap().unwrap().0.validate().unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.protocols, protocols);
        prop_assert_eq!(a.extensions, offers);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let limits = Limits { max_header_bytes: 256, max_headers: 8 };
        if let Ok(Some((request, consumed))) = Request::parse(&bytes, &limits) {
            prop_assert!(consumed <= bytes.len());
            let _ = request.validate();
            let _ = (request.path(), request.query(), request.is_upgrade());
        }
        if let Ok(Some((_, consumed))) = Response::parse(&bytes, &limits) {
            prop_assert!(consumed <= bytes.len());
        }
        let url = Url::parse("ws://h/").unwrap();
        let _ = ClientRequest::new(&url).protocol("p").extension("e").parse_response(&bytes, &limits);
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_extensions(&text);
        let _ = parse_protocols(&text);
        let _ = Url::parse(&text);
    }

    #[test]
    fn http_like_bytes_never_panic(
        lines in prop::collection::vec("[ -~\t]{0,40}", 0..10),
        status in any::<bool>(),
    ) {
        let start = if status { "HTTP/1.1 101 X" } else { "GET / HTTP/1.1" };
        let text = format!("{start}\r\n{}\r\n\r\n", lines.join("\r\n"));
        let limits = Limits::default();
        if let Ok(Some((request, _))) = Request::parse(text.as_bytes(), &limits) {
            let _ = request.validate();
        }
        let url = Url::parse("ws://h/").unwrap();
        let _ = ClientRequest::new(&url).parse_response(text.as_bytes(), &limits);
    }

    #[test]
    fn extension_text_never_panics(text in "[a-z;=\",\\\\ \t]{0,40}") {
        if let Ok(offers) = parse_extensions(&text) {
            prop_assert!(!offers.is_empty());
            // Whatever parses formats to something that parses the same.
            prop_assert_eq!(parse_extensions(&format_extensions(&offers)).unwrap(), offers);
        }
    }

    #[test]
    fn format_then_parse_round_trips(offers in prop::collection::vec(offer(), 1..5)) {
        prop_assert_eq!(parse_extensions(&format_extensions(&offers)).unwrap(), offers);
    }
}
