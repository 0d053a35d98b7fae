//! `broadcast`: a message from any client reaches every connected client,
//! and a client that left no longer counts.

mod common;

use common::{Program, next_text};
use ws_tokio::{CloseCode, Message};

#[tokio::test]
async fn a_message_reaches_every_connected_client() {
    let server = Program::start(env!("CARGO_BIN_EXE_broadcast"), &["127.0.0.1:0"]);
    let url = format!("{}/", server.url);
    let (mut a, _) = ws_tokio::connect(&url).await.unwrap();
    let (mut b, _) = ws_tokio::connect(&url).await.unwrap();
    let (mut c, _) = ws_tokio::connect(&url).await.unwrap();

    a.send(Message::text("hello, all")).await.unwrap();
    for ws in [&mut a, &mut b, &mut c] {
        assert_eq!(next_text(ws).await, "hello, all");
    }

    // C leaves; B's message reaches A and B, and nobody fails on C.
    c.close(CloseCode::NORMAL, "bye").await.unwrap();
    b.send(Message::text("C has left")).await.unwrap();
    assert_eq!(next_text(&mut a).await, "C has left");
    assert_eq!(next_text(&mut b).await, "C has left");

    // Still broadcasting after the departure: a third message, from A.
    a.send(Message::text("still here")).await.unwrap();
    assert_eq!(next_text(&mut b).await, "still here");
    assert_eq!(next_text(&mut a).await, "still here");
}
