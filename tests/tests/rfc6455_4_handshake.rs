//! RFC 6455 §4: the opening handshake, one test per requirement.
//!
//! `cargo test -p ws-conformance --test rfc6455_4_handshake -- --list` reads
//! like the MUSTs of §4.1 (client) and §4.2 (server), plus the §3 URI rules
//! and the §11.3 "at most once" rules they rely on.

use ws_handshake::{
    ClientRequest, Error, ExtensionOffer, Limits, Request, Response, Upgrade, Url, accept_key,
    accept_response,
};

/// The RFC 6455 §1.2 sample opening handshake.
const SAMPLE_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\
\r\n";

/// The RFC 6455 §1.2 sample answer.
const SAMPLE_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\
\r\n";

/// The nonce whose base64 form is the sample key.
const SAMPLE_NONCE: [u8; 16] = *b"the sample nonce";

/// `text` with the line starting `name:` replaced by `line`, or removed if
/// `line` is empty.
fn replace(text: &str, name: &str, line: &str) -> String {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut found = false;
    let mut out = String::new();
    for l in text.split_inclusive("\r\n") {
        if l.to_ascii_lowercase().starts_with(&prefix) {
            found = true;
            if !line.is_empty() {
                out.push_str(line);
                out.push_str("\r\n");
            }
        } else {
            out.push_str(l);
        }
    }
    assert!(found, "no {name} line");
    out
}

/// `text` with `line` added before the final empty line.
fn add(text: &str, line: &str) -> String {
    let head = text
        .strip_suffix("\r\n")
        .expect("head ends with an empty line");
    format!("{head}{line}\r\n\r\n")
}

fn parse_request(text: &str) -> Request {
    let (request, consumed) = Request::parse(text.as_bytes(), &Limits::default())
        .expect("well-formed")
        .expect("complete");
    assert_eq!(consumed, text.len());
    request
}

fn validate(text: &str) -> Result<Upgrade, Error> {
    parse_request(text).validate()
}

fn status_of(text: &str) -> u16 {
    validate(text).expect_err("rejected").status()
}

fn sample_client() -> ClientRequest {
    let url = Url::parse("ws://server.example.com/chat").expect("valid URL");
    ClientRequest::new(&url)
        .with_key(SAMPLE_NONCE)
        .protocol("chat")
        .protocol("superchat")
}

fn client_check(client: &ClientRequest, text: &str) -> Result<Response, Error> {
    client
        .parse_response(text.as_bytes(), &Limits::default())
        .map(|r| r.expect("complete").0)
}

// ---------------------------------------------------------------- §3, §4.1 step 1

#[test]
fn rfc6455_3_ws_default_port_is_80_and_wss_is_443() {
    assert_eq!(Url::parse("ws://h/").unwrap().port, 80);
    assert_eq!(Url::parse("wss://h/").unwrap().port, 443);
    assert!(Url::parse("wss://h/").unwrap().secure);
    assert!(!Url::parse("ws://h/").unwrap().secure);
}

#[test]
fn rfc6455_3_fragment_identifiers_must_not_be_used() {
    assert!(matches!(Url::parse("ws://h/chat#x"), Err(Error::BadUrl(_))));
}

#[test]
fn rfc6455_4_1_invalid_uri_fails_the_connection() {
    for bad in ["http://h/", "ws://", "ws://h:99999/", "ws://[::1/"] {
        assert!(matches!(Url::parse(bad), Err(Error::BadUrl(_))), "{bad}");
    }
}

// ---------------------------------------------------------------- §4.1 the request

#[test]
fn rfc6455_4_1_request_is_a_valid_http_request() {
    let bytes = sample_client().encode();
    let (request, consumed) = Request::parse(&bytes, &Limits::default()).unwrap().unwrap();
    assert_eq!(consumed, bytes.len());
    assert!(request.validate().is_ok());
}

#[test]
fn rfc6455_4_1_method_is_get_and_version_at_least_1_1() {
    let bytes = sample_client().encode();
    assert!(bytes.starts_with(b"GET /chat HTTP/1.1\r\n"));
}

#[test]
fn rfc6455_4_1_request_uri_is_the_resource_name() {
    for (url, line) in [
        ("ws://example.com", "GET / HTTP/1.1\r\n"),
        ("ws://example.com/chat", "GET /chat HTTP/1.1\r\n"),
        ("ws://example.com/a/b?c=d", "GET /a/b?c=d HTTP/1.1\r\n"),
        ("ws://example.com?q", "GET /?q HTTP/1.1\r\n"),
    ] {
        let bytes = ClientRequest::new(&Url::parse(url).unwrap()).encode();
        assert!(bytes.starts_with(line.as_bytes()), "{url}");
    }
}

