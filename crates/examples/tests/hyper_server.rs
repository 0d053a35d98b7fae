//! `hyper_server`: echo and broadcast over HTTP/1.1 and HTTP/2 from one
//! hyper server, and ws-server's answers to bad handshakes.

mod common;

use common::{Program, h2_connect, next_text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_tokio::Message;

fn start() -> Program {
    Program::start(env!("CARGO_BIN_EXE_hyper_server"), &["127.0.0.1:0"])
}

#[tokio::test]
async fn echo_over_http1_and_http2() {
    let server = start();
    let (mut ws, response) = ws_tokio::connect(&format!("{}/echo", server.url))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    ws.send(Message::text("one")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "one");

    let (mut h2, answer) = h2_connect(server.addr(), "/echo", &[]).await;
    assert_eq!(answer.status(), 200);
    h2.send(Message::text("two")).await.unwrap();
    assert_eq!(next_text(&mut h2).await, "two");
}

#[tokio::test]
async fn broadcast_reaches_members_on_both_http_versions() {
    let server = start();
    let (mut a, _) = ws_tokio::connect(&format!("{}/broadcast", server.url))
        .await
        .unwrap();
    let (mut b, _) = h2_connect(server.addr(), "/broadcast", &[]).await;
    // b joined after its 200 arrived; a message sent now reaches both.
    a.send(Message::text("hello room")).await.unwrap();
    assert_eq!(next_text(&mut a).await, "hello room");
    assert_eq!(next_text(&mut b).await, "hello room");
    b.send(Message::text("from h2")).await.unwrap();
    assert_eq!(next_text(&mut a).await, "from h2");
    assert_eq!(next_text(&mut b).await, "from h2");
}

#[tokio::test]
async fn bad_handshakes_get_400_and_426_and_other_paths_404() {
    let server = start();
    let ask = |head: &'static str| {
        let addr = server.addr().to_owned();
        async move {
            let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tcp.write_all(head.as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = tokio::time::timeout(common::SOON, tcp.read(&mut buf))
                .await
                .unwrap()
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).to_lowercase()
        }
    };
    let old = ask(
        "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n\r\n",
    )
    .await;
    assert!(old.starts_with("http/1.1 426"), "{old}");
    assert!(old.contains("sec-websocket-version: 13"), "{old}");
    let plain = ask("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(plain.starts_with("http/1.1 400"), "{plain}");
    let elsewhere = ask("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(elsewhere.starts_with("http/1.1 404"), "{elsewhere}");
}
