use super::*;
use crate::header::parse_extensions;

/// The RFC 6455 §1.2 sample handshake.
const SAMPLE: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\
\r\n";

fn limits() -> Limits {
    Limits::default()
}

fn parse(bytes: &[u8]) -> Request {
    let (request, consumed) = Request::parse(bytes, &limits())
        .expect("parses")
        .expect("complete");
    assert_eq!(consumed, bytes.len());
    request
}

/// The sample request with header lines replaced (`Some`) or removed
/// (`None`), and extra lines appended.
fn request_with(start: &str, changes: &[(&str, Option<&str>)], extra: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{start}\r\n");
    let text = core::str::from_utf8(SAMPLE).unwrap_or_default();
    for line in text.split("\r\n").skip(1).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(": ").unwrap_or((line, ""));
        match changes.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, Some(v))) => out.push_str(&format!("{name}: {v}\r\n")),
            Some((_, None)) => {}
            None => out.push_str(&format!("{name}: {value}\r\n")),
        }
    }
    for (name, value) in extra {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn validate(bytes: &[u8]) -> Result<Upgrade, Error> {
    parse(bytes).validate()
}

fn changed(changes: &[(&str, Option<&str>)]) -> Result<Upgrade, Error> {
    validate(&request_with("GET /chat HTTP/1.1", changes, &[]))
}

#[test]
fn sample_request_is_valid() {
    let request = parse(SAMPLE);
    assert_eq!(request.method(), "GET");
    assert_eq!(request.target(), "/chat");
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.query(), None);
    assert_eq!(request.version(), 1);
    assert_eq!(request.header("HOST"), Some("server.example.com"));
    assert_eq!(request.headers().len(), 7);
    assert!(request.is_upgrade());
    let upgrade = request.validate().unwrap();
    assert_eq!(
        upgrade,
        Upgrade {
            key: "dGhlIHNhbXBsZSBub25jZQ==".into(),
            host: "server.example.com".into(),
            origin: Some("http://example.com".into()),
            protocols: vec!["chat".into(), "superchat".into()],
            extensions: vec![],
        }
    );
    assert_eq!(upgrade.accept_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

#[test]
fn rfc6455_4_2_2_accept_response_matches_rfc_sample() {
    let upgrade = validate(SAMPLE).unwrap();
    let response = accept_response(&upgrade, Some("chat"), None, &[]);
    assert_eq!(
        response,
        b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\
\r\n"
    );
    let response = accept_response(
        &upgrade,
        None,
        Some("permessage-deflate"),
        &[
            ("Set-Cookie".into(), "a=b".into()),
            ("Bad\r\n".into(), "x".into()),
        ],
    );
    let text = String::from_utf8(response).unwrap();
    assert!(!text.contains("Sec-WebSocket-Protocol"));
    assert!(text.contains("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"));
    assert!(text.ends_with("\r\nSet-Cookie: a=b\r\n\r\n"));
}

#[test]
fn target_path_and_query() {
    let request = parse(b"GET /chat/room?name=a%20b&x HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(request.target(), "/chat/room?name=a%20b&x");
    assert_eq!(request.path(), "/chat/room");
    assert_eq!(request.query(), Some("name=a%20b&x"));
    assert!(!request.is_upgrade());
    let request = parse(b"GET http://h:1/p?q HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!((request.path(), request.query()), ("/p", Some("q")));
    let request = parse(b"GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!((request.path(), request.query()), ("/", None));
}

#[test]
fn absolute_form_target_is_accepted() {
    let bytes = request_with("GET http://server.example.com/chat HTTP/1.1", &[], &[]);
    assert!(validate(&bytes).is_ok());
}

#[test]
fn plain_http_is_not_an_upgrade() {
    let request = parse(b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n");
    assert!(!request.is_upgrade());
    assert_eq!(request.validate(), Err(Error::NotUpgrade));
}

// ---- RFC 6455 §4.2.1: each failure and its status ----

#[test]
fn post_is_rejected_with_400() {
    let e = validate(&request_with("POST /chat HTTP/1.1", &[], &[])).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::BadMethod, 400));
    // Methods are case-sensitive.
    let e = validate(&request_with("get /chat HTTP/1.1", &[], &[])).unwrap_err();
    assert_eq!(e, Error::BadMethod);
}

#[test]
fn http_1_0_is_rejected_with_400() {
    let e = validate(&request_with("GET /chat HTTP/1.0", &[], &[])).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::BadVersion, 400));
}

#[test]
fn bad_targets_are_rejected_with_400() {
    for start in [
        "GET * HTTP/1.1",
        "GET chat HTTP/1.1",
        "GET ftp://h/x HTTP/1.1",
    ] {
        let e = validate(&request_with(start, &[], &[])).unwrap_err();
        assert_eq!(
            (e.clone(), e.status()),
            (Error::BadRequestTarget, 400),
            "{start}"
        );
    }
}

#[test]
fn missing_or_duplicate_host_is_400() {
    let e = changed(&[("Host", None)]).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::MissingHost, 400));
    assert_eq!(changed(&[("Host", Some(""))]), Err(Error::MissingHost));
    let twice = request_with("GET /chat HTTP/1.1", &[], &[("host", "other")]);
    assert_eq!(validate(&twice), Err(Error::DuplicateHeader("Host")));
}