#[test]
fn rfc6455_4_1_host_header_has_port_only_when_not_default() {
    for (url, host) in [
        ("ws://example.com:80/", "Host: example.com\r\n"),
        ("wss://example.com:443/", "Host: example.com\r\n"),
        ("ws://example.com:9001/", "Host: example.com:9001\r\n"),
        ("ws://[::1]:9001/x?y", "Host: [::1]:9001\r\n"),
    ] {
        let text =
            String::from_utf8(ClientRequest::new(&Url::parse(url).unwrap()).encode()).unwrap();
        assert!(text.contains(host), "{url}: {text}");
    }
}

#[test]
fn rfc6455_4_1_upgrade_header_includes_websocket() {
    let request = parse_request(&String::from_utf8(sample_client().encode()).unwrap());
    assert_eq!(request.header("Upgrade"), Some("websocket"));
}

#[test]
fn rfc6455_4_1_connection_header_includes_upgrade() {
    let request = parse_request(&String::from_utf8(sample_client().encode()).unwrap());
    assert_eq!(request.header("Connection"), Some("Upgrade"));
}

#[test]
fn rfc6455_4_1_client_key_is_16_random_bytes_base64() {
    let url = Url::parse("ws://h/").unwrap();
    let client = ClientRequest::new(&url);
    let request = parse_request(&String::from_utf8(client.encode()).unwrap());
    assert_eq!(request.header("Sec-WebSocket-Key"), Some(client.key()));
    // 16 bytes are 24 base64 characters ending in "==", and the server's
    // 16-byte check accepts it.
    assert_eq!(client.key().len(), 24);
    assert!(client.key().ends_with("=="));
    assert!(request.validate().is_ok());
    // The RFC's example nonce 0x01..=0x10.
    let nonce: [u8; 16] = core::array::from_fn(|i| u8::try_from(i + 1).unwrap());
    assert_eq!(
        ClientRequest::new(&url).with_key(nonce).key(),
        "AQIDBAUGBwgJCgsMDQ4PEA=="
    );
}

#[test]
fn rfc6455_4_1_client_key_is_fresh_for_each_connection() {
    let url = Url::parse("ws://h/").unwrap();
    let keys: std::collections::HashSet<String> = (0..64)
        .map(|_| ClientRequest::new(&url).key().to_owned())
        .collect();
    assert_eq!(keys.len(), 64);
}

#[test]
fn rfc6455_4_1_origin_is_sent_when_given() {
    let text = String::from_utf8(sample_client().origin("http://example.com").encode()).unwrap();
    assert_eq!(
        parse_request(&text).header("Origin"),
        Some("http://example.com")
    );
}

#[test]
fn rfc6455_4_1_version_is_13() {
    let request = parse_request(&String::from_utf8(sample_client().encode()).unwrap());
    assert_eq!(request.header("Sec-WebSocket-Version"), Some("13"));
}

#[test]
fn rfc6455_4_1_protocols_are_unique_comma_separated_tokens() {
    let request = parse_request(&String::from_utf8(sample_client().encode()).unwrap());
    assert_eq!(
        request.header("Sec-WebSocket-Protocol"),
        Some("chat, superchat")
    );
    assert_eq!(request.validate().unwrap().protocols, ["chat", "superchat"]);
}

#[test]
fn rfc6455_4_1_extensions_are_sent_per_9_1() {
    let client = sample_client().extension(
        ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits", None),
    );
    let request = parse_request(&String::from_utf8(client.encode()).unwrap());
    assert_eq!(
        request.header("Sec-WebSocket-Extensions"),
        Some("permessage-deflate; client_max_window_bits")
    );
}

// ---------------------------------------------------------------- §4.1 the response

#[test]
fn rfc6455_4_1_sample_response_is_accepted() {
    let response = client_check(&sample_client(), SAMPLE_RESPONSE).unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.protocol(), Some("chat"));
}

#[test]
fn rfc6455_4_1_non_101_status_is_handled_per_http() {
    let unauthorized = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\
Content-Length: 4\r\n\r\ndeny";
    let Err(Error::Status {
        status,
        headers,
        body,
        ..
    }) = client_check(&sample_client(), unauthorized)
    else {
        panic!("expected Error::Status");
    };
    assert_eq!(status, 401);
    assert!(headers.iter().any(|h| h.is("www-authenticate")));
    assert_eq!(body, b"deny");

    let redirect = "HTTP/1.1 302 Found\r\nLocation: ws://other/chat\r\n\r\n";
    let Err(Error::Status {
        status, headers, ..
    }) = client_check(&sample_client(), redirect)
    else {
        panic!("expected Error::Status");
    };
    assert_eq!(status, 302);
    assert_eq!(headers[0].value_str(), Some("ws://other/chat"));
}

