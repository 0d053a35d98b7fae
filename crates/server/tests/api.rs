//! The HTTP API of `--api-key` (`docs/server-interface.md` §7), against
//! the real binary: keys, publish (delivered, kept, deduplicated), users,
//! history, removal (4003), bad bodies, the body limit, the key's rate,
//! and the metrics.

mod common;

use common::Server;
use common::chat::{PATIENCE, Ws, join, next, next_of};
use serde_json::{Value, json};
use ws_tokio::Message;

const KEY: &str = "backend-key-1";

/// Sends `method path` with `body` (JSON, if any) and the bearer `key`;
/// returns the status and the JSON answer (`Null` if there is none).
fn call(
    server: &Server,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
    if let Some(key) = key {
        raw.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    if let Some(body) = body {
        raw.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        raw.push_str("\r\n");
    }
    let (status, response) = server.request(&raw);
    let json = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .filter(|body| !body.is_empty())
        .map_or(Value::Null, |body| {
            serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
        });
    (status, json)
}

fn api_server() -> Server {
    Server::start(&["--api-key", "other-key", "--api-key", KEY])
}

async fn close_code(ws: &mut Ws) -> Option<u16> {
    tokio::time::timeout(PATIENCE, async {
        loop {
            match ws.recv().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.0),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("the server closes")
}

#[test]
fn without_api_keys_there_is_no_api() {
    let server = Server::start(&[]);
    assert_eq!(
        call(&server, "GET", "/api/rooms/r/users", Some(KEY), None).0,
        404
    );
}

#[test]
fn every_call_needs_a_key() {
    let server = api_server();
    for key in [None, Some("wrong"), Some("backend-key-")] {
        let (status, body) = call(&server, "GET", "/api/rooms/r/users", key, None);
        assert_eq!(status, 401, "{key:?}");
        assert!(body["error"].is_string(), "{body}");
    }
    // Even an unknown endpoint says 401 first.
    assert_eq!(call(&server, "GET", "/api/nothing", None, None).0, 401);
    assert_eq!(call(&server, "GET", "/api/nothing", Some(KEY), None).0, 404);
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/rooms/r/users",
            Some("other-key"),
            None
        )
        .0,
        200
    );
}

#[tokio::test]
async fn a_published_message_reaches_the_room_with_its_seq() {
    let server = api_server();
    let (mut ann, _) = join(&server, "lobby", Some("ann")).await;
    let (status, body) = call(
        &server,
        "POST",
        "/api/rooms/lobby/messages",
        Some(KEY),
        Some(r#"{"text":"deploy done","from":"ci","id":"d-1"}"#),
    );
    assert_eq!(status, 202, "{body}");
    let seq = body["seq"].as_u64().expect("a seq");
    let message = next_of(&mut ann, "message").await;
    assert_eq!(message["from"], "ci");
    assert_eq!(message["text"], "deploy done");
    assert_eq!(message["seq"], seq);
    // The same id again: the same seq, not delivered twice.
    let (status, again) = call(
        &server,
        "POST",
        "/api/rooms/lobby/messages",
        Some(KEY),
        Some(r#"{"text":"deploy done","from":"ci","id":"d-1"}"#),
    );
    assert_eq!((status, again["seq"].as_u64()), (202, Some(seq)));
    let (_, body) = call(
        &server,
        "POST",
        "/api/rooms/lobby/messages",
        Some(KEY),
        Some(r#"{"text":"next"}"#),
    );
    assert_eq!(body["seq"], seq + 1);
    let message = next_of(&mut ann, "message").await;
    assert_eq!(
        (&message["text"], &message["from"]),
        (&json!("next"), &json!("server"))
    );
    let (status, users) = call(&server, "GET", "/api/rooms/lobby/users", Some(KEY), None);
    assert_eq!(
        (status, users),
        (200, json!({"room": "lobby", "users": ["ann"]}))
    );
}

#[tokio::test]
async fn an_empty_room_keeps_what_is_published_in_its_history() {
    let server = api_server();
    for text in ["one", "two", "three"] {
        let body = json!({ "text": text }).to_string();
        assert_eq!(
            call(
                &server,
                "POST",
                "/api/rooms/quiet/messages",
                Some(KEY),
                Some(&body)
            )
            .0,
            202
        );
    }
    let (status, page) = call(
        &server,
        "GET",
        "/api/rooms/quiet/messages?since=1&limit=1",
        Some(KEY),
        None,
    );
    assert_eq!(status, 200, "{page}");
    assert!(page["epoch"].is_string());
    let texts: Vec<_> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, [json!("two")]);
    let (_, page) = call(&server, "GET", "/api/rooms/quiet/messages", Some(KEY), None);
    assert_eq!(page["messages"].as_array().unwrap().len(), 3);
    // A joiner gets them as its backlog, in the same numbering.
    let (mut bob, welcome) = join(&server, "quiet", Some("bob")).await;
    assert_eq!(welcome["epoch"], page["epoch"]);
    assert_eq!(next(&mut bob).await["text"], "one");
}

#[tokio::test]
async fn delete_removes_a_member_with_4003() {
    let server = api_server();
    let (mut ann, _) = join(&server, "lobby", Some("ann")).await;
    let (mut bob, _) = join(&server, "lobby", Some("bob")).await;
    assert_eq!(next_of(&mut ann, "join").await["name"], "bob");
    let (status, body) = call(
        &server,
        "DELETE",
        "/api/rooms/lobby/users/bob",
        Some(KEY),
        None,
    );
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(close_code(&mut bob).await, Some(4003));
    assert_eq!(next_of(&mut ann, "leave").await["name"], "bob");
    assert_eq!(
        call(
            &server,
            "DELETE",
            "/api/rooms/lobby/users/bob",
            Some(KEY),
            None
        )
        .0,
        404
    );
    assert_eq!(
        call(
            &server,
            "DELETE",
            "/api/rooms/nowhere/users/x",
            Some(KEY),
            None
        )
        .0,
        404
    );
}

#[test]
fn bad_bodies_are_400_and_big_ones_413() {
    let server = api_server();
    let path = "/api/rooms/lobby/messages";
    let long = json!({ "text": "x".repeat(4097) }).to_string();
    for body in ["not json", "[]", r#"{"from":"a"}"#, r#"{"text":7}"#, &long] {
        let (status, answer) = call(&server, "POST", path, Some(KEY), Some(body));
        assert_eq!(status, 400, "{body:.40}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let huge = json!({ "text": "x".repeat(70 << 10) }).to_string();
    let (status, answer) = call(&server, "POST", path, Some(KEY), Some(&huge));
    assert_eq!(status, 413, "{answer}");
    assert_eq!(call(&server, "PUT", path, Some(KEY), Some("{}")).0, 405);
}

#[test]
fn a_key_has_a_members_rate_and_calls_are_counted() {
    let server = api_server();
    let statuses: Vec<u16> = (0..120)
        .map(|_| call(&server, "GET", "/api/rooms/r/users", Some(KEY), None).0)
        .collect();
    assert_eq!(statuses[0], 200);
    assert!(statuses.contains(&429), "120 calls at once, burst 50");
    // The other key has its own bucket.
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/rooms/r/users",
            Some("other-key"),
            None
        )
        .0,
        200
    );
    let metrics =
        server.wait_for_metric("ws_api_requests_total{endpoint=\"users\",status=\"429\"}");
    assert!(
        metrics.contains("ws_api_requests_total{endpoint=\"users\",status=\"200\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn with_redis_a_publish_reaches_every_node_with_one_seq() {
    let Some(redis) = common::redis::Redis::start() else {
        return;
    };
    let a = common::redis::node(&redis, &["--api-key", KEY]);
    let b = common::redis::node(&redis, &["--api-key", KEY]);
    common::redis::wait_health(&a, "ok");
    common::redis::wait_health(&b, "ok");
    let (mut ann, _) = join(&a, "lobby", Some("ann")).await;
    let (mut bob, _) = join(&b, "lobby", Some("bob")).await;
    let (status, body) = call(
        &a,
        "POST",
        "/api/rooms/lobby/messages",
        Some(KEY),
        Some(r#"{"text":"from a backend"}"#),
    );
    assert_eq!(status, 202, "{body}");
    let seq = body["seq"].clone();
    for ws in [&mut ann, &mut bob] {
        let message = next_of(ws, "message").await;
        assert_eq!(
            (&message["text"], &message["seq"]),
            (&json!("from a backend"), &seq)
        );
    }
    // The other node sees every node's members and the shared history.
    let (_, users) = call(&b, "GET", "/api/rooms/lobby/users", Some(KEY), None);
    assert_eq!(users["users"], json!(["ann", "bob"]));
    let (_, page) = call(&b, "GET", "/api/rooms/lobby/messages", Some(KEY), None);
    let texts: Vec<_> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].clone())
        .collect();
    assert_eq!(texts, [seq]);
}

#[tokio::test]
async fn with_redis_delete_removes_a_member_on_another_node() {
    let Some(redis) = common::redis::Redis::start() else {
        return;
    };
    let a = common::redis::node(&redis, &["--api-key", KEY]);
    let b = common::redis::node(&redis, &["--api-key", KEY]);
    let (mut ann, _) = join(&a, "lobby", Some("ann")).await;
    let (mut bob, _) = join(&b, "lobby", Some("bob")).await;
    assert_eq!(next_of(&mut ann, "join").await["name"], "bob");
    let (status, _) = call(&a, "DELETE", "/api/rooms/lobby/users/bob", Some(KEY), None);
    assert_eq!(status, 204);
    assert_eq!(close_code(&mut bob).await, Some(4003));
    assert_eq!(next_of(&mut ann, "leave").await["name"], "bob");
    assert_eq!(
        call(
            &a,
            "DELETE",
            "/api/rooms/lobby/users/nobody",
            Some(KEY),
            None
        )
        .0,
        404
    );
}

#[test]
fn expect_100_continue_is_answered() {
    use std::io::{Read, Write};
    let server = api_server();
    let body = r#"{"text":"after a 100"}"#;
    let mut stream = server.connect();
    let head = format!(
        "POST /api/rooms/lobby/messages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {KEY}\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(body.as_bytes()).unwrap();
    let mut rest = String::new();
    let _ = stream.read_to_string(&mut rest);
    assert!(rest.starts_with("HTTP/1.1 202"), "{rest}");
}
