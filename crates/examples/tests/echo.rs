//! `echo_server`: whatever a client sends comes back, text as text and
//! binary as binary.

mod common;

use common::{Program, next};
use ws_tokio::{CloseCode, Message};

#[tokio::test]
async fn every_message_comes_back_with_its_type() {
    let server = Program::start(env!("CARGO_BIN_EXE_echo_server"), &["127.0.0.1:0"]);
    let (mut ws, _) = ws_tokio::connect(&format!("{}/", server.url))
        .await
        .unwrap();
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("hello"));
    ws.send(Message::binary(vec![0, 1, 255])).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::binary(vec![0, 1, 255]));
    ws.close(CloseCode::NORMAL, "done").await.unwrap();
}
