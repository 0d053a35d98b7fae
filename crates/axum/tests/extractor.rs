//! The `WebSocketUpgrade` extractor in a real axum server (`axum::serve`),
//! over HTTP/1.1 and HTTP/2, and its rejections.

use std::net::SocketAddr;

use axum::Router;
use axum::response::Response;
use axum::routing::{any, get};
use http_body_util::Empty;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Duration, timeout};
use ws_axum::{Config, Message, WebSocket, WebSocketUpgrade};
use ws_tokio::bytes::{Bytes, BytesMut};
use ws_tokio::{ConnectOptions, Role};

const SOON: Duration = Duration::from_secs(10);

async fn echo(ws: WebSocketUpgrade) -> Response {
    let version = format!("{:?}", ws.http_version());
    let config = Config {
        max_message_size: 1024,
        ..Config::default()
    };
    ws.protocols(["chat", "superchat"])
        .config(config)
        .header("x-http-version", &version)
        .on_upgrade(|mut socket: WebSocket| async move {
            while let Some(Ok(message)) = socket.recv().await {
                if message.is_data() && socket.send(message).await.is_err() {
                    break;
                }
            }
        })
}

async fn app() -> SocketAddr {
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/", get(|| async { "hello" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn round_trip<S>(socket: &mut ws_tokio::WebSocket<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    socket.send(Message::text("hi axum")).await.unwrap();
    let echo = timeout(SOON, socket.recv())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(echo, Message::text("hi axum"));
}

#[tokio::test]
async fn echo_over_http1_selects_the_clients_preferred_common_protocol() {
    let addr = app().await;
    let options = ConnectOptions {
        protocols: vec!["v9".to_owned(), "superchat".to_owned(), "chat".to_owned()],
        ..ConnectOptions::default()
    };
    let (mut socket, response) = ws_tokio::connect_with(&format!("ws://{addr}/echo"), options)
        .await
        .unwrap();
    assert_eq!(response.protocol(), Some("superchat"));
    assert_eq!(response.header("x-http-version"), Some("HTTP/1.1"));
    round_trip(&mut socket).await;

    // The Config given to the extractor applies: 1009 past 1024 bytes.
    socket.send(Message::binary(vec![0u8; 2000])).await.unwrap();
    match timeout(SOON, socket.recv()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1009),
        Some(Err(e)) => assert_eq!(e.close_code().map(u16::from), Some(1009), "{e}"),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
}

#[tokio::test]
async fn echo_over_http2_extended_connect() {
    let addr = app().await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    // RFC 8441 §3: extended CONNECT only after the server's SETTINGS; a
    // first request makes sure they arrived.
    let warm_up = Request::get(format!("http://{addr}/"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    assert_eq!(
        send.send_request(warm_up).await.unwrap().status(),
        StatusCode::OK
    );

    let request = Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{addr}/echo"))
        .header("sec-websocket-version", "13")
        .header("sec-websocket-protocol", "chat")
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    assert_eq!(response.headers()["x-http-version"], "HTTP/2.0");
    let upgraded = hyper::upgrade::on(response).await.unwrap();
    let mut socket = ws_tokio::WebSocket::from_raw(
        TokioIo::new(upgraded),
        Role::Client,
        Config::default(),
        BytesMut::new(),
    );
    round_trip(&mut socket).await;

    // Without sec-websocket-version: 426, as ws-server answers.
    let request = Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{addr}/echo"))
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(response.headers()["sec-websocket-version"], "13");
}

async fn raw(addr: SocketAddr, head: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    // The answer ends where its body (text ending in a newline) ends.
    let _ = timeout(SOON, async {
        while let Ok(n @ 1..) = tcp.read(&mut buf).await {
            answer.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&answer);
            if text
                .split_once("\r\n\r\n")
                .is_some_and(|(_, body)| body.ends_with('\n'))
            {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer).to_lowercase()
}

#[tokio::test]
async fn rejections_answer_with_the_statuses_of_ws_server() {
    let addr = app().await;
    let plain_get = raw(addr, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(plain_get.starts_with("http/1.1 400"), "{plain_get}");
    assert!(
        plain_get.contains("upgrade header must be \"websocket\""),
        "{plain_get}"
    );

    let old = raw(
        addr,
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    )
    .await;
    assert!(old.starts_with("http/1.1 426"), "{old}");
    assert!(old.contains("sec-websocket-version: 13\r\n"), "{old}");

    let bad_key = raw(
        addr,
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    assert!(bad_key.starts_with("http/1.1 400"), "{bad_key}");
    assert!(bad_key.contains("base64 of exactly 16 bytes"), "{bad_key}");
}
