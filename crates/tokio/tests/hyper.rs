//! ws-tokio inside a hyper server: the HTTP/1.1 upgrade and the HTTP/2
//! extended CONNECT (RFC 8441) both become a WebSocket with ws-tokio's
//! `Config`, and bad requests get ws-handshake's statuses.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use ws_tokio::ws_frame::deflate::DeflateConfig;
use ws_tokio::ws_handshake::{ClientConnect, Error as HandshakeError, Header, Url};
use ws_tokio::{Accept, Config, ConnectOptions, HyperUpgrade, Message, Role, WebSocket};

mod common;
use common::SOON;

/// The service under test: `/echo` is a WebSocket echo that selects the
/// subprotocol `chat` when offered; every other path is plain HTTP.
async fn service(mut request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if !ws_tokio::is_upgrade_request(&request) || request.uri().path() != "/echo" {
        return Ok(Response::new(Full::from("plain HTTP\n")));
    }
    let upgrade = match HyperUpgrade::from_request(&mut request) {
        Ok(upgrade) => upgrade,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let version = format!("{:?}", upgrade.http_version());
    let accept = Accept {
        protocol: Some("chat".to_owned()),
        headers: vec![("x-http-version".to_owned(), version)],
    };
    let config = Config {
        max_message_size: 1024,
        deflate: Some(DeflateConfig::default()),
        ..Config::default()
    };
    let (response, upgrading) = upgrade.accept(accept, config);
    tokio::spawn(async move {
        let Ok(mut ws) = upgrading.await else { return };
        while let Some(Ok(message)) = ws.recv().await {
            if message.is_data() && ws.send(message).await.is_err() {
                break;
            }
        }
    });
    Ok(response)
}

/// A hyper HTTP/1.1 server with upgrades.
async fn http1_server() -> SocketAddr {
    serve(|tcp| async move {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(tcp), service_fn(service))
            .with_upgrades()
            .await;
    })
    .await
}

/// A hyper HTTP/2 server (h2c, prior knowledge) with RFC 8441 enabled.
async fn http2_server() -> SocketAddr {
    serve(|tcp| async move {
        // Each stream's window well below the connection's: a WebSocket
        // that stops reading fills its own window, not the connection's
        // (hyper's defaults are 1 MiB for both, so one stalled stream
        // would hold up every other one).
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .enable_connect_protocol()
            .max_concurrent_streams(16)
            .initial_stream_window_size(64 * 1024)
            .initial_connection_window_size(16 * 64 * 1024)
            .serve_connection(TokioIo::new(tcp), service_fn(service))
            .await;
    })
    .await
}

async fn serve<F, Fut>(connection: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(connection(tcp));
        }
    });
    addr
}

async fn echo_round_trip<S>(ws: &mut WebSocket<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    for text in ["hello", "über hyper"] {
        ws.send(Message::text(text)).await.unwrap();
        let echo = timeout(SOON, ws.recv()).await.unwrap().unwrap().unwrap();
        assert_eq!(echo, Message::text(text));
    }
    let big = vec![7u8; 1000];
    ws.send(Message::binary(big.clone())).await.unwrap();
    let echo = timeout(SOON, ws.recv()).await.unwrap().unwrap().unwrap();
    assert_eq!(echo, Message::binary(big));
}

#[tokio::test]
async fn echo_over_hyper_http1_with_subprotocol_and_deflate() {
    let addr = http1_server().await;
    let options = ConnectOptions {
        protocols: vec!["chat".to_owned()],
        config: Config {
            deflate: Some(DeflateConfig::default()),
            ..Config::default()
        },
        ..ConnectOptions::default()
    };
    let (mut ws, response) = ws_tokio::connect_with(&format!("ws://{addr}/echo"), options)
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.protocol(), Some("chat"));
    assert_eq!(ws.protocol(), Some("chat"));
    assert_eq!(response.header("x-http-version"), Some("HTTP/1.1"));
    assert!(
        response
            .header("Sec-WebSocket-Extensions")
            .is_some_and(|e| e.starts_with("permessage-deflate")),
        "the service's Config accepts permessage-deflate"
    );
    echo_round_trip(&mut ws).await;
}

#[tokio::test]
async fn the_config_of_the_hyper_upgrade_applies() {
    let addr = http1_server().await;
    let (mut ws, _) = ws_tokio::connect(&format!("ws://{addr}/echo"))
        .await
        .unwrap();
    // The service's Config allows 1024-byte messages: RFC 6455 §7.4.1 1009.
    ws.send(Message::binary(vec![0u8; 2000])).await.unwrap();
    let end = timeout(SOON, ws.recv()).await.unwrap();
    match end {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1009),
        Some(Err(e)) => assert_eq!(e.close_code().map(u16::from), Some(1009), "{e}"),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
}

