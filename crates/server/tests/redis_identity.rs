//! With `--redis` and tokens: the connections of one `sub` on two nodes
//! are one member (`docs/server-interface.md` §7, `docs/redis.md`
//! "Presence"): one name, one `join`, one entry in `users`, every event for
//! the member on each connection, and one `leave`, after the last
//! connection anywhere, also when a node holding some of them dies.
//! Skipped without `redis-server`, except in CI.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::Server;
use common::chat::{Ws, connect, next, next_of, say, send, users};
use common::redis::{PATIENCE, Redis, node};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

const SECRET: &str = "redis-identity-secret";

fn token(sub: &str) -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let claims = json!({"sub": sub, "rooms": ["*"], "exp": exp});
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

async fn join_as(server: &Server, room: &str, sub: &str) -> (Ws, Value) {
    let mut ws = connect(server, &format!("/chat/{room}?token={}", token(sub))).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    (ws, welcome)
}

const API_KEY: &str = "redis-identity-api-key";

fn nodes(redis: &Redis) -> (Server, Server) {
    let args = ["--auth-secret", SECRET, "--api-key", API_KEY];
    (node(redis, &args), node(redis, &args))
}

/// Waits until `name`'s presence entry in `room` has `n` connections
/// (`seq node:conn …`, `docs/redis.md`).
async fn wait_holders(redis: &Redis, room: &str, name: &str, n: usize) {
    let key = format!("ws:room:{room}:members");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let entry = redis.cli(&["HGET", &key, name]);
        if entry.split(' ').skip(1).filter(|h| !h.is_empty()).count() == n {
            return;
        }
        assert!(Instant::now() < deadline, "{name}: {entry:?}, not {n}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn close(mut ws: Ws) {
    ws.close(ws_tokio::CloseCode::NORMAL, "").await.ok();
}

#[tokio::test]
async fn one_sub_on_two_nodes_is_one_member() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = nodes(&redis);
    let (mut bob, _) = join_as(&a, "lobby", "bob").await;
    let (mut alice_a, _) = join_as(&a, "lobby", "alice").await;
    assert_eq!(next(&mut bob).await["name"], "alice");
    let (mut alice_b, welcome) = join_as(&b, "lobby", "alice").await;
    assert_eq!(welcome["name"], "alice", "never alice-2: {welcome}");
    assert_eq!(users(&welcome), ["bob", "alice"]);
    wait_holders(&redis, "lobby", "alice", 2).await;
    // No second `join`: bob's next event is the answer to his `who`,
    // which lists alice once.
    send(&mut bob, &json!({"type": "who"})).await;
    let listed = next(&mut bob).await;
    assert_eq!(listed["type"], "users", "{listed}");
    assert_eq!(users(&listed), ["bob", "alice"]);
    // A room message and a direct reach both connections, on both nodes.
    say(&mut bob, "hello").await;
    send(
        &mut bob,
        &json!({"type": "direct", "to": "alice", "text": "psst"}),
    )
    .await;
    for ws in [&mut alice_a, &mut alice_b] {
        assert_eq!(next_of(ws, "message").await["text"], "hello");
        assert_eq!(next_of(ws, "direct").await["text"], "psst");
    }
    assert_eq!(next_of(&mut bob, "message").await["text"], "hello");
    assert_eq!(next_of(&mut bob, "direct").await["text"], "psst");
    // alice's direct from node B: its copy reaches her connection on A.
    send(
        &mut alice_b,
        &json!({"type": "direct", "to": "bob", "text": "hi"}),
    )
    .await;
    for ws in [&mut bob, &mut alice_a, &mut alice_b] {
        let direct = next_of(ws, "direct").await;
        assert_eq!(
            (&direct["from"], &direct["text"]),
            (&json!("alice"), &json!("hi"))
        );
    }

    // Her connection on A goes: she stays, on B.
    close(alice_a).await;
    wait_holders(&redis, "lobby", "alice", 1).await;
    send(
        &mut bob,
        &json!({"type": "direct", "to": "alice", "text": "still?"}),
    )
    .await;
    assert_eq!(next_of(&mut alice_b, "direct").await["text"], "still?");
    let event = next_of(&mut bob, "direct").await;
    assert_eq!(event["text"], "still?", "no unknown_user: {event}");
    say(&mut bob, "after").await;
    let event = next(&mut bob).await;
    assert_eq!(event["text"], "after", "no leave before it: {event}");
    // The last one goes: one `leave`, and the name is gone from Redis.
    close(alice_b).await;
    assert_eq!(
        next(&mut bob).await,
        json!({"type": "leave", "room": "lobby", "name": "alice"})
    );
    wait_holders(&redis, "lobby", "alice", 0).await;
    say(&mut bob, "alone").await;
    assert_eq!(next(&mut bob).await["text"], "alone", "one leave only");
}