#[test]
fn rfc6455_4_1_response_without_upgrade_websocket_fails() {
    for line in ["", "Upgrade: h2c"] {
        let text = replace(SAMPLE_RESPONSE, "Upgrade", line);
        assert_eq!(
            client_check(&sample_client(), &text),
            Err(Error::NotUpgrade)
        );
    }
    let text = replace(SAMPLE_RESPONSE, "Upgrade", "Upgrade: WebSocket");
    assert!(client_check(&sample_client(), &text).is_ok());
}

#[test]
fn rfc6455_4_1_response_without_connection_upgrade_fails() {
    for line in ["", "Connection: keep-alive"] {
        let text = replace(SAMPLE_RESPONSE, "Connection", line);
        assert_eq!(
            client_check(&sample_client(), &text),
            Err(Error::MissingConnectionUpgrade)
        );
    }
    let text = replace(
        SAMPLE_RESPONSE,
        "Connection",
        "Connection: keep-alive, upgrade",
    );
    assert!(client_check(&sample_client(), &text).is_ok());
}

#[test]
fn rfc6455_4_1_response_with_wrong_or_missing_accept_fails() {
    for line in ["", "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ=="] {
        let text = replace(SAMPLE_RESPONSE, "Sec-WebSocket-Accept", line);
        assert_eq!(
            client_check(&sample_client(), &text),
            Err(Error::InvalidAccept)
        );
    }
}

#[test]
fn rfc6455_4_1_accept_ignores_surrounding_whitespace() {
    let text = replace(
        SAMPLE_RESPONSE,
        "Sec-WebSocket-Accept",
        "Sec-WebSocket-Accept:   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\t",
    );
    assert!(client_check(&sample_client(), &text).is_ok());
}

#[test]
fn rfc6455_4_1_response_with_unrequested_extension_fails() {
    let text = add(
        SAMPLE_RESPONSE,
        "Sec-WebSocket-Extensions: permessage-deflate",
    );
    assert_eq!(
        client_check(&sample_client(), &text),
        Err(Error::UnexpectedExtension)
    );
    let offered = sample_client().extension("permessage-deflate");
    assert_eq!(
        client_check(&offered, &text).unwrap().extensions(),
        [ExtensionOffer::new("permessage-deflate")]
    );
}

#[test]
fn rfc6455_4_1_response_with_unrequested_protocol_fails() {
    let text = replace(
        SAMPLE_RESPONSE,
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Protocol: mqtt",
    );
    assert_eq!(
        client_check(&sample_client(), &text),
        Err(Error::UnexpectedProtocol)
    );
}

#[test]
fn rfc6455_4_1_bytes_after_the_response_head_are_frames() {
    let text = format!("{SAMPLE_RESPONSE}\u{81}");
    let bytes = text.as_bytes();
    let (_, consumed) = sample_client()
        .parse_response(bytes, &Limits::default())
        .unwrap()
        .unwrap();
    assert_eq!(consumed, SAMPLE_RESPONSE.len());
    for end in 0..SAMPLE_RESPONSE.len() {
        assert_eq!(
            sample_client().parse_response(&bytes[..end], &Limits::default()),
            Ok(None)
        );
    }
}

// ---------------------------------------------------------------- §4.2.1 reading the request

