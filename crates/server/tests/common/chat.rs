//! A chat client for the tests: join a room, read the next event, say something.

use std::time::Duration;

use serde_json::{Value, json};
use ws_tokio::{MaybeTlsStream, Message, WebSocket};

use super::Server;

/// A chat connection.
pub type Ws = WebSocket<MaybeTlsStream>;

/// Every wait in these tests: generous, only there so a bug fails instead
/// of hanging.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub async fn connect(server: &Server, path: &str) -> Ws {
    let url = format!("ws://{}{path}", server.addr);
    ws_tokio::connect(&url).await.expect("connect").0
}

/// Joins `room` (as `name`, if given); returns the socket and its `welcome`.
pub async fn join(server: &Server, room: &str, name: Option<&str>) -> (Ws, Value) {
    let path = match name {
        Some(name) => format!("/chat/{room}?name={name}"),
        None => format!("/chat/{room}"),
    };
    let mut ws = connect(server, &path).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    (ws, welcome)
}

/// The next chat event (Pings and Pongs skipped).
pub async fn next(ws: &mut Ws) -> Value {
    tokio::time::timeout(PATIENCE, async {
        loop {
            match ws.recv().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str()).expect("JSON from the server");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a chat event, got {other:?}"),
            }
        }
    })
    .await
    .expect("an event in time")
}

/// The next event of type `kind`, skipping others.
pub async fn next_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let event = next(ws).await;
        if event["type"] == kind {
            return event;
        }
    }
}

pub async fn send(ws: &mut Ws, value: &Value) {
    ws.send(Message::text(value.to_string())).await.unwrap();
}

pub async fn say(ws: &mut Ws, text: &str) {
    send(ws, &json!({"type": "message", "text": text})).await;
}

pub fn users(event: &Value) -> Vec<&str> {
    event["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect()
}