#[tokio::test]
async fn a_killed_node_takes_only_its_connections_of_a_member() {
    let Some(redis) = Redis::start() else { return };
    let (mut a, b) = nodes(&redis);
    let (_bob, _) = join_as(&a, "r", "bob").await;
    let (_alice_a, _) = join_as(&a, "r", "alice").await;
    let (mut carl, _) = join_as(&b, "r", "carl").await;
    let (mut alice_b, _) = join_as(&b, "r", "alice").await;
    a.child.kill().unwrap(); // SIGKILL: nothing cleaned up
    a.child.wait().unwrap();
    // bob was only on A: he leaves. alice is still on B: she does not.
    let left = next_of(&mut carl, "leave").await;
    assert_eq!(left["name"], "bob", "{left}");
    send(&mut carl, &json!({"type": "who"})).await;
    assert_eq!(users(&next_of(&mut carl, "users").await), ["alice", "carl"]);
    wait_holders(&redis, "r", "alice", 1).await;
    say(&mut alice_b, "still here").await;
    let event = next(&mut carl).await;
    assert_eq!(event["text"], "still here", "no leave for alice: {event}");
}

/// The same across nodes: the slow connection on A is dropped alone, and
/// the member, still on B, leaves only when that one goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_connection_on_one_node_is_dropped_alone() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = nodes(&redis);
    let path = |sub: &str| format!("/chat/flood?token={}", token(sub));
    let floods: Vec<String> = (0..10).map(|i| path(&format!("f{i}"))).collect();
    common::slow::a_slow_connection_is_dropped_alone(
        (&a, &path("hana")),
        (&b, &path("hana")),
        (&a, &floods),
        "hana",
    )
    .await;
}

/// The status and JSON body of an API call.
fn api(server: &Server, method: &str, path: &str) -> (u16, Value) {
    let raw =
        format!("{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {API_KEY}\r\n\r\n");
    let (status, response) = server.request(&raw);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The close code the server ends `ws` with.
async fn close_code(ws: &mut Ws) -> Option<u16> {
    tokio::time::timeout(PATIENCE, async {
        loop {
            match ws.recv().await {
                Some(Ok(ws_tokio::Message::Close(frame))) => return frame.map(|f| f.code.0),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("the server closes")
}

/// The API on either node sees one member, and `DELETE` closes each of
/// its connections on both nodes with 4003; the others hear one `leave`.
#[tokio::test]
async fn the_api_lists_and_removes_a_member_on_every_node() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = nodes(&redis);
    let (mut bob, _) = join_as(&a, "lobby", "bob").await;
    let (mut alice_a, _) = join_as(&a, "lobby", "alice").await;
    let (mut alice_b, _) = join_as(&b, "lobby", "alice").await;
    wait_holders(&redis, "lobby", "alice", 2).await;
    for server in [&a, &b] {
        let (status, listed) = api(server, "GET", "/api/rooms/lobby/users");
        assert_eq!((status, &listed["users"]), (200, &json!(["bob", "alice"])));
    }
    assert_eq!(api(&b, "DELETE", "/api/rooms/lobby/users/alice").0, 204);
    assert_eq!(close_code(&mut alice_a).await, Some(4003));
    assert_eq!(close_code(&mut alice_b).await, Some(4003));
    let left = next_of(&mut bob, "leave").await;
    assert_eq!(left["name"], "alice");
    wait_holders(&redis, "lobby", "alice", 0).await;
    say(&mut bob, "alone").await;
    assert_eq!(next(&mut bob).await["text"], "alone", "one leave only");
    let (_, listed) = api(&a, "GET", "/api/rooms/lobby/users");
    assert_eq!(listed["users"], json!(["bob"]));
}
