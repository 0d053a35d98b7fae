//! The HTTP/2 client role (RFC 8441 §5) through the public API: what the
//! extended CONNECT request carries and how the server's answer is judged;
//! also the few error messages and parser paths the other tests leave out.

use ws_handshake::{ClientConnect, Error, ExtensionOffer, Header, Url};

fn client() -> ClientConnect {
    let url = Url::parse("ws://example.com:8080/room?x=1").unwrap();
    ClientConnect::new(&url)
}

#[test]
fn request_carries_origin_extensions_and_safe_extra_headers() {
    let c = client()
        .origin("https://example.com")
        .extension(
            ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits", None),
        )
        .header("Authorization", "Bearer t")
        .header("Connection", "keep-alive")
        .header("upgrade", "websocket")
        .header("Host", "evil.example")
        .header("Sec-WebSocket-Key", "x")
        .header("sec-websocket-version", "8")
        .header("X-Bad", "a\r\nInjected: 1")
        .header("bad name", "v");
    assert_eq!(c.extensions().len(), 1);
    assert!(c.protocols().is_empty());
    let r = c.request();
    assert_eq!(r.scheme.as_deref(), Some("http"));
    assert_eq!(r.authority.as_deref(), Some("example.com:8080"));
    assert_eq!(r.path.as_deref(), Some("/room?x=1"));
    assert_eq!(r.header("origin"), Some("https://example.com"));
    assert_eq!(
        r.header("sec-websocket-extensions"),
        Some("permessage-deflate; client_max_window_bits")
    );
    assert_eq!(r.header("authorization"), Some("Bearer t"));
    assert_eq!(r.header("sec-websocket-version"), Some("13"));
    for gone in [
        "connection",
        "upgrade",
        "host",
        "sec-websocket-key",
        "x-bad",
        "bad name",
    ] {
        assert_eq!(r.header(gone), None, "{gone}");
    }
    assert!(r.header("sec-websocket-protocol").is_none());
    // Every name is lowercase (RFC 7540 §8.1.2), and version is sent once.
    assert!(
        r.headers
            .iter()
            .all(|h| !h.name.bytes().any(|b| b.is_ascii_uppercase()))
    );
    assert_eq!(
        r.headers
            .iter()
            .filter(|h| h.is("sec-websocket-version"))
            .count(),
        1
    );
}

#[test]
fn non_2xx_answer_is_a_status_error_with_the_headers() {
    let answer = [Header::new("www-authenticate", "Basic")];
    match client().check_response(401, &answer) {
        Err(Error::Status {
            status,
            reason,
            headers,
            body,
        }) => {
            assert_eq!(status, 401);
            assert_eq!(reason, "Unauthorized");
            assert_eq!(headers, answer);
            assert!(body.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client().check_response(199, &[]),
        Err(Error::Status { status: 199, .. })
    ));
    assert!(matches!(
        client().check_response(300, &[]),
        Err(Error::Status { status: 300, .. })
    ));
}

#[test]
fn accepted_answer_exposes_status_headers_protocol_and_extensions() {
    let c = client().protocol("chat").extension("permessage-deflate");
    let answer = [
        Header::new("sec-websocket-protocol", "chat"),
        Header::new("sec-websocket-extensions", "permessage-deflate"),
        Header::new("x-served-by", " node-1 "),
    ];
    let r = c.check_response(204, &answer).unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.protocol(), Some("chat"));
    assert_eq!(r.extensions().len(), 1);
    assert_eq!(r.extensions()[0].name, "permessage-deflate");
    assert_eq!(r.header("X-Served-By"), Some("node-1"));
    assert_eq!(r.headers(), answer);
}

#[test]
fn answer_breaking_negotiation_is_refused() {
    let c = client().protocol("chat");
    let other = [Header::new("sec-websocket-protocol", "superchat")];
    assert_eq!(
        c.check_response(200, &other),
        Err(Error::UnexpectedProtocol)
    );
    let ext = [Header::new(
        "sec-websocket-extensions",
        "permessage-deflate",
    )];
    assert_eq!(c.check_response(200, &ext), Err(Error::UnexpectedExtension));
    let none = client().check_response(200, &[]).unwrap();
    assert_eq!(none.protocol(), None);
    assert!(none.extensions().is_empty());
}

#[test]
fn http1_client_lists_the_protocols_it_offers() {
    let url = Url::parse("ws://example.com/").unwrap();
    let c = ws_handshake::ClientRequest::new(&url)
        .protocol("a")
        .protocol("b");
    assert_eq!(c.protocols(), ["a", "b"]);
}

#[test]
fn http2_request_errors_say_what_is_wrong() {
    let cases = [
        (
            Error::NotConnect,
            "WebSocket over HTTP/2 requires method CONNECT",
        ),
        (
            Error::NotWebSocketProtocol,
            "WebSocket over HTTP/2 requires :protocol \"websocket\"",
        ),
        (Error::BadScheme, ":scheme must be \"http\" or \"https\""),
        (
            Error::ConnectionSpecificHeader("upgrade"),
            "upgrade header is not allowed in an HTTP/2 request",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn quoted_pair_escaping_a_non_ascii_byte_is_refused() {
    assert_eq!(
        ws_handshake::parse_extensions("x; a=\"\\é\""),
        Err(Error::InvalidExtension("invalid quoted-pair"))
    );
    let ok = ws_handshake::parse_extensions("x; a=\"\\q\"").unwrap();
    assert_eq!(ok[0].param("a"), Some(Some("q")));
}

#[test]
fn plain_request_has_only_version_and_protocols() {
    let url = Url::parse("wss://example.com/").unwrap();
    let r = ClientConnect::new(&url)
        .protocol("chat")
        .protocol("v2")
        .request();
    assert_eq!(r.scheme.as_deref(), Some("https"));
    assert_eq!(r.header("sec-websocket-protocol"), Some("chat, v2"));
    let names: Vec<&str> = r.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["sec-websocket-version", "sec-websocket-protocol"]);
}
