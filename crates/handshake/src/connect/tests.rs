use super::*;
use crate::connect_client::ClientConnect;
use crate::url::Url;

/// The request of RFC 8441 §5.1's example.
fn sample() -> ConnectRequest {
    ConnectRequest {
        method: "CONNECT".to_owned(),
        protocol: Some("websocket".to_owned()),
        scheme: Some("https".to_owned()),
        authority: Some("server.example.com".to_owned()),
        path: Some("/chat".to_owned()),
        headers: vec![
            Header::new("sec-websocket-protocol", "chat, superchat"),
            Header::new("sec-websocket-extensions", "permessage-deflate"),
            Header::new("sec-websocket-version", "13"),
            Header::new("origin", "http://www.example.com"),
        ],
    }
}

fn with_header(name: &str, value: &str) -> ConnectRequest {
    let mut request = sample();
    request.headers.push(Header::new(name, value));
    request
}

fn without_header(name: &str) -> ConnectRequest {
    let mut request = sample();
    request.headers.retain(|h| !h.is(name));
    request
}

#[test]
fn the_rfc_8441_example_is_accepted() {
    let request = sample();
    assert!(request.is_websocket());
    assert_eq!(request.path(), "/chat");
    let upgrade = request.validate().expect("valid");
    assert!(upgrade.secure);
    assert_eq!(upgrade.authority, "server.example.com");
    assert_eq!(upgrade.path, "/chat");
    assert_eq!(upgrade.origin.as_deref(), Some("http://www.example.com"));
    assert_eq!(upgrade.protocols, ["chat", "superchat"]);
    assert_eq!(
        upgrade.extensions,
        [ExtensionOffer::new("permessage-deflate")]
    );
}

#[test]
fn the_method_must_be_connect() {
    let mut request = sample();
    request.method = "GET".to_owned();
    assert!(!request.is_websocket());
    assert_eq!(request.validate(), Err(Error::NotConnect));
    assert_eq!(Error::NotConnect.status(), 400);
}

#[test]
fn the_protocol_pseudo_header_must_be_websocket() {
    // RFC 8441 §5: ":protocol [...] MUST be included [...] MUST have a value
    // of "websocket"".
    for protocol in [None, Some(""), Some("h2c"), Some("websockets")] {
        let mut request = sample();
        request.protocol = protocol.map(str::to_owned);
        assert!(!request.is_websocket(), "{protocol:?}");
        assert_eq!(request.validate(), Err(Error::NotWebSocketProtocol));
    }
    let mut request = sample();
    request.protocol = Some("WebSocket".to_owned());
    assert!(
        request.validate().is_ok(),
        "tokens compare case-insensitively"
    );
}

#[test]
fn scheme_path_and_authority_must_be_present() {
    // RFC 8441 §4: ":scheme and :path [...] MUST also be included"; §5:
    // :authority carries the Host.
    type Field = fn(&mut ConnectRequest) -> &mut Option<String>;
    let fields: [(Field, &str); 3] = [
        (|r| &mut r.scheme, ":scheme"),
        (|r| &mut r.path, ":path"),
        (|r| &mut r.authority, ":authority"),
    ];
    for (field, name) in fields {
        for missing in [None, Some(String::new())] {
            let mut request = sample();
            *field(&mut request) = missing;
            let error = request.validate().expect_err(name);
            assert_eq!(error, Error::MissingPseudoHeader(name));
            assert_eq!(error.status(), 400);
            assert_eq!(error.to_string(), format!("missing {name} pseudo-header"));
        }
    }
}

#[test]
fn the_scheme_is_http_for_ws_and_https_for_wss() {
    let mut request = sample();
    request.scheme = Some("http".to_owned());
    assert!(!request.validate().expect("valid").secure);
    for bad in ["ws", "wss", "HTTPS", "ftp"] {
        request.scheme = Some(bad.to_owned());
        assert_eq!(request.validate(), Err(Error::BadScheme), "{bad}");
    }
}

#[test]
fn the_path_is_a_resource_name_without_fragment() {
    for bad in ["chat", "*", "/chat#top"] {
        let mut request = sample();
        request.path = Some(bad.to_owned());
        assert_eq!(request.validate(), Err(Error::BadRequestTarget), "{bad}");
    }
    let mut request = sample();
    request.path = Some("/chat?room=1".to_owned());
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.validate().expect("valid").path, "/chat?room=1");
}

#[test]
fn connection_and_upgrade_must_not_be_included() {
    // RFC 8441 §5: "They MUST NOT be included in the CONNECT request".
    for (name, value) in [
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("keep-alive", "5"),
        ("proxy-connection", "keep-alive"),
        ("transfer-encoding", "chunked"),
    ] {
        let error = with_header(name, value).validate().expect_err(name);
        assert!(
            matches!(error, Error::ConnectionSpecificHeader(n) if n.eq_ignore_ascii_case(name)),
            "{name}: {error:?}"
        );
        assert_eq!(error.status(), 400);
    }
}

#[test]
fn uppercase_header_names_are_malformed() {
    let error = with_header("X-Token", "1")
        .validate()
        .expect_err("uppercase");
    assert!(matches!(error, Error::Malformed(_)), "{error:?}");
}