#[test]
fn upgrade_header_is_checked_case_insensitively() {
    assert!(changed(&[("Upgrade", Some("WebSocket"))]).is_ok());
    assert!(changed(&[("Upgrade", Some("h2c, WEBSOCKET"))]).is_ok());
    for bad in [None, Some("websockets"), Some("h2c"), Some("")] {
        let e = changed(&[("Upgrade", bad)]).unwrap_err();
        assert_eq!((e.clone(), e.status()), (Error::NotUpgrade, 400), "{bad:?}");
    }
}

#[test]
fn connection_is_a_token_list() {
    assert!(changed(&[("Connection", Some("keep-alive, Upgrade"))]).is_ok());
    assert!(changed(&[("Connection", Some("upgrade"))]).is_ok());
    assert!(changed(&[("Connection", Some("keep-alive,UPGRADE , close"))]).is_ok());
    let split = request_with(
        "GET /chat HTTP/1.1",
        &[("Connection", Some("keep-alive"))],
        &[("Connection", "Upgrade")],
    );
    assert!(validate(&split).is_ok());
    for bad in [
        None,
        Some("keep-alive"),
        Some("Upgrade-Insecure"),
        Some("keep-alive Upgrade"),
    ] {
        let e = changed(&[("Connection", bad)]).unwrap_err();
        assert_eq!(
            (e.clone(), e.status()),
            (Error::MissingConnectionUpgrade, 400),
            "{bad:?}"
        );
    }
}

#[test]
fn websocket_version_other_than_13_is_426_with_version_header() {
    for bad in [None, Some("8"), Some("25"), Some("13, 8"), Some("")] {
        let e = changed(&[("Sec-WebSocket-Version", bad)]).unwrap_err();
        assert_eq!(
            (e.clone(), e.status()),
            (Error::UnsupportedWebSocketVersion, 426)
        );
        let response = String::from_utf8(e.to_response()).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
            "{response}"
        );
        assert!(
            response.contains("\r\nSec-WebSocket-Version: 13\r\n"),
            "{response}"
        );
    }
    let twice = request_with(
        "GET /chat HTTP/1.1",
        &[],
        &[("Sec-WebSocket-Version", "13")],
    );
    assert_eq!(validate(&twice), Err(Error::UnsupportedWebSocketVersion));
}

#[test]
fn key_must_decode_to_16_bytes() {
    let e = changed(&[("Sec-WebSocket-Key", None)]).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::MissingKey, 400));
    for bad in [
        "",
        "AQIDBAUGBwgJCgsMDQ4P",             // 15 bytes
        "AQIDBAUGBwgJCgsMDQ4PEBE=",         // 17 bytes
        "AQIDBAUGBwgJCgsMDQ4PEA",           // 16 bytes, no padding
        "AQIDBAUGBwgJCgsMDQ4P!A==",         // not base64
        "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNh", // too long
    ] {
        let e = changed(&[("Sec-WebSocket-Key", Some(bad))]).unwrap_err();
        assert_eq!((e.clone(), e.status()), (Error::InvalidKey, 400), "{bad:?}");
    }
    // The RFC's own §4.1 example has non-zero trailing bits; it is accepted.
    assert!(changed(&[("Sec-WebSocket-Key", Some("AQIDBAUGBwgJCgsMDQ4PEC=="))]).is_ok());
}

#[test]
fn duplicate_key_is_rejected() {
    let twice = request_with(
        "GET /chat HTTP/1.1",
        &[],
        &[("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")],
    );
    let e = validate(&twice).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::DuplicateKey, 400));
}

#[test]
fn protocols_and_extensions_are_combined_across_lines() {
    let bytes = request_with(
        "GET /chat HTTP/1.1",
        &[("Sec-WebSocket-Protocol", Some("a"))],
        &[
            ("Sec-WebSocket-Protocol", "b, c"),
            ("Sec-WebSocket-Extensions", "foo"),
            ("sec-websocket-extensions", "bar; baz=2"),
        ],
    );
    let upgrade = validate(&bytes).unwrap();
    assert_eq!(upgrade.protocols, ["a", "b", "c"]);
    assert_eq!(
        upgrade.extensions,
        parse_extensions("foo, bar; baz=2").unwrap()
    );
}

