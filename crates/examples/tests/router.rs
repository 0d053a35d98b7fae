//! `router`: each path reaches its handler with its parameters; anything
//! else is a plain 404 without an upgrade.

mod common;

use common::{Program, next, next_text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_tokio::{CloseCode, CloseFrame, Message};

fn start() -> Program {
    Program::start(env!("CARGO_BIN_EXE_router"), &["127.0.0.1:0"])
}

#[tokio::test]
async fn light_status_comes_from_the_path() {
    let server = start();
    for status in ["on", "off"] {
        let (mut ws, _) = ws_tokio::connect(&format!("{}/light/{status}", server.url))
            .await
            .unwrap();
        assert_eq!(next_text(&mut ws).await, format!("the light is {status}"));
        let close = CloseFrame::new(CloseCode::NORMAL, "switched");
        assert_eq!(next(&mut ws).await, Message::Close(Some(close)));
    }
}

#[tokio::test]
async fn echo_and_rooms_reach_their_handlers() {
    let server = start();
    let (mut echo, _) = ws_tokio::connect(&format!("{}/echo", server.url))
        .await
        .unwrap();
    echo.send(Message::text("ping?")).await.unwrap();
    assert_eq!(next_text(&mut echo).await, "ping?");
    echo.close(CloseCode::NORMAL, "").await.unwrap();

    let (mut room, _) = ws_tokio::connect(&format!("{}/rooms/attic", server.url))
        .await
        .unwrap();
    assert_eq!(next_text(&mut room).await, "welcome to room attic");
    room.send(Message::text("hi")).await.unwrap();
    assert_eq!(next_text(&mut room).await, "[attic] hi");
    room.close(CloseCode::NORMAL, "").await.unwrap();
}

#[tokio::test]
async fn unknown_paths_are_refused_with_404_before_any_upgrade() {
    let server = start();
    for path in ["/", "/light/dim", "/echo/more", "/rooms/"] {
        match ws_tokio::connect(&format!("{}{path}", server.url)).await {
            Err(ws_tokio::Error::Handshake(e)) => assert_eq!(e.status(), 404, "{path}: {e}"),
            other => panic!("{path}: expected a 404, got {:?}", other.map(|_| ())),
        }
    }
    // A plain HTTP request gets the same 404.
    let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(common::SOON, tcp.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nnot found\n"), "{answer}");
}
