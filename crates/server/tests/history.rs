//! Room history, resume and acknowledged sends
//! (`docs/server-interface.md` §4.6), checked against the real binary:
//! numbering, the backlog of a fresh join, exact resumes and every way a
//! resume can fail, the seam between replay and live traffic, `id`s and
//! their `ack`s, malformed queries, and a 1000-message replay that does not
//! hold up the room.

mod common;

use std::collections::HashSet;

use common::chat::{Ws, connect, next, send};
use common::{Server, upgrade_request};
use serde_json::{Value, json};
use ws_tokio::CloseCode;

/// Joins with the whole query `query` (after `?`); returns the socket and
/// its `welcome`.
async fn join_with(server: &Server, room: &str, query: &str) -> (Ws, Value) {
    let mut ws = connect(server, &format!("/chat/{room}?{query}")).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    (ws, welcome)
}

/// Sends a room message with an `id`.
async fn say_id(ws: &mut Ws, text: &str, id: &str) {
    send(ws, &json!({"type": "message", "text": text, "id": id})).await;
}

async fn say(ws: &mut Ws, text: &str) {
    send(ws, &json!({"type": "message", "text": text})).await;
}

/// The `message` events up to and including the one whose text is
/// `marker` (other events skipped).
async fn messages_until(ws: &mut Ws, marker: &str) -> Vec<Value> {
    let mut messages = Vec::new();
    loop {
        let event = next(ws).await;
        if event["type"] != "message" {
            continue;
        }
        let done = event["text"] == marker;
        messages.push(event);
        if done {
            return messages;
        }
    }
}

