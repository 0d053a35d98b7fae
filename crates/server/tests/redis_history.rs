//! `--redis`: room history, resume and `id` deduplication across nodes
//! (`docs/server-interface.md` §4.6 and §6), with a real `redis-server`:
//! one numbering for a room whichever node its messages come from, a
//! resume on another node than the one a member was on (also after that
//! node was killed), and a history that outlives every node.
//!
//! Skipped without `redis-server` on the PATH, as in `redis.rs`.

mod common;

use common::Server;
use common::chat::{Ws, connect, next, send};
use common::redis::{Redis, node};
use serde_json::{Value, json};
use ws_tokio::CloseCode;

async fn join_with(server: &Server, room: &str, query: &str) -> (Ws, Value) {
    let mut ws = connect(server, &format!("/chat/{room}?{query}")).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    (ws, welcome)
}

async fn say(ws: &mut Ws, text: &str, id: Option<&str>) {
    let mut message = json!({"type": "message", "text": text});
    if let Some(id) = id {
        message["id"] = json!(id);
    }
    send(ws, &message).await;
}

/// The `message` events up to the one whose text is `marker`, included.
async fn messages_until(ws: &mut Ws, marker: &str) -> Vec<Value> {
    let mut messages = Vec::new();
    loop {
        let event = next(ws).await;
        if event["type"] == "message" {
            let done = event["text"] == marker;
            messages.push(event);
            if done {
                return messages;
            }
        }
    }
}

/// The next `ack`, skipping other events.
async fn ack(ws: &mut Ws) -> Value {
    loop {
        let event = next(ws).await;
        if event["type"] == "ack" {
            return event;
        }
    }
}

/// What a joiner got before anything live (see `tests/history.rs`).
async fn backlog_of(ws: &mut Ws, marker: &str) -> Vec<Value> {
    say(ws, marker, None).await;
    let mut messages = messages_until(ws, marker).await;
    messages.pop();
    messages
}

fn seqs(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn one_numbering_resume_and_dedup_across_nodes() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = (node(&redis, &[]), node(&redis, &[]));
    let (mut ann, welcome) = join_with(&a, "r", "name=ann").await;
    let epoch = welcome["epoch"].as_str().unwrap().to_owned();
    assert_eq!(welcome["seq"], 0);
    let (mut bob, welcome) = join_with(&b, "r", "name=bob").await;
    assert_eq!(welcome["epoch"], epoch, "one epoch on every node");
    say(&mut ann, "one", Some("a-1")).await;
    let seen = messages_until(&mut bob, "one").await;
    say(&mut bob, "two", None).await;
    let mut seen_by_bob = seen;
    seen_by_bob.extend(messages_until(&mut bob, "two").await);
    assert_eq!(
        seqs(&seen_by_bob),
        [1, 2],
        "numbered in one order across nodes"
    );
    assert_eq!(seen_by_bob[0]["id"], "a-1");
    // ann gets her ack and both messages; with --redis the ack may come
    // before or after her own copy.
    let (mut acks, mut seen) = (Vec::new(), Vec::new());
    while acks.is_empty() || seen.len() < 2 {
        let event = next(&mut ann).await;
        match event["type"].as_str() {
            Some("ack") => acks.push(event),
            Some("message") => seen.push(event),
            _ => {}
        }
    }
    assert_eq!(acks, [json!({"type": "ack", "id": "a-1", "seq": 1})]);
    assert_eq!(seqs(&seen), [1, 2]);

    // bob drops; two more; he resumes on the other node.
    bob.close(CloseCode::NORMAL, "").await.unwrap();
    say(&mut ann, "three", None).await;
    say(&mut ann, "four", None).await;
    messages_until(&mut ann, "four").await;
    let (mut bob, welcome) = join_with(&a, "r", &format!("name=bob&since=2&epoch={epoch}")).await;
    assert_eq!(welcome["recovered"], true, "{welcome}");
    assert_eq!(welcome["seq"], 4);
    say(&mut ann, "live", None).await;
    assert_eq!(seqs(&messages_until(&mut bob, "live").await), [3, 4, 5]);

    // The same id from the other node, under another name: only an ack.
    let (mut again, _) = join_with(&b, "r", "name=cy&backlog=0").await;
    say(&mut again, "one", Some("a-1")).await;
    assert_eq!(
        ack(&mut again).await,
        json!({"type": "ack", "id": "a-1", "seq": 1})
    );
    say(&mut again, "after", None).await;
    assert_eq!(seqs(&messages_until(&mut bob, "after").await), [6]);

    // A resume that cannot be exact says so, on any node.
    let (mut lost, welcome) = join_with(&b, "r", "since=2&epoch=elsewhere&backlog=2").await;
    assert_eq!(welcome["recovered"], false);
    assert_eq!(seqs(&backlog_of(&mut lost, "x").await), [5, 6]);
    let metrics = b.get("/metrics").1;
    assert!(
        metrics.contains("ws_chat_deduplicated_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ws_chat_resumes_total{recovered=\"false\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn history_outlives_every_node_and_a_killed_nodes_members_resume_elsewhere() {
    let Some(redis) = Redis::start() else { return };
    let a = node(&redis, &["--history", "3"]);
    let (mut ann, welcome) = join_with(&a, "r", "name=ann").await;
    let epoch = welcome["epoch"].as_str().unwrap().to_owned();
    for text in ["m1", "m2", "m3", "m4"] {
        say(&mut ann, text, Some(text)).await;
    }
    messages_until(&mut ann, "m4").await;
    drop(ann);
    drop(a); // SIGKILL: no node is left.

    let b = node(&redis, &["--history", "3"]);
    let (mut fresh, welcome) = join_with(&b, "r", "name=bob").await;
    assert_eq!(welcome["epoch"], epoch, "the numbering lives in Redis");
    assert_eq!(welcome["seq"], 4);
    assert_eq!(
        seqs(&backlog_of(&mut fresh, "b").await),
        [2, 3, 4],
        "--history 3"
    );
    let (mut ann, welcome) = join_with(&b, "r", &format!("name=ann&since=3&epoch={epoch}")).await;
    assert_eq!(welcome["recovered"], true);
    assert_eq!(seqs(&backlog_of(&mut ann, "a").await), [4, 5]);
    let (_, welcome) = join_with(&b, "r", &format!("since=1&epoch={epoch}")).await;
    assert_eq!(welcome["recovered"], false, "seq 2 is no longer kept");
    // m4's id is still kept: re-sent after the crash, it is not posted again.
    say(&mut ann, "m4", Some("m4")).await;
    assert_eq!(ack(&mut ann).await["seq"], 4);
}