#[test]
fn rfc6455_4_2_1_sample_request_is_accepted() {
    let upgrade = validate(SAMPLE_REQUEST).unwrap();
    assert_eq!(upgrade.key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(upgrade.host, "server.example.com");
}

#[test]
fn rfc6455_4_2_1_non_get_request_is_400() {
    let text = SAMPLE_REQUEST.replacen("GET", "POST", 1);
    assert_eq!(validate(&text), Err(Error::BadMethod));
    assert_eq!(status_of(&text), 400);
}

#[test]
fn rfc6455_4_2_1_http_1_0_request_is_400() {
    let text = SAMPLE_REQUEST.replacen("HTTP/1.1", "HTTP/1.0", 1);
    assert_eq!(validate(&text), Err(Error::BadVersion));
    assert_eq!(status_of(&text), 400);
}

#[test]
fn rfc6455_4_2_1_request_uri_may_be_absolute_http_uri() {
    let text = SAMPLE_REQUEST.replacen("/chat", "http://server.example.com/chat", 1);
    assert!(validate(&text).is_ok());
    assert_eq!(parse_request(&text).path(), "/chat");
}

#[test]
fn rfc6455_4_2_1_missing_host_is_400() {
    let text = replace(SAMPLE_REQUEST, "Host", "");
    assert_eq!(validate(&text), Err(Error::MissingHost));
    assert_eq!(status_of(&text), 400);
}

#[test]
fn rfc6455_4_2_1_missing_upgrade_websocket_is_400() {
    for line in ["", "Upgrade: h2c"] {
        let text = replace(SAMPLE_REQUEST, "Upgrade", line);
        assert_eq!(validate(&text), Err(Error::NotUpgrade));
        assert_eq!(status_of(&text), 400);
    }
}

#[test]
fn rfc6455_4_2_1_upgrade_value_is_case_insensitive() {
    let text = replace(SAMPLE_REQUEST, "Upgrade", "Upgrade: WebSocket");
    assert!(validate(&text).is_ok());
}

#[test]
fn rfc6455_4_2_1_connection_without_upgrade_token_is_400() {
    for line in ["", "Connection: keep-alive"] {
        let text = replace(SAMPLE_REQUEST, "Connection", line);
        assert_eq!(validate(&text), Err(Error::MissingConnectionUpgrade));
        assert_eq!(status_of(&text), 400);
    }
}

#[test]
fn rfc6455_4_2_1_connection_token_list_is_case_insensitive() {
    let text = replace(
        SAMPLE_REQUEST,
        "Connection",
        "Connection: keep-alive, upgrade",
    );
    assert!(validate(&text).is_ok());
}

#[test]
fn rfc6455_4_2_1_missing_key_is_400() {
    let text = replace(SAMPLE_REQUEST, "Sec-WebSocket-Key", "");
    assert_eq!(validate(&text), Err(Error::MissingKey));
    assert_eq!(status_of(&text), 400);
}

#[test]
fn rfc6455_4_2_1_key_not_decoding_to_16_bytes_is_400() {
    for key in [
        "AQIDBAUGBwgJCgsMDQ4P",
        "AQIDBAUGBwgJCgsMDQ4PEBE=",
        "not base64 at all!!!!!!!",
    ] {
        let text = replace(
            SAMPLE_REQUEST,
            "Sec-WebSocket-Key",
            &format!("Sec-WebSocket-Key: {key}"),
        );
        assert_eq!(validate(&text), Err(Error::InvalidKey), "{key}");
        assert_eq!(status_of(&text), 400);
    }
}

#[test]
fn rfc6455_4_2_1_version_other_than_13_is_426() {
    for line in ["", "Sec-WebSocket-Version: 8", "Sec-WebSocket-Version: 25"] {
        let text = replace(SAMPLE_REQUEST, "Sec-WebSocket-Version", line);
        assert_eq!(validate(&text), Err(Error::UnsupportedWebSocketVersion));
        assert_eq!(status_of(&text), 426);
    }
}

#[test]
fn rfc6455_4_2_1_origin_is_optional_and_reported() {
    assert_eq!(
        validate(SAMPLE_REQUEST).unwrap().origin.as_deref(),
        Some("http://example.com")
    );
    assert_eq!(
        validate(&replace(SAMPLE_REQUEST, "Origin", ""))
            .unwrap()
            .origin,
        None
    );
}

#[test]
fn rfc6455_4_2_1_protocols_are_listed_in_preference_order() {
    let text = add(SAMPLE_REQUEST, "Sec-WebSocket-Protocol: v2.chat");
    assert_eq!(
        validate(&text).unwrap().protocols,
        ["chat", "superchat", "v2.chat"]
    );
}

#[test]
fn rfc6455_4_2_1_extensions_are_parsed_per_9_1() {
    let text = add(
        SAMPLE_REQUEST,
        "Sec-WebSocket-Extensions: mux; max-channels=4; flow-control, deflate-stream",
    );
    let extensions = validate(&text).unwrap().extensions;
    assert_eq!(extensions.len(), 2);
    assert_eq!(extensions[0].param("max-channels"), Some(Some("4")));
    let bad = add(SAMPLE_REQUEST, "Sec-WebSocket-Extensions: mux; =4");
    assert_eq!(status_of(&bad), 400);
}

#[test]
fn rfc6455_4_2_1_unknown_headers_are_ignored() {
    let text = add(SAMPLE_REQUEST, "X-Whatever: 1\r\nCookie: a=b");
    assert!(validate(&text).is_ok());
}

#[test]
fn rfc6455_4_2_1_malformed_http_is_400() {
    let text = replace(SAMPLE_REQUEST, "Origin", "Origin http://example.com");
    let e = Request::parse(text.as_bytes(), &Limits::default()).unwrap_err();
    assert!(matches!(e, Error::Malformed(_)));
    assert_eq!(e.status(), 400);
    assert!(e.to_response().starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
}

#[test]
fn rfc6455_4_2_1_oversized_header_block_is_431() {
    let big = add(SAMPLE_REQUEST, &format!("X-Big: {}", "a".repeat(16 * 1024)));
    let e = Request::parse(big.as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::HeadersTooLarge, 431));
    let many = add(SAMPLE_REQUEST, &vec!["X-A: b"; 100].join("\r\n"));
    let e = Request::parse(many.as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!((e.clone(), e.status()), (Error::TooManyHeaders, 431));
}

#[test]
fn rfc6455_4_2_1_bytes_after_the_request_head_are_frames() {
    let text = format!("{SAMPLE_REQUEST}\u{81}");
    let (_, consumed) = Request::parse(text.as_bytes(), &Limits::default())
        .unwrap()
        .unwrap();
    assert_eq!(consumed, SAMPLE_REQUEST.len());
    for end in 0..SAMPLE_REQUEST.len() {
        assert_eq!(
            Request::parse(&text.as_bytes()[..end], &Limits::default()),
            Ok(None)
        );
    }
}

// ---------------------------------------------------------------- §4.2.2 sending the response

#[test]
fn rfc6455_4_2_2_unsupported_version_answer_lists_version_13() {
    let text = replace(
        SAMPLE_REQUEST,
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Version: 25",
    );
    let response = String::from_utf8(validate(&text).unwrap_err().to_response()).unwrap();
    assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(response.contains("\r\nSec-WebSocket-Version: 13\r\n"));
}

#[test]
fn rfc6455_4_2_2_accept_is_sha1_guid_base64() {
    assert_eq!(ws_handshake::GUID, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(
        validate(SAMPLE_REQUEST).unwrap().accept_key(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn rfc6455_4_2_2_response_is_101_with_upgrade_and_connection() {
    let upgrade = validate(SAMPLE_REQUEST).unwrap();
    let response = accept_response(&upgrade, Some("chat"), None, &[]);
    assert_eq!(response, SAMPLE_RESPONSE.as_bytes());
}

#[test]
fn rfc6455_4_2_2_no_protocol_header_unless_one_is_selected() {
    let upgrade = validate(SAMPLE_REQUEST).unwrap();
    let response = String::from_utf8(accept_response(&upgrade, None, None, &[])).unwrap();
    assert!(
        !response
            .to_ascii_lowercase()
            .contains("sec-websocket-protocol")
    );
    let response = client_check(&sample_client(), &response).unwrap();
    assert_eq!(response.protocol(), None);
}

#[test]
fn rfc6455_4_2_2_selected_extensions_are_sent() {
    let text = add(
        SAMPLE_REQUEST,
        "Sec-WebSocket-Extensions: permessage-deflate",
    );
    let upgrade = validate(&text).unwrap();
    let response = accept_response(&upgrade, None, Some("permessage-deflate"), &[]);
    let offered = sample_client().extension("permessage-deflate");
    let response = client_check(&offered, core::str::from_utf8(&response).unwrap()).unwrap();
    assert_eq!(response.extensions()[0].name, "permessage-deflate");
}

// ---------------------------------------------------------------- §11.3 header fields

#[test]
fn rfc6455_11_3_1_key_appearing_twice_is_400() {
    let text = add(
        SAMPLE_REQUEST,
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    );
    assert_eq!(validate(&text), Err(Error::DuplicateKey));
    assert_eq!(status_of(&text), 400);
}

#[test]
fn rfc6455_11_3_2_extensions_may_repeat_in_a_request() {
    let text = add(
        SAMPLE_REQUEST,
        "Sec-WebSocket-Extensions: foo\r\nSec-WebSocket-Extensions: bar; baz=2",
    );
    let names: Vec<_> = validate(&text)
        .unwrap()
        .extensions
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["foo", "bar"]);
}

#[test]
fn rfc6455_11_3_3_accept_appearing_twice_in_a_response_fails() {
    let text = add(
        SAMPLE_RESPONSE,
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    );
    assert_eq!(
        client_check(&sample_client(), &text),
        Err(Error::DuplicateHeader("Sec-WebSocket-Accept"))
    );
}

#[test]
fn rfc6455_11_3_4_protocol_appearing_twice_in_a_response_fails() {
    let text = add(SAMPLE_RESPONSE, "Sec-WebSocket-Protocol: superchat");
    assert_eq!(
        client_check(&sample_client(), &text),
        Err(Error::DuplicateHeader("Sec-WebSocket-Protocol"))
    );
}
