//! `chat`: names from the query string, lines to everyone, `/msg` to one,
//! joins and leaves announced, bad and taken names refused before the
//! upgrade.

mod common;

use common::{Program, next_text};
use ws_tokio::{CloseCode, MaybeTlsStream, Message, WebSocket};

async fn join(server: &Program, name: &str) -> WebSocket<MaybeTlsStream> {
    let (ws, _) = ws_tokio::connect(&format!("{}/?name={name}", server.url))
        .await
        .unwrap();
    ws
}

#[tokio::test]
async fn lines_go_to_everyone_and_msg_to_one() {
    let server = Program::start(env!("CARGO_BIN_EXE_chat"), &["127.0.0.1:0"]);
    let mut alice = join(&server, "alice").await;
    assert_eq!(next_text(&mut alice).await, "* alice joined");
    let mut bob = join(&server, "bob").await;
    assert_eq!(next_text(&mut bob).await, "* bob joined");
    assert_eq!(next_text(&mut alice).await, "* bob joined");

    alice.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_text(&mut alice).await, "alice: hello");
    assert_eq!(next_text(&mut bob).await, "alice: hello");

    bob.send(Message::text("/msg alice psst, a secret"))
        .await
        .unwrap();
    assert_eq!(next_text(&mut alice).await, "[bob → you] psst, a secret");
    assert_eq!(next_text(&mut bob).await, "[you → alice] psst, a secret");

    bob.send(Message::text("/msg carol hi")).await.unwrap();
    assert_eq!(next_text(&mut bob).await, "* carol is not here");

    // The secret went to alice only: bob's next broadcast is alice's next line.
    bob.send(Message::text("bye")).await.unwrap();
    assert_eq!(next_text(&mut alice).await, "bob: bye");
    assert_eq!(next_text(&mut bob).await, "bob: bye");
    bob.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(next_text(&mut alice).await, "* bob left");

    // Once bob has left, the name is free again.
    let mut bob = join(&server, "bob").await;
    assert_eq!(next_text(&mut bob).await, "* bob joined");
}

#[tokio::test]
async fn bad_and_taken_names_are_refused_before_the_upgrade() {
    let server = Program::start(env!("CARGO_BIN_EXE_chat"), &["127.0.0.1:0"]);
    let mut alice = join(&server, "alice").await;
    assert_eq!(next_text(&mut alice).await, "* alice joined");
    for (query, status) in [
        ("", 400),
        ("?name=", 400),
        ("?name=a%20b", 400),
        ("?name=alice", 409),
    ] {
        match ws_tokio::connect(&format!("{}/{query}", server.url)).await {
            Err(ws_tokio::Error::Handshake(e)) => assert_eq!(e.status(), status, "{query}: {e}"),
            other => panic!("{query}: expected {status}, got {:?}", other.map(|_| ())),
        }
    }
    // The refusals announced nothing: alice's next line is her own.
    alice.send(Message::text("alone?")).await.unwrap();
    assert_eq!(next_text(&mut alice).await, "alice: alone?");
}
