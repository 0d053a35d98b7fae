//! The opening handshake over real sockets (RFC 6455 §4): answers to bad
//! requests, the callback, subprotocols, `read_request` + `upgrade` for
//! servers that also speak plain HTTP, and the client's view of failures.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_tokio::{Accept, Config, ConnectOptions, Error, Message, Reject};

/// Sends `request` to a server that accepts with `config`; returns the
/// HTTP answer and what `accept` returned.
async fn answer_to(request: &[u8], config: Config) -> (String, Result<(), Error>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        ws_tokio::accept_with_config(tcp, config, |_, _| Ok(Accept::default()))
            .await
            .map(drop)
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(SOON, tcp.read_to_end(&mut answer))
        .await
        .unwrap();
    drop(tcp);
    let result = server.await.unwrap();
    (String::from_utf8_lossy(&answer).into_owned(), result)
}

#[tokio::test]
async fn rfc6455_4_2_1_missing_key_gets_400() {
    let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
    let (answer, result) = answer_to(request, Config::default()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(matches!(
        result,
        Err(Error::Handshake(ws_handshake::Error::MissingKey))
    ));
}

#[tokio::test]
async fn rfc6455_4_2_2_wrong_version_gets_426_with_version_13() {
    let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    let (answer, result) = answer_to(request, Config::default()).await;
    assert!(answer.starts_with("HTTP/1.1 426"), "{answer}");
    assert!(answer.contains("Sec-WebSocket-Version: 13"), "{answer}");
    assert!(result.is_err());
}

#[tokio::test]
async fn oversized_head_gets_431() {
    let mut request = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..400 {
        request.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(60)).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let (answer, result) = answer_to(&request, Config::default()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(matches!(result, Err(Error::Handshake(_))));
}

#[tokio::test]
async fn garbage_gets_400() {
    let (answer, result) =
        answer_to(b"\x16\x03\x01 not http at all\r\n\r\n", Config::default()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(result.is_err());
}

#[tokio::test]
async fn silent_client_hits_the_handshake_timeout() {
    let config = Config {
        handshake_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _tcp = TcpStream::connect(addr).await.unwrap();
    let (mut tcp, _) = listener.accept().await.unwrap();
    let result = tokio::time::timeout(SOON, ws_tokio::read_request(&mut tcp, &config))
        .await
        .unwrap();
    assert!(matches!(result, Err(Error::Timeout)));
}

/// A server with an accept loop that runs `callback` and echoes.
async fn callback_server<F>(callback: F) -> SocketAddr
where
    F: Fn(&ws_handshake::Request, &ws_handshake::Upgrade) -> Result<Accept, Reject>
        + Send
        + Sync
        + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let callback = std::sync::Arc::new(callback);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let callback = callback.clone();
            tokio::spawn(async move {
                if let Ok(ws) =
                    ws_tokio::accept_with_config(tcp, Config::default(), |r, u| callback(r, u))
                        .await
                {
                    let protocol = ws.protocol().map(str::to_owned);
                    let mut ws = ws;
                    if let Some(p) = protocol {
                        let _ = ws.send(Message::text(format!("protocol {p}"))).await;
                    }
                    echo(ws).await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn subprotocol_headers_and_origin_reach_the_callback() {
    let addr = callback_server(|request, upgrade| {
        assert_eq!(request.path(), "/chat");
        assert_eq!(request.header("X-Token"), Some("secret"));
        assert_eq!(upgrade.origin.as_deref(), Some("http://example.com"));
        assert_eq!(upgrade.protocols, ["v1", "v2"]);
        Ok(Accept {
            protocol: Some("v2".into()),
            headers: vec![("X-Hello".into(), "world".into())],
        })
    })
    .await;
    let options = ConnectOptions {
        protocols: vec!["v1".into(), "v2".into()],
        headers: vec![("X-Token".into(), "secret".into())],
        origin: Some("http://example.com".into()),
        ..ConnectOptions::default()
    };
    let (mut ws, response) = ws_tokio::connect_with(&format!("ws://{addr}/chat"), options)
        .await
        .unwrap();
    assert_eq!(ws.protocol(), Some("v2"));
    assert_eq!(response.protocol(), Some("v2"));
    assert_eq!(response.header("X-Hello"), Some("world"));
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::text("protocol v2")
    );
}

/// §10.2: a server may refuse an origin; the client sees the status.
#[tokio::test]
async fn rejected_upgrade_reaches_the_client_as_a_status() {
    let addr = callback_server(|_, _| Err(Reject::new(403, "origin not allowed"))).await;
    let error = ws_tokio::connect(&format!("ws://{addr}/"))
        .await
        .unwrap_err();
    match error {
        Error::Handshake(ws_handshake::Error::Status { status, body, .. }) => {
            assert_eq!(status, 403);
            assert_eq!(body, b"origin not allowed");
        }
        other => panic!("expected a 403 status, got {other}"),
    }
}

/// A server on one port for plain HTTP and WebSocket: `read_request`, then
/// either an HTTP answer or `upgrade` (keeping the leftover bytes).
#[tokio::test]
async fn read_request_then_upgrade_or_plain_http() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let config = Config::default();
                let Ok((request, leftover)) = ws_tokio::read_request(&mut tcp, &config).await
                else {
                    return;
                };
                if request.is_upgrade() {
                    if let Ok(ws) =
                        ws_tokio::upgrade(tcp, &request, leftover, config, Accept::default()).await
                    {
                        echo(ws).await;
                    }
                } else {
                    let answer = ws_handshake::http_response(200, &[], b"ok");
                    tcp.write_all(&answer).await.unwrap();
                }
            });
        }
    });
    // Plain HTTP.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"),
        "{answer}"
    );
    // WebSocket, with a frame in the same write as the request.
    let mut peer = RawPeer::connect(addr, &client_frame(true, 0x1, b"together")).await;
    assert_eq!(
        peer.next().await,
        Some(ws_frame::Event::Text("together".into()))
    );
    // An invalid upgrade gets its 400 from `upgrade`.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    // No Sec-WebSocket-Version: 426 (§4.2.2).
    assert!(answer.starts_with(b"HTTP/1.1 426"));
}

#[tokio::test]
async fn client_errors() {
    // Not a WebSocket URL.
    assert!(matches!(
        ws_tokio::connect("http://127.0.0.1/").await,
        Err(Error::Handshake(_))
    ));
    // Nobody listening.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    assert!(matches!(
        ws_tokio::connect(&format!("ws://127.0.0.1:{port}/")).await,
        Err(Error::Io(_))
    ));
    // A server that answers 404.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = [0; 4096];
        let _ = tcp.read(&mut buf).await;
        tcp.write_all(&ws_handshake::http_response(404, &[], b"no"))
            .await
            .unwrap();
    });
    match ws_tokio::connect(&format!("ws://{addr}/missing")).await {
        Err(Error::Handshake(e)) => assert_eq!(e.status(), 404),
        other => panic!("expected 404, got {:?}", other.map(|_| ())),
    }
}
