//! The `ws-server` interface (`docs/server-interface.md` §1–§3 and §5), checked on the wire
//! against the real binary.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{Server, closed_by_server, frame, open, read_close, read_frame, upgrade_request};

#[test]
fn plain_http_routes() {
    let server = Server::start(&[]);
    let (status, text) = server.get("/healthz");
    assert_eq!(status, 200);
    assert!(text.ends_with("\r\n\r\nok"), "{text}");
    let (status, text) = server.get("/");
    assert_eq!(status, 200);
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: text/html"),
        "{text}"
    );
    assert!(text.contains("id=\"messages\""));
    let (status, text) = server.get("/metrics");
    assert_eq!(status, 200);
    for metric in [
        "ws_open_connections",
        "ws_upgrades_total",
        "ws_messages_in_total",
        "ws_bytes_out_total",
        "ws_closes_total",
    ] {
        assert!(text.contains(metric), "{metric} missing from {text}");
    }
    assert_eq!(server.get("/nope").0, 404);
    assert_eq!(
        server
            .request("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .0,
        404
    );
}

#[test]
fn bad_upgrades_get_the_right_status() {
    let server = Server::start(&[]);
    // RFC 6455 §4.2.1: a missing key, a wrong Upgrade, a wrong method: 400.
    let no_key = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
    assert_eq!(server.request(no_key).0, 400);
    let bad_key = upgrade_request("/echo", "").replace(common::KEY, "c2hvcnQ=");
    assert_eq!(server.request(&bad_key).0, 400);
    let no_upgrade = upgrade_request("/echo", "").replace("Upgrade: websocket\r\n", "");
    assert_eq!(server.request(&no_upgrade).0, 400);
    let post = upgrade_request("/echo", "").replacen("GET", "POST", 1);
    assert_eq!(server.request(&post).0, 400);
    // §4.2.2: an unsupported version gets 426 and the version we speak.
    let (status, text) =
        server.request(&upgrade_request("/echo", "").replace("Version: 13", "Version: 8"));
    assert_eq!(status, 426);
    assert!(
        text.to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{text}"
    );
    // An upgrade to an unknown path: 404.
    assert_eq!(server.request(&upgrade_request("/unknown", "")).0, 404);
}

#[test]
fn oversized_requests_get_431_or_400_and_are_closed() {
    let server = Server::start(&[]);
    let big = upgrade_request("/echo", &format!("X-Big: {}\r\n", "a".repeat(20 * 1024)));
    let status = server.request(&big).0;
    assert!(status == 431 || status == 400, "{status}");
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let status = server.request(&upgrade_request("/echo", &many)).0;
    assert!(status == 431 || status == 400, "{status}");
    let (status, _) = server.request("GARBAGE\r\n\r\n");
    assert_eq!(status, 400);
}

#[test]
fn origin_is_checked_when_configured() {
    let server = Server::start(&["--allowed-origin", "https://good.example"]);
    let bad = upgrade_request("/echo", "Origin: https://evil.example\r\n");
    assert_eq!(server.request(&bad).0, 403);
    let good = upgrade_request("/echo", "Origin: https://good.example\r\n");
    let mut stream = server.connect();
    stream.write_all(good.as_bytes()).unwrap();
    assert!(common::read_head(&mut stream).starts_with("HTTP/1.1 101"));
    // No Origin at all (a non-browser client) is allowed.
    let _ = open(&server, "/echo");
}