#[test]
fn bad_protocol_or_extension_header_is_400() {
    let e = changed(&[("Sec-WebSocket-Protocol", Some("a b"))]).unwrap_err();
    assert!(matches!(e, Error::InvalidProtocol(_)));
    assert_eq!(e.status(), 400);
    let bytes = request_with(
        "GET /chat HTTP/1.1",
        &[],
        &[("Sec-WebSocket-Extensions", "x; y=\"a b\"")],
    );
    let e = validate(&bytes).unwrap_err();
    assert!(matches!(e, Error::InvalidExtension(_)));
    assert_eq!(e.status(), 400);
}

#[test]
fn rejection_responses_carry_status_and_reason() {
    let response = String::from_utf8(Error::MissingHost.to_response()).unwrap();
    assert!(response.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    assert!(response.contains("\r\nConnection: close\r\n"));
    assert!(response.ends_with("\r\n\r\nmissing Host header\n"));
    let response = String::from_utf8(Error::HeadersTooLarge.to_response()).unwrap();
    assert!(response.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
}

// ---- incremental parsing and limits ----

#[test]
fn every_prefix_needs_more_bytes() {
    for end in 0..SAMPLE.len() {
        assert_eq!(
            Request::parse(&SAMPLE[..end], &limits()),
            Ok(None),
            "prefix {end}"
        );
    }
}

#[test]
fn byte_by_byte_feeding_completes_once() {
    let mut buf = Vec::new();
    let mut done = None;
    for (i, &b) in SAMPLE.iter().enumerate() {
        buf.push(b);
        if let Some(result) = Request::parse(&buf, &limits()).unwrap() {
            assert_eq!(i, SAMPLE.len() - 1);
            done = Some(result);
        }
    }
    let (request, consumed) = done.expect("complete");
    assert_eq!(consumed, SAMPLE.len());
    assert_eq!(request, parse(SAMPLE));
}

#[test]
fn consumed_excludes_trailing_frame_bytes() {
    let mut bytes = SAMPLE.to_vec();
    let frame = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    bytes.extend_from_slice(frame);
    let (_, consumed) = Request::parse(&bytes, &limits()).unwrap().unwrap();
    assert_eq!(consumed, SAMPLE.len());
    assert_eq!(&bytes[consumed..], frame);
}

#[test]
fn header_block_over_limit_is_431() {
    let small = Limits {
        max_header_bytes: SAMPLE.len(),
        max_headers: 100,
    };
    assert!(Request::parse(SAMPLE, &small).unwrap().is_some());
    let smaller = Limits {
        max_header_bytes: SAMPLE.len() - 1,
        ..small
    };
    // Complete but too large, and incomplete beyond the limit: both 431.
    assert_eq!(
        Request::parse(SAMPLE, &smaller),
        Err(Error::HeadersTooLarge)
    );
    assert_eq!(
        Request::parse(&SAMPLE[..SAMPLE.len() - 1], &smaller),
        Err(Error::HeadersTooLarge)
    );
    assert_eq!(
        Request::parse(&SAMPLE[..SAMPLE.len() - 2], &smaller),
        Ok(None)
    );
    // The default: a 17 KiB header that never ends.
    let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
    huge.resize(17 * 1024, b'a');
    let e = Request::parse(&huge, &limits()).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::HeadersTooLarge, 431));
}

#[test]
fn header_count_over_limit_is_431() {
    let mut bytes = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..100 {
        bytes.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    let mut complete = bytes.clone();
    complete.extend_from_slice(b"\r\n");
    assert!(Request::parse(&complete, &limits()).unwrap().is_some());
    bytes.extend_from_slice(b"X-100: y\r\n\r\n");
    let e = Request::parse(&bytes, &limits()).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::TooManyHeaders, 431));
}

#[test]
fn malformed_requests_are_400() {
    for bad in [
        &b"GET /chat HTTP/1.1\r\nHost server\r\n\r\n"[..],
        b"GET /chat HTTP/9.9\r\n\r\n",
        b"GET  HTTP/1.1\r\n\r\n",
        b"\x00\x01\x02\x03\r\n\r\n",
        b"GET /chat HTTP/1.1\r\nBad Name: x\r\n\r\n",
    ] {
        let e = Request::parse(bad, &limits()).unwrap_err();
        assert!(matches!(e, Error::Malformed(_)), "{bad:?}: {e:?}");
        assert_eq!(e.status(), 400);
    }
}

#[test]
fn a_request_parsed_elsewhere_is_validated_the_same_way() {
    let parsed = parse(SAMPLE);
    let built = Request::new("GET", "/chat", 1, parsed.headers().to_vec());
    assert_eq!(built, parsed);
    assert_eq!(built.validate(), parsed.validate());
    let old = Request::new("GET", "/chat", 0, parsed.headers().to_vec());
    assert_eq!(old.validate(), Err(Error::BadVersion));
}