/// Sends a raw HTTP/1.1 request and returns the whole answer.
async fn raw_http1(addr: SocketAddr, head: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = timeout(SOON, async {
        let mut buf = [0u8; 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"\n") {
                let text = String::from_utf8_lossy(&answer);
                if text.contains("content-length: 0")
                    || text.lines().last().is_some_and(|l| !l.is_empty())
                {
                    break;
                }
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer).to_lowercase()
}

#[tokio::test]
async fn hyper_http1_refusals_have_the_statuses_of_ws_server() {
    let addr = http1_server().await;
    let base = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

    let no_key = raw_http1(addr, &format!("{base}Sec-WebSocket-Version: 13\r\n\r\n")).await;
    assert!(no_key.starts_with("http/1.1 400"), "{no_key}");
    assert!(
        no_key.contains("missing sec-websocket-key header"),
        "{no_key}"
    );

    let old = raw_http1(
        addr,
        &format!("{base}{key}Sec-WebSocket-Version: 8\r\n\r\n"),
    )
    .await;
    assert!(old.starts_with("http/1.1 426"), "{old}");
    assert!(old.contains("sec-websocket-version: 13\r\n"), "{old}");

    let post = "POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    let post = raw_http1(
        addr,
        &format!("{post}{key}Sec-WebSocket-Version: 13\r\ncontent-length: 0\r\n\r\n"),
    )
    .await;
    assert!(post.starts_with("http/1.1 400"), "{post}");
    assert!(post.contains("requires method get"), "{post}");

    let bad_protocol =
        format!("{base}{key}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a b\r\n\r\n");
    let bad_protocol = raw_http1(addr, &bad_protocol).await;
    assert!(bad_protocol.starts_with("http/1.1 400"), "{bad_protocol}");

    let plain = raw_http1(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(plain.starts_with("http/1.1 200"), "{plain}");
}

/// An HTTP/2 client connection (h2c prior knowledge) that has received the
/// server's SETTINGS: RFC 8441 §3 allows extended CONNECT only after
/// `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`, so a first plain request makes
/// sure the settings have arrived.
async fn http2_client(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<Empty<Bytes>> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    let warm_up = Request::builder()
        .uri(format!("http://{addr}/"))
        .body(Empty::new())
        .unwrap();
    let answer = send.send_request(warm_up).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    send
}

/// `client`'s extended CONNECT as a hyper request.
fn connect_request(client: &ClientConnect) -> Request<Empty<Bytes>> {
    let request = client.request();
    let uri = format!(
        "{}://{}{}",
        request.scheme.unwrap(),
        request.authority.unwrap(),
        request.path.unwrap()
    );
    let mut builder = Request::builder().method(Method::CONNECT).uri(uri);
    for header in &request.headers {
        builder = builder.header(header.name.as_str(), header.value.as_slice());
    }
    builder
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .body(Empty::new())
        .unwrap()
}

fn answer_headers(response: &Response<Incoming>) -> Vec<Header> {
    response
        .headers()
        .iter()
        .map(|(n, v)| Header {
            name: n.as_str().to_owned(),
            value: v.as_bytes().to_vec(),
        })
        .collect()
}

#[tokio::test]
async fn echo_over_hyper_http2_extended_connect() {
    let addr = http2_server().await;
    let mut send = http2_client(addr).await;
    let url = Url::parse(&format!("ws://{addr}/echo")).unwrap();
    let client = ClientConnect::new(&url).protocol("chat");
    let response = send.send_request(connect_request(&client)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let checked = client
        .check_response(response.status().as_u16(), &answer_headers(&response))
        .unwrap();
    assert_eq!(checked.protocol(), Some("chat"));
    assert_eq!(checked.header("x-http-version"), Some("HTTP/2.0"));
    assert_eq!(checked.header("sec-websocket-accept"), None);
    let upgraded = hyper::upgrade::on(response).await.unwrap();
    let mut ws = WebSocket::from_raw(
        TokioIo::new(upgraded),
        Role::Client,
        Config::default(),
        BytesMut::new(),
    );
    echo_round_trip(&mut ws).await;

    // A second WebSocket on the same HTTP/2 connection, while the first is
    // open: each is a stream of its own.
    let response = send.send_request(connect_request(&client)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let upgraded = hyper::upgrade::on(response).await.unwrap();
    let mut second = WebSocket::from_raw(
        TokioIo::new(upgraded),
        Role::Client,
        Config::default(),
        BytesMut::new(),
    );
    echo_round_trip(&mut second).await;
    echo_round_trip(&mut ws).await;
    ws.close(ws_tokio::CloseCode::NORMAL, "done").await.unwrap();
    second
        .close(ws_tokio::CloseCode::NORMAL, "done")
        .await
        .unwrap();
}

#[tokio::test]
async fn hyper_http2_refusals_have_the_statuses_of_ws_server() {
    let addr = http2_server().await;
    let mut send = http2_client(addr).await;
    let url = Url::parse(&format!("ws://{addr}/echo")).unwrap();

    // No sec-websocket-version: 426 with the version we speak.
    let mut request = connect_request(&ClientConnect::new(&url));
    request.headers_mut().remove("sec-websocket-version");
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(response.headers()["sec-websocket-version"], "13");

    // A subprotocol list that is not a list of tokens: 400 with the reason.
    let client = ClientConnect::new(&url).header("sec-websocket-protocol", "a b");
    let response = send.send_request(connect_request(&client)).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("Sec-WebSocket-Protocol"), "{body}");
}

#[tokio::test]
async fn a_stalled_http2_websocket_does_not_stall_its_neighbour() {
    let addr = http2_server().await;
    let mut send = http2_client(addr).await;
    let url = Url::parse(&format!("ws://{addr}/echo")).unwrap();
    let client = ClientConnect::new(&url);
    let mut open = async || {
        let response = send.send_request(connect_request(&client)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let upgraded = hyper::upgrade::on(response).await.unwrap();
        WebSocket::from_raw(
            TokioIo::new(upgraded),
            Role::Client,
            Config::default(),
            BytesMut::new(),
        )
    };
    let mut stalled = open().await;
    let mut neighbour = open().await;
    // The stalled one sends ~20 MB and never reads its echoes: once the
    // HTTP/2 windows and the socket buffers are full, its sends wait.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&sent);
    let flood = tokio::spawn(async move {
        let message = Message::binary(vec![1u8; 1000]);
        for _ in 0..20_000 {
            if stalled.send(message.clone()).await.is_err() {
                break;
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    // Its neighbour on the same connection still gets every echo, before
    // and after the flood stops moving (RFC 8441 runs each WebSocket on its
    // own stream, with its own flow-control window, RFC 7540 §5.2).
    let round_trip = async |ws: &mut WebSocket<TokioIo<hyper::upgrade::Upgraded>>, i: usize| {
        let text = format!("still here {i}");
        ws.send(Message::text(text.clone())).await.unwrap();
        let echo = timeout(SOON, ws.recv()).await.unwrap().unwrap().unwrap();
        assert_eq!(echo, Message::text(text));
    };
    let mut still = 0;
    for i in 0..100_000 {
        let before = sent.load(std::sync::atomic::Ordering::Relaxed);
        round_trip(&mut neighbour, i).await;
        tokio::task::yield_now().await;
        let after = sent.load(std::sync::atomic::Ordering::Relaxed);
        // Three round trips in a row without the flood moving: it waits.
        still = if after == before && after > 0 {
            still + 1
        } else {
            0
        };
        if still == 3 {
            break;
        }
    }
    assert_eq!(still, 3, "the flood never stopped: nothing was stalled");
    for i in 0..20 {
        round_trip(&mut neighbour, i).await;
    }
    assert!(sent.load(std::sync::atomic::Ordering::Relaxed) < 20_000);
    flood.abort();
}

#[tokio::test]
async fn connect_http2_negotiates_protocol_and_deflate_like_connect() {
    let addr = http2_server().await;
    let mut send = http2_client(addr).await;
    let url = Url::parse(&format!("ws://{addr}/echo")).unwrap();
    let config = Config {
        deflate: Some(DeflateConfig::default()),
        ..Config::default()
    };
    let request = ClientConnect::new(&url).protocol("chat");
    let (mut ws, response) = ws_tokio::connect_http2(&mut send, request, config)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(ws.protocol(), Some("chat"));
    assert_eq!(response.extensions()[0].name, "permessage-deflate");
    echo_round_trip(&mut ws).await;

    // A refusal comes back as the handshake error with its status.
    let url = Url::parse(&format!("ws://{addr}/echo")).unwrap();
    let bad = ClientConnect::new(&url).header("sec-websocket-protocol", "a b");
    let refused = ws_tokio::connect_http2(&mut send, bad, Config::default()).await;
    match refused {
        Err(ws_tokio::Error::Handshake(HandshakeError::Status { status, body, .. })) => {
            assert_eq!(status, 400);
            // The reason the server wrote in the body comes with it.
            let body = String::from_utf8_lossy(&body);
            assert!(body.contains("Sec-WebSocket-Protocol"), "{body}");
        }
        other => panic!("expected a 400, got {:?}", other.map(|_| ())),
    }
}