#[test]
fn connection_limit_answers_503() {
    let server = Server::start(&["--max-connections", "2"]);
    let _a = open(&server, "/echo");
    let _b = open(&server, "/echo");
    assert_eq!(server.request(&upgrade_request("/echo", "")).0, 503);
    drop(_a);
    // Once one leaves, a new upgrade is served again.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = server.connect();
        stream
            .write_all(upgrade_request("/echo", "").as_bytes())
            .unwrap();
        if common::read_head(&mut stream).starts_with("HTTP/1.1 101") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the slot was never freed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn echo_text_binary_and_sizes() {
    let server = Server::start(&[]);
    let mut ws = open(&server, "/echo");
    for (b0, payload) in [
        (0x81, b"Hello".to_vec()),
        (0x82, vec![]),
        (0x81, vec![]),
        (0x82, (0..=255).collect()),
        (0x82, vec![7; 70_000]),
        (0x82, vec![9; 16 << 20]),
    ] {
        ws.write_all(&frame(b0, &payload)).unwrap();
        let (got_b0, got) = read_frame(&mut ws);
        assert_eq!(got_b0, b0, "same opcode, FIN set");
        assert!(
            got == payload,
            "payload of {} bytes echoed unchanged",
            payload.len()
        );
    }
}

#[test]
fn fragmented_message_with_ping_in_the_middle() {
    let server = Server::start(&[]);
    let mut ws = open(&server, "/echo");
    let mut bytes = frame(0x01, "Hel".as_bytes());
    bytes.extend(frame(0x89, b"mid"));
    bytes.extend(frame(0x80, "lo €".as_bytes()));
    // Sent one byte at a time: the server must accept any split.
    for b in bytes {
        ws.write_all(&[b]).unwrap();
    }
    assert_eq!(
        read_frame(&mut ws),
        (0x8a, b"mid".to_vec()),
        "pong with the ping's payload first"
    );
    assert_eq!(read_frame(&mut ws), (0x81, "Hello €".as_bytes().to_vec()));
}

#[test]
fn client_initiated_close_is_echoed_and_server_closes_tcp() {
    let server = Server::start(&[]);
    let mut ws = open(&server, "/echo");
    ws.write_all(&frame(0x88, &[0x03, 0xe8, b'b', b'y', b'e']))
        .unwrap();
    assert_eq!(read_close(&mut ws), Some(1000));
    // RFC 6455 §7.1.1: the server closes the TCP connection first.
    assert!(closed_by_server(&mut ws));
    server.wait_for_metric("ws_closes_total{code=\"1000\"} 1");
}

#[test]
fn protocol_errors_close_with_their_codes() {
    let server = Server::start(&["--max-frame", "1000"]);
    // §5.1: an unmasked client frame: 1002.
    let mut ws = open(&server, "/echo");
    ws.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    assert_eq!(read_close(&mut ws), Some(1002));
    assert!(closed_by_server(&mut ws));
    // §8.1: invalid UTF-8 in a text message: 1007.
    let mut ws = open(&server, "/echo");
    ws.write_all(&frame(0x81, &[0xce, 0xba, 0xff])).unwrap();
    assert_eq!(read_close(&mut ws), Some(1007));
    // A frame over --max-frame: 1009, before its payload is sent.
    let mut ws = open(&server, "/echo");
    let big = frame(0x82, &[0; 2000]);
    ws.write_all(&big[..8]).unwrap();
    assert_eq!(read_close(&mut ws), Some(1009));
    // §5.2: a reserved opcode: 1002.
    let mut ws = open(&server, "/echo");
    ws.write_all(&frame(0x83, b"")).unwrap();
    assert_eq!(read_close(&mut ws), Some(1002));
}

#[test]
fn message_limit_closes_1009() {
    let server = Server::start(&["--max-message", "100"]);
    let mut ws = open(&server, "/echo");
    ws.write_all(&frame(0x02, &[1; 60])).unwrap();
    ws.write_all(&frame(0x80, &[1; 60])).unwrap();
    assert_eq!(read_close(&mut ws), Some(1009));
}

#[test]
fn idle_peer_is_closed_with_1001() {
    let server = Server::start(&["--idle-timeout", "1", "--ping-interval", "30"]);
    let mut ws = open(&server, "/echo");
    assert_eq!(read_close(&mut ws), Some(1001));
}

#[test]
fn keepalive_ping_is_sent_after_silence() {
    let server = Server::start(&["--ping-interval", "1", "--idle-timeout", "30"]);
    let mut ws = open(&server, "/echo");
    let (b0, payload) = read_frame(&mut ws);
    assert_eq!(b0, 0x89, "a Ping");
    ws.write_all(&frame(0x8a, &payload)).unwrap();
    // Still open: an echo works.
    ws.write_all(&frame(0x81, b"still here")).unwrap();
    assert_eq!(read_frame(&mut ws), (0x81, b"still here".to_vec()));
}

#[test]
fn incomplete_handshake_is_dropped_after_the_timeout() {
    let server = Server::start(&["--handshake-timeout", "1"]);
    let mut stream = server.connect();
    stream
        .write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    assert!(closed_by_server(&mut stream));
}

#[test]
fn peer_vanishing_mid_frame_is_counted_as_1006() {
    let server = Server::start(&[]);
    let mut ws = open(&server, "/echo");
    let bytes = frame(0x82, &[5; 1000]);
    ws.write_all(&bytes[..500]).unwrap();
    drop(ws);
    let metrics = server.wait_for_metric("ws_closes_total{code=\"1006\"} 1");
    assert!(
        metrics.contains("ws_closes_total{code=\"1006\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("ws_open_connections 0"), "{metrics}");
}

#[test]
fn a_thousand_concurrent_connections() {
    let server = Server::start(&[]);
    let mut sockets: Vec<_> = (0..1000).map(|_| open(&server, "/echo")).collect();
    for (i, ws) in sockets.iter_mut().enumerate() {
        ws.write_all(&frame(0x81, format!("n{i}").as_bytes()))
            .unwrap();
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        assert_eq!(read_frame(ws), (0x81, format!("n{i}").into_bytes()));
    }
    let metrics = server.wait_for_metric("ws_open_connections 1000");
    assert!(metrics.contains("ws_open_connections 1000"), "{metrics}");
}

#[test]
fn slow_reader_does_not_grow_server_memory() {
    let server = Server::start(&[]);
    let mut ws = open(&server, "/echo");
    ws.set_write_timeout(Some(Duration::from_secs(3))).unwrap();
    let before = server.rss_kib();
    // 256 MiB of messages that the server echoes but we never read: once the
    // socket buffers fill, the server must stop reading instead of queueing.
    let message = frame(0x82, &vec![1; 1 << 20]);
    let mut sent = 0;
    for _ in 0..256 {
        if ws.write_all(&message).is_err() {
            break;
        }
        sent += 1;
    }
    assert!(
        sent < 256,
        "the server kept reading without us reading its echoes"
    );
    let growth_mib = server.rss_kib().saturating_sub(before) / 1024;
    assert!(growth_mib < 64, "server memory grew by {growth_mib} MiB");
}

#[test]
fn sigterm_sends_1001_and_exits_0() {
    let mut server = Server::start(&[]);
    let mut ws = open(&server, "/echo");
    ws.write_all(&frame(0x81, b"before")).unwrap();
    assert_eq!(read_frame(&mut ws).1, b"before");
    server.terminate();
    assert_eq!(read_close(&mut ws), Some(1001));
    ws.write_all(&frame(0x88, &[0x03, 0xe9])).unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
