//! `axum_server`: the `WebSocketUpgrade` extractor's echo (with its
//! subprotocol) and broadcast, over HTTP/1.1 and HTTP/2.

mod common;

use common::{Program, h2_connect, next_text};
use ws_tokio::{ConnectOptions, Message};

fn start() -> Program {
    Program::start(env!("CARGO_BIN_EXE_axum_server"), &["127.0.0.1:0"])
}

#[tokio::test]
async fn echo_selects_its_subprotocol_over_http1_and_http2() {
    let server = start();
    let options = ConnectOptions {
        protocols: vec!["echo".to_owned()],
        ..ConnectOptions::default()
    };
    let (mut ws, response) = ws_tokio::connect_with(&format!("{}/echo", server.url), options)
        .await
        .unwrap();
    assert_eq!(response.protocol(), Some("echo"));
    ws.send(Message::text("over http/1.1")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "over http/1.1");

    let (mut h2, answer) = h2_connect(server.addr(), "/echo", &["echo"]).await;
    assert_eq!(answer.protocol(), Some("echo"));
    h2.send(Message::text("over http/2")).await.unwrap();
    assert_eq!(next_text(&mut h2).await, "over http/2");
}

#[tokio::test]
async fn broadcast_reaches_every_member() {
    let server = start();
    let url = format!("{}/broadcast", server.url);
    let (mut a, _) = ws_tokio::connect(&url).await.unwrap();
    let (mut b, _) = ws_tokio::connect(&url).await.unwrap();
    let (mut c, _) = h2_connect(server.addr(), "/broadcast", &[]).await;
    b.send(Message::text("hi all")).await.unwrap();
    assert_eq!(next_text(&mut a).await, "hi all");
    assert_eq!(next_text(&mut b).await, "hi all");
    assert_eq!(next_text(&mut c).await, "hi all");
}