#[test]
fn version_13_is_required_and_answered_with_426() {
    for request in [
        without_header("sec-websocket-version"),
        with_header("sec-websocket-version", "13"),
        {
            let mut r = without_header("sec-websocket-version");
            r.headers.push(Header::new("sec-websocket-version", "8"));
            r
        },
    ] {
        let error = request.validate().expect_err("version");
        assert_eq!(error, Error::UnsupportedWebSocketVersion);
        assert_eq!(error.status(), 426);
        assert!(
            error
                .response_headers()
                .contains(&("Sec-WebSocket-Version", "13"))
        );
    }
}

#[test]
fn key_and_accept_are_not_processed() {
    // RFC 8441 §5: implementations "do not do the processing of the
    // Sec-WebSocket-Key and Sec-WebSocket-Accept header fields".
    let request = with_header("sec-websocket-key", "not base64 at all");
    assert!(request.validate().is_ok());
}

#[test]
fn subprotocols_and_extensions_follow_rfc_6455_grammar() {
    let bad_protocol = with_header("sec-websocket-protocol", "a b");
    assert!(matches!(
        bad_protocol.validate(),
        Err(Error::InvalidProtocol(_))
    ));
    let bad_extension = with_header("sec-websocket-extensions", "x; =1");
    assert!(matches!(
        bad_extension.validate(),
        Err(Error::InvalidExtension(_))
    ));
    // Several lines form one list, as over HTTP/1.1.
    let more = with_header("sec-websocket-protocol", "v3");
    assert_eq!(
        more.validate().expect("valid").protocols,
        ["chat", "superchat", "v3"]
    );
}

#[test]
fn the_answer_has_the_negotiation_and_nothing_of_http_1_1() {
    let extra = [
        ("Set-Cookie".to_owned(), "a=1".to_owned()),
        ("Connection".to_owned(), "Upgrade".to_owned()),
        ("Upgrade".to_owned(), "websocket".to_owned()),
        ("bad name".to_owned(), "x".to_owned()),
        ("x-split".to_owned(), "a\r\nb".to_owned()),
    ];
    let headers = connect_response(Some("chat"), Some("permessage-deflate"), &extra);
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("sec-websocket-protocol", "chat"),
            ("sec-websocket-extensions", "permessage-deflate"),
            ("set-cookie", "a=1"),
        ]
    );
    assert!(connect_response(None, None, &[]).is_empty());
}

#[test]
fn the_client_request_passes_the_server_checks() {
    let url = Url::parse("ws://example.com:8080/chat?room=1").expect("url");
    let client = ClientConnect::new(&url)
        .origin("http://example.com")
        .protocol("chat")
        .extension("permessage-deflate")
        .header("Authorization", "Bearer x")
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Host", "elsewhere")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    let request = client.request();
    assert_eq!(request.scheme.as_deref(), Some("http"));
    assert_eq!(request.authority.as_deref(), Some("example.com:8080"));
    assert_eq!(request.path.as_deref(), Some("/chat?room=1"));
    assert_eq!(request.header("authorization"), Some("Bearer x"));
    for dropped in ["connection", "upgrade", "host", "sec-websocket-key"] {
        assert_eq!(request.header(dropped), None, "{dropped}");
    }
    let upgrade = request.validate().expect("the server accepts it");
    assert!(!upgrade.secure);
    assert_eq!(upgrade.protocols, ["chat"]);
    assert_eq!(upgrade.origin.as_deref(), Some("http://example.com"));
}

fn client() -> ClientConnect {
    let url = Url::parse("wss://example.com/chat").expect("url");
    ClientConnect::new(&url)
        .protocol("chat")
        .extension("permessage-deflate")
}

fn answer(lines: &[(&str, &str)]) -> Vec<Header> {
    lines.iter().map(|(n, v)| Header::new(n, v)).collect()
}

#[test]
fn the_client_accepts_a_2xx_with_what_it_offered() {
    let headers = answer(&[
        ("sec-websocket-protocol", "chat"),
        (
            "sec-websocket-extensions",
            "permessage-deflate; server_no_context_takeover",
        ),
    ]);
    let response = client().check_response(200, &headers).expect("accepted");
    assert_eq!(response.status(), 200);
    assert_eq!(response.protocol(), Some("chat"));
    assert_eq!(response.extensions()[0].name, "permessage-deflate");
    // No Sec-WebSocket-Accept is needed, and a stray one is ignored.
    let stray = answer(&[("sec-websocket-accept", "nonsense")]);
    assert!(client().check_response(200, &stray).is_ok());
}

#[test]
fn the_client_refuses_other_statuses_and_unoffered_choices() {
    let refused = client().check_response(403, &answer(&[("x-why", "origin")]));
    let Err(Error::Status {
        status, headers, ..
    }) = refused
    else {
        panic!("expected Status, got {refused:?}");
    };
    assert_eq!(status, 403);
    assert_eq!(head::find(&headers, "x-why"), Some("origin"));
    assert!(client().check_response(101, &[]).is_err());

    let cases = [
        (
            vec![("sec-websocket-protocol", "other")],
            Error::UnexpectedProtocol,
        ),
        (
            vec![("sec-websocket-protocol", "chat, v2")],
            Error::UnexpectedProtocol,
        ),
        (
            vec![
                ("sec-websocket-protocol", "chat"),
                ("sec-websocket-protocol", "chat"),
            ],
            Error::DuplicateHeader("Sec-WebSocket-Protocol"),
        ),
        (
            vec![("sec-websocket-extensions", "x-other")],
            Error::UnexpectedExtension,
        ),
    ];
    for (lines, expected) in cases {
        assert_eq!(
            client().check_response(200, &answer(&lines)).err(),
            Some(expected),
            "{lines:?}"
        );
    }
}