/// What a joiner got before anything live: it says `marker` and collects
/// the messages up to it, which is dropped from the result.
async fn backlog_of(ws: &mut Ws, marker: &str) -> Vec<Value> {
    say(ws, marker).await;
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

fn texts(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect()
}

/// `ann` says `count` messages `m1`, `m2`, … into `room` and leaves;
/// returns the room's epoch.
async fn fill(server: &Server, room: &str, count: usize) -> String {
    let (mut ann, welcome) = join_with(server, room, "name=ann&backlog=0").await;
    for i in 1..=count {
        say(&mut ann, &format!("m{i}")).await;
    }
    messages_until(&mut ann, &format!("m{count}")).await;
    ann.close(CloseCode::NORMAL, "").await.unwrap();
    welcome["epoch"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn messages_are_numbered_and_welcome_says_where_the_room_stands() {
    let server = Server::start(&[]);
    let (mut ann, welcome) = join_with(&server, "r", "name=ann").await;
    assert_eq!(welcome["seq"], 0);
    assert_eq!(welcome["recovered"], false);
    let epoch = welcome["epoch"].as_str().expect("epoch is a string");
    assert!(!epoch.is_empty());
    for text in ["a", "b", "c"] {
        say(&mut ann, text).await;
    }
    let seen = messages_until(&mut ann, "c").await;
    assert_eq!(seqs(&seen), [1, 2, 3]);
    let (mut bob, welcome) = join_with(&server, "r", "name=bob").await;
    assert_eq!(welcome["seq"], 3);
    assert_eq!(welcome["epoch"], epoch, "one numbering per room");
    assert_eq!(welcome["recovered"], false);
    let backlog = backlog_of(&mut bob, "here").await;
    assert_eq!(texts(&backlog), ["a", "b", "c"]);
    assert_eq!(backlog, seen, "the backlog is the messages as they were");
    let (_, other) = join_with(&server, "other", "name=cy").await;
    assert_eq!(other["seq"], 0, "another room, another numbering");
    assert_ne!(other["epoch"], epoch);
}

#[tokio::test]
async fn a_fresh_join_gets_the_last_50_or_backlog_k() {
    let server = Server::start(&[]);
    // 60 messages: more than one member's burst of 50.
    let epoch = fill(&server, "r", 30).await;
    let (mut bob, _) = join_with(&server, "r", "name=bob&backlog=0").await;
    for i in 31..=60 {
        say(&mut bob, &format!("m{i}")).await;
    }
    messages_until(&mut bob, "m60").await;
    let (mut fresh, welcome) = join_with(&server, "r", "name=cy").await;
    assert_eq!(welcome["epoch"], epoch);
    assert_eq!(welcome["seq"], 60);
    let backlog = backlog_of(&mut fresh, "x").await;
    assert_eq!(seqs(&backlog), (11..=60).collect::<Vec<_>>());
    let (mut five, _) = join_with(&server, "r", "name=dee&backlog=5").await;
    assert_eq!(
        seqs(&backlog_of(&mut five, "y").await),
        [57, 58, 59, 60, 61]
    );
    let (mut none, _) = join_with(&server, "r", "name=eve&backlog=0").await;
    assert!(backlog_of(&mut none, "z").await.is_empty());
    let (mut all, _) = join_with(&server, "r", "name=flo&backlog=1000").await;
    assert_eq!(backlog_of(&mut all, "w").await.len(), 63);
}

#[tokio::test]
async fn history_n_bounds_the_backlog_and_zero_turns_it_off() {
    let server = Server::start(&["--history", "4"]);
    let epoch = fill(&server, "r", 10).await;
    let (mut bob, welcome) = join_with(&server, "r", "name=bob").await;
    assert_eq!(welcome["seq"], 10);
    assert_eq!(seqs(&backlog_of(&mut bob, "x").await), [7, 8, 9, 10]);
    let (mut old, welcome) = join_with(&server, "r", &format!("since=2&epoch={epoch}")).await;
    assert_eq!(welcome["recovered"], false, "seq 3 is no longer kept");
    assert_eq!(seqs(&backlog_of(&mut old, "y").await), [8, 9, 10, 11]);

    let server = Server::start(&["--history", "0"]);
    let (mut ann, welcome) = join_with(&server, "r", "name=ann").await;
    let epoch = welcome["epoch"].as_str().unwrap().to_owned();
    say_id(&mut ann, "kept?", "k1").await;
    let first = messages_until(&mut ann, "kept?").await;
    assert_eq!(seqs(&first), [1], "numbered even without history");
    let (mut bob, welcome) = join_with(&server, "r", &format!("since=0&epoch={epoch}")).await;
    assert_eq!(welcome["recovered"], false, "history 0: no resume");
    assert!(backlog_of(&mut bob, "b").await.is_empty(), "and no backlog");
}

#[tokio::test]
async fn a_resume_replays_exactly_what_was_missed_then_live() {
    let server = Server::start(&[]);
    let (mut ann, welcome) = join_with(&server, "r", "name=ann").await;
    let epoch = welcome["epoch"].as_str().unwrap().to_owned();
    let (mut bob, _) = join_with(&server, "r", "name=bob").await;
    for i in 1..=5 {
        say(&mut ann, &format!("m{i}")).await;
    }
    let seen = messages_until(&mut bob, "m5").await;
    let since = seen.last().unwrap()["seq"].as_u64().unwrap();
    bob.close(CloseCode::NORMAL, "").await.unwrap();
    for i in 6..=12 {
        say(&mut ann, &format!("m{i}")).await;
    }
    messages_until(&mut ann, "m12").await;
    let query = format!("name=bob&since={since}&epoch={epoch}");
    let (mut bob, welcome) = join_with(&server, "r", &query).await;
    assert_eq!(welcome["recovered"], true, "{welcome}");
    assert_eq!(welcome["seq"], 12);
    say(&mut ann, "live").await;
    let caught = messages_until(&mut bob, "live").await;
    assert_eq!(seqs(&caught), (6..=13).collect::<Vec<_>>());
    assert_eq!(caught[0]["text"], "m6");
    // Nothing missed: recovered, and nothing replayed.
    let query = format!("name=cy&since=13&epoch={epoch}");
    let (mut cy, welcome) = join_with(&server, "r", &query).await;
    assert_eq!(welcome["recovered"], true);
    assert!(backlog_of(&mut cy, "c").await.is_empty());
    let metrics = server.get("/metrics").1;
    assert!(
        metrics.contains("ws_chat_resumes_total{recovered=\"true\"} 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ws_chat_backlog_messages_total 7\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn resumes_that_cannot_be_exact_say_so_and_send_the_backlog() {
    let server = Server::start(&[]);
    let epoch = fill(&server, "r", 3).await;
    for query in [
        format!("since=99&epoch={epoch}"),
        "since=1&epoch=not-this-room".to_owned(),
        "since=1".to_owned(),
    ] {
        let (mut ws, welcome) = join_with(&server, "r", &query).await;
        assert_eq!(welcome["recovered"], false, "{query}");
        assert_eq!(welcome["epoch"], epoch);
        let backlog = backlog_of(&mut ws, &query).await;
        assert_eq!(texts(&backlog)[..3], ["m1", "m2", "m3"], "{query}");
        ws.close(CloseCode::NORMAL, "").await.unwrap();
    }
    // An epoch without since is a fresh join.
    let (_, welcome) = join_with(&server, "r", &format!("epoch={epoch}")).await;
    assert_eq!(welcome["recovered"], false);
    let metrics = server.wait_for_metric("recovered=\"false\"} 3\n");
    assert!(
        metrics.contains("ws_chat_resumes_total{recovered=\"false\"} 3\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_emptied_room_keeps_its_history() {
    let server = Server::start(&[]);
    let epoch = fill(&server, "r", 2).await;
    assert!(
        server
            .wait_for_metric("ws_chat_members 0\n")
            .contains("ws_chat_rooms 1\n"),
        "everyone left; the room stays"
    );
    let query = format!("name=bob&since=1&epoch={epoch}");
    let (mut bob, welcome) = join_with(&server, "r", &query).await;
    assert_eq!(welcome["recovered"], true);
    assert_eq!(welcome["seq"], 2, "and its numbering");
    assert_eq!(texts(&backlog_of(&mut bob, "b").await), ["m2"]);
}

#[tokio::test]
async fn an_emptied_room_whose_history_expired_starts_a_new_epoch() {
    let server = Server::start(&["--history-ttl", "1"]);
    let epoch = fill(&server, "r", 2).await;
    // Past the TTL, the emptied room is gone: a new numbering, a new epoch.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let query = format!("name=bob&since=2&epoch={epoch}");
    let (mut bob, welcome) = join_with(&server, "r", &query).await;
    assert_eq!(welcome["recovered"], false);
    assert_eq!(welcome["seq"], 0);
    assert_ne!(welcome["epoch"], epoch.as_str());
    assert!(
        backlog_of(&mut bob, "c")
            .await
            .iter()
            .all(|m| m["seq"] == 1)
    );
}

#[tokio::test]
async fn an_id_is_acknowledged_with_its_seq_and_never_delivered_twice() {
    let server = Server::start(&[]);
    let (mut ann, _) = join_with(&server, "r", "name=ann").await;
    let (mut bob, _) = join_with(&server, "r", "name=bob").await;
    say_id(&mut ann, "hello", "id-1").await;
    let message = messages_until(&mut bob, "hello").await.pop().unwrap();
    assert_eq!(message["id"], "id-1", "the room sees the sender's id");
    assert_eq!(message["seq"], 1);
    let mut acks = Vec::new();
    while acks.is_empty() {
        let event = next(&mut ann).await;
        if event["type"] == "ack" {
            acks.push(event);
        }
    }
    assert_eq!(acks[0], json!({"type": "ack", "id": "id-1", "seq": 1}));
    // The same id again, from another connection and name: acknowledged
    // with the first seq, delivered to nobody.
    let (mut again, _) = join_with(&server, "r", "name=ann-again&backlog=0").await;
    say_id(&mut again, "hello", "id-1").await;
    let ack = loop {
        let event = next(&mut again).await;
        if event["type"] == "ack" {
            break event;
        }
        assert_ne!(event["type"], "message", "{event}");
    };
    assert_eq!(ack, json!({"type": "ack", "id": "id-1", "seq": 1}));
    say(&mut ann, "after").await;
    let seen = messages_until(&mut bob, "after").await;
    assert_eq!(seqs(&seen), [2], "the repeat was not delivered");
    // Another id is a new message.
    say_id(&mut ann, "hello", "id-2").await;
    let seen = messages_until(&mut bob, "hello").await;
    assert_eq!(seqs(&seen), [3]);
    let metrics = server.wait_for_metric("ws_chat_deduplicated_total 1\n");
    assert!(
        metrics.contains("ws_chat_deduplicated_total 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn malformed_ids_are_bad_requests() {
    let server = Server::start(&[]);
    let (mut ann, _) = join_with(&server, "r", "name=ann").await;
    for id in [json!(""), json!(7), json!(null), json!("x".repeat(65))] {
        send(&mut ann, &json!({"type": "message", "text": "t", "id": id})).await;
        let error = next(&mut ann).await;
        assert_eq!(error["type"], "error", "{id}: {error}");
        assert_eq!(error["code"], "bad_request");
    }
    say_id(&mut ann, "ok", &"é".repeat(64)).await;
    let ok = messages_until(&mut ann, "ok").await;
    assert_eq!(
        seqs(&ok),
        [1],
        "64 characters are fine, and nothing else got in"
    );
}

#[test]
fn malformed_since_epoch_or_backlog_get_400_before_the_upgrade() {
    let server = Server::start(&[]);
    for query in [
        "since=abc",
        "since=-1",
        "since=",
        "since=99999999999999999999999",
        "since=1&epoch=",
        "since=1&epoch=has%20space",
        "backlog=lots",
        "backlog=-5",
    ] {
        let (status, response) = server.request(&upgrade_request(&format!("/chat/r?{query}"), ""));
        assert_eq!(status, 400, "{query}: {response}");
        let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
        let field = query.rsplit('&').next().unwrap().split('=').next().unwrap();
        assert!(
            body.contains(field),
            "{query}: the reason names it: {body:?}"
        );
    }
    let (status, _) = server.get("/healthz");
    assert_eq!(status, 200, "still serving");
}

/// Messages keep arriving while a member resumes: it gets every one once,
/// in order, across the seam between the replay and the live traffic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_repeated_at_the_seam() {
    let server = Server::start(&[]);
    let (mut ann, welcome) = join_with(&server, "r", "name=ann").await;
    let epoch = welcome["epoch"].as_str().unwrap().to_owned();
    for i in 1..=10 {
        say(&mut ann, &format!("m{i}")).await;
    }
    messages_until(&mut ann, "m10").await;
    // 40 more go out while bob resumes from 5.
    let sender = tokio::spawn(async move {
        for i in 11..=50 {
            say(&mut ann, &format!("m{i}")).await;
        }
        messages_until(&mut ann, "m50").await;
        ann
    });
    let query = format!("name=bob&since=5&epoch={epoch}");
    let (mut bob, welcome) = join_with(&server, "r", &query).await;
    assert_eq!(welcome["recovered"], true);
    let seen = messages_until(&mut bob, "m50").await;
    assert_eq!(
        seqs(&seen),
        (6..=50).collect::<Vec<_>>(),
        "once each, in order"
    );
    let _ann = sender.await.unwrap();
}

/// 1000 kept messages replayed to one member that does not read: the
/// others go on chatting meanwhile, and it gets all of them when it does.
/// The replay (about 650 KB) is more than a member's queue may hold, so it
/// must not go through that queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_of_1000_messages_does_not_hold_up_the_room() {
    // Room for 1001: dave's join may come after carl's "still here".
    let server = Server::start(&["--history", "2000"]);
    let (mut carl, welcome) = join_with(&server, "r", "name=carl").await;
    let epoch = welcome["epoch"].as_str().unwrap().to_owned();
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < 1000 {
            let event = next(&mut carl).await;
            if event["type"] == "message" {
                seen.push(event);
            }
        }
        (carl, seen)
    });
    // 20 senders × 50 (each one's burst), at once.
    let pad = "p".repeat(600);
    let mut senders = Vec::new();
    for s in 0..20 {
        let (mut ws, _) = join_with(&server, "r", &format!("name=s{s}&backlog=0")).await;
        let pad = pad.clone();
        senders.push(tokio::spawn(async move {
            for i in 0..50 {
                say(&mut ws, &format!("s{s}-{i} {pad}")).await;
            }
            messages_until(&mut ws, &format!("s{s}-49 {pad}")).await;
            ws
        }));
    }
    for sender in senders {
        sender
            .await
            .unwrap()
            .close(CloseCode::NORMAL, "")
            .await
            .unwrap();
    }
    let (mut carl, all) = watcher.await.unwrap();
    assert_eq!(seqs(&all), (1..=1000).collect::<Vec<_>>());
    let query = format!("name=dave&since=0&epoch={epoch}");
    let mut dave = connect(&server, &format!("/chat/r?{query}")).await;
    // dave reads nothing yet; the room goes on.
    say(&mut carl, "still here").await;
    let live = messages_until(&mut carl, "still here").await;
    assert_eq!(seqs(&live), [1001]);
    let welcome = next(&mut dave).await;
    assert_eq!(welcome["recovered"], true, "{welcome}");
    let replay = messages_until(&mut dave, "still here").await;
    assert_eq!(seqs(&replay), (1..=1001).collect::<Vec<_>>());
    let unique: HashSet<&str> = texts(&replay).into_iter().collect();
    assert_eq!(unique.len(), 1001);
}

/// What 1000 rooms with full histories cost: RSS before and after filling
/// 1000 rooms with 1000 messages of 100 characters each. Minutes, and
/// meant for a release build:
///
///     cargo build --release -p ws-server
///     WS_SERVER_BIN=target/release/ws-server \
///       cargo test -p ws-server --test history -- --ignored --nocapture
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes: fills 1000 rooms with 1000 messages each"]
async fn memory_of_1000_full_histories() {
    const ROOMS: usize = 1000;
    const PER_ROOM: usize = 1000;
    // MEMORY_HISTORY=0: the same load without history, for the baseline
    // (what the allocator keeps from 20 000 connections come and gone).
    let history = std::env::var("MEMORY_HISTORY").unwrap_or_else(|_| "1000".into());
    let server = std::sync::Arc::new(Server::start(&["--history", &history]));
    let before = server.rss_kib();
    let text = "t".repeat(100);
    let mut workers = Vec::new();
    for w in 0..8 {
        let server = std::sync::Arc::clone(&server);
        let text = text.clone();
        workers.push(tokio::spawn(async move {
            for room in (w..ROOMS).step_by(8) {
                // 50 a connection: each one's burst, never rate limited.
                for c in 0..PER_ROOM / 50 {
                    let (mut ws, _) = join_with(&server, &format!("r{room}"), "backlog=0").await;
                    for i in 0..50 {
                        say_id(&mut ws, &text, &format!("{c}-{i}")).await;
                    }
                    loop {
                        let event = next(&mut ws).await;
                        if event["type"] == "ack" && event["id"] == format!("{c}-49") {
                            break;
                        }
                    }
                    ws.close(CloseCode::NORMAL, "").await.unwrap();
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let after = server.rss_kib();
    println!("--history {history}: RSS {before} KiB before, {after} KiB after");
    if history == "0" {
        return;
    }
    let (_, metrics) = server.get("/metrics");
    assert!(
        metrics.contains(&format!("ws_chat_rooms {ROOMS}\n")),
        "{metrics}"
    );
    let (mut probe, welcome) = join_with(&server, "r7", "backlog=1").await;
    assert_eq!(welcome["seq"], PER_ROOM as u64);
    let kept = backlog_of(&mut probe, "probe").await;
    assert_eq!(seqs(&kept), [PER_ROOM as u64]);
    let frame = kept[0].to_string().len();
    println!(
        "{ROOMS} rooms x {PER_ROOM} messages ({frame}-byte events): RSS {before} KiB before, \
         {after} KiB after: {} KiB, {} bytes per kept message",
        after - before,
        (after - before) * 1024 / (ROOMS * PER_ROOM) as u64
    );
}
