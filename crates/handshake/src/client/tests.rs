use super::*;
use crate::{Request, accept_response};

const SAMPLE_KEY: [u8; 16] = *b"the sample nonce";

/// The RFC 6455 §1.2 sample answer to the sample key.
const SAMPLE_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\
\r\n";

fn client() -> ClientRequest {
    let url = Url::parse("ws://server.example.com/chat").unwrap();
    ClientRequest::new(&url)
        .with_key(SAMPLE_KEY)
        .protocol("chat")
        .protocol("superchat")
        .extension(
            ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits", None),
        )
}

fn limits() -> Limits {
    Limits::default()
}

/// The sample response with header lines replaced or removed, plus extra
/// lines.
fn response_with(changes: &[(&str, Option<&str>)], extra: &[(&str, &str)]) -> Vec<u8> {
    let text = core::str::from_utf8(SAMPLE_RESPONSE).unwrap_or_default();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let mut out = format!("{}\r\n", lines.next().unwrap_or_default());
    for line in lines {
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

fn check(bytes: &[u8]) -> Result<Response, Error> {
    client()
        .parse_response(bytes, &limits())
        .map(|r| r.expect("complete").0)
}

#[test]
fn request_encoding() {
    let request = client()
        .origin("http://example.com")
        .header("Cookie", "a=b");
    assert_eq!(
        String::from_utf8(request.encode()).unwrap(),
        "GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
Cookie: a=b\r\n\
\r\n"
    );
}

#[test]
fn random_keys_are_16_bytes_and_fresh() {
    let url = Url::parse("wss://h:8443").unwrap();
    let a = ClientRequest::new(&url);
    let b = ClientRequest::new(&url);
    assert_ne!(a.key(), b.key());
    assert!(crate::key::is_valid_key(a.key()));
    assert!(
        String::from_utf8(a.encode())
            .unwrap()
            .starts_with("GET / HTTP/1.1\r\nHost: h:8443\r\n")
    );
}

#[test]
fn own_request_validates_on_the_server() {
    let request = client().encode();
    let (parsed, consumed) = Request::parse(&request, &limits()).unwrap().unwrap();
    assert_eq!(consumed, request.len());
    let upgrade = parsed.validate().unwrap();
    assert_eq!(upgrade.key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(upgrade.protocols, ["chat", "superchat"]);
    assert_eq!(upgrade.extensions, client().extensions());
    let answer = accept_response(&upgrade, Some("superchat"), Some("permessage-deflate"), &[]);
    let response = check(&answer).unwrap();
    assert_eq!(response.protocol(), Some("superchat"));
    assert_eq!(
        response.extensions(),
        [ExtensionOffer::new("permessage-deflate")]
    );
}

#[test]
fn sample_response_is_accepted() {
    let response = check(SAMPLE_RESPONSE).unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.reason(), "Switching Protocols");
    assert_eq!(response.version(), 1);
    assert_eq!(response.protocol(), Some("chat"));
    assert!(response.extensions().is_empty());
    assert_eq!(
        response.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert_eq!(response.headers().len(), 4);
}

#[test]
fn case_and_whitespace_are_tolerated() {
    let bytes = response_with(
        &[
            ("Upgrade", Some("WebSocket")),
            ("Connection", Some("keep-alive, upgrade")),
            (
                "Sec-WebSocket-Accept",
                Some("  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  "),
            ),
            ("Sec-WebSocket-Protocol", None),
        ],
        &[],
    );
    assert_eq!(check(&bytes).unwrap().protocol(), None);
}

#[test]
fn wrong_or_missing_accept_fails() {
    for bad in [
        None,
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo"),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ] {
        assert_eq!(
            check(&response_with(&[("Sec-WebSocket-Accept", bad)], &[])),
            Err(Error::InvalidAccept)
        );
    }
    let twice = response_with(
        &[],
        &[("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")],
    );
    assert_eq!(
        check(&twice),
        Err(Error::DuplicateHeader("Sec-WebSocket-Accept"))
    );
}

#[test]
fn missing_upgrade_or_connection_fails() {
    for bad in [None, Some("h2c"), Some("websocket, h2c")] {
        assert_eq!(
            check(&response_with(&[("Upgrade", bad)], &[])),
            Err(Error::NotUpgrade)
        );
    }
    for bad in [None, Some("close")] {
        assert_eq!(
            check(&response_with(&[("Connection", bad)], &[])),
            Err(Error::MissingConnectionUpgrade)
        );
    }
}

#[test]
fn unoffered_or_multiple_protocols_fail() {
    for bad in ["other", "chat, superchat"] {
        assert_eq!(
            check(&response_with(
                &[("Sec-WebSocket-Protocol", Some(bad))],
                &[]
            )),
            Err(Error::UnexpectedProtocol),
            "{bad}"
        );
    }
    assert!(matches!(
        check(&response_with(&[("Sec-WebSocket-Protocol", Some(""))], &[])),
        Err(Error::InvalidProtocol(_))
    ));
    let twice = response_with(&[], &[("Sec-WebSocket-Protocol", "chat")]);
    assert_eq!(
        check(&twice),
        Err(Error::DuplicateHeader("Sec-WebSocket-Protocol"))
    );
    // Nothing offered: any protocol is unexpected.
    let url = Url::parse("ws://server.example.com/chat").unwrap();
    let bare = ClientRequest::new(&url).with_key(SAMPLE_KEY);
    assert_eq!(
        bare.parse_response(SAMPLE_RESPONSE, &limits()),
        Err(Error::UnexpectedProtocol)
    );
}

#[test]
fn unoffered_extension_fails() {
    let ok = response_with(
        &[],
        &[(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; server_no_context_takeover",
        )],
    );
    let response = check(&ok).unwrap();
    assert_eq!(
        response.extensions()[0].param("server_no_context_takeover"),
        Some(None)
    );
    let bad = response_with(&[], &[("Sec-WebSocket-Extensions", "x-unknown")]);
    assert_eq!(check(&bad), Err(Error::UnexpectedExtension));
    let malformed = response_with(&[], &[("Sec-WebSocket-Extensions", "permessage-deflate;")]);
    assert!(matches!(check(&malformed), Err(Error::InvalidExtension(_))));
    let twice = response_with(
        &[],
        &[
            ("Sec-WebSocket-Extensions", "permessage-deflate"),
            ("Sec-WebSocket-Extensions", "permessage-deflate"),
        ],
    );
    assert_eq!(
        check(&twice),
        Err(Error::DuplicateHeader("Sec-WebSocket-Extensions"))
    );
}

#[test]
fn http_1_0_101_fails() {
    let mut bytes = SAMPLE_RESPONSE.to_vec();
    bytes[7] = b'0';
    assert_eq!(check(&bytes), Err(Error::BadVersion));
}

#[test]
fn status_401_keeps_headers_and_body() {
    let bytes = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\
Content-Length: 5\r\n\r\nnope!trailing";
    let Err(Error::Status {
        status,
        reason,
        headers,
        body,
    }) = check(bytes)
    else {
        panic!("expected Error::Status");
    };
    assert_eq!(
        (status, reason.as_str(), body.as_slice()),
        (401, "Unauthorized", &b"nope!"[..])
    );
    assert_eq!(
        head::find(&headers, "www-authenticate"),
        Some("Basic realm=\"x\"")
    );
}

#[test]
fn status_302_keeps_location() {
    let bytes = b"HTTP/1.1 302 Found\r\nLocation: ws://elsewhere/\r\n\r\npartial body";
    let e = check(bytes).unwrap_err();
    assert_eq!(e.status(), 302);
    let Error::Status { headers, body, .. } = e else {
        panic!("expected Error::Status");
    };
    assert_eq!(headers, [Header::new("Location", "ws://elsewhere/")]);
    assert_eq!(body, b"partial body");
}

#[test]
fn response_parsing_is_incremental() {
    for end in 0..SAMPLE_RESPONSE.len() {
        assert_eq!(
            client().parse_response(&SAMPLE_RESPONSE[..end], &limits()),
            Ok(None),
            "{end}"
        );
    }
    let mut bytes = SAMPLE_RESPONSE.to_vec();
    bytes.extend_from_slice(b"\x81\x05Hello");
    let (_, consumed) = client().parse_response(&bytes, &limits()).unwrap().unwrap();
    assert_eq!(&bytes[consumed..], b"\x81\x05Hello");
}

#[test]
fn response_limits() {
    let tiny = Limits {
        max_header_bytes: 32,
        max_headers: 100,
    };
    assert_eq!(
        client().parse_response(SAMPLE_RESPONSE, &tiny),
        Err(Error::HeadersTooLarge)
    );
    let few = Limits {
        max_header_bytes: 1024,
        max_headers: 3,
    };
    assert_eq!(
        client().parse_response(SAMPLE_RESPONSE, &few),
        Err(Error::TooManyHeaders)
    );
    assert!(matches!(
        Response::parse(b"HTTP/1.1 abc OK\r\n\r\n", &limits()),
        Err(Error::Malformed(_))
    ));
}
