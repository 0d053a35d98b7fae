//! `--redis`: two `ws-server` nodes sharing rooms through a real
//! `redis-server` (Debian's package), started by each test on a free port
//! as a child process (no persistence, killed at the end).
//!
//! Without `redis-server` on the PATH these tests are skipped with a
//! message, except in CI (`CI=true`), where that is a failure: `.ci/run`
//! installs it.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Server;
use common::chat::{Ws, join, next, send, users};
use common::logs::Logged;
use common::redis::{PATIENCE, Redis, TTL_SECS, node, wait_health};
use serde_json::json;

/// Nothing arrives within `wait`.
async fn quiet(ws: &mut Ws, wait: Duration) {
    if let Ok(event) = tokio::time::timeout(wait, next(ws)).await {
        panic!("unexpected event {event}");
    }
}

fn metric(server: &Server, name: &str) -> u64 {
    let (_, text) = server.get("/metrics");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn two_nodes_share_members_messages_and_directs() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = (node(&redis, &[]), node(&redis, &[]));
    let (mut ann, welcome) = join(&a, "lobby", Some("ann")).await;
    assert_eq!(users(&welcome), ["ann"]);
    let (mut bob, welcome) = join(&b, "lobby", Some("bob")).await;
    assert_eq!(users(&welcome), ["ann", "bob"], "presence across nodes");
    assert_eq!(
        next(&mut ann).await,
        json!({"type": "join", "room": "lobby", "name": "bob"})
    );
    // Names are unique across nodes.
    let (mut ann2, welcome) = join(&b, "lobby", Some("ann")).await;
    assert_eq!(welcome["name"], "ann-2");
    assert_eq!(users(&welcome), ["ann", "bob", "ann-2"]);
    assert_eq!(next(&mut ann).await["name"], "ann-2");
    assert_eq!(next(&mut bob).await["name"], "ann-2");

    // A room message reaches every member on both nodes, once.
    send(&mut ann, &json!({"type": "message", "text": "hi all"})).await;
    for ws in [&mut ann, &mut bob, &mut ann2] {
        let m = next(ws).await;
        assert_eq!(
            (m["type"].as_str(), m["from"].as_str()),
            (Some("message"), Some("ann"))
        );
        assert_eq!(m["text"], "hi all");
        assert!(m["ts"].is_u64());
    }
    // A direct message crosses nodes; the sender gets its copy.
    send(
        &mut bob,
        &json!({"type": "direct", "to": "ann", "text": "psst"}),
    )
    .await;
    for ws in [&mut ann, &mut bob] {
        let d = next(ws).await;
        assert_eq!(
            (&d["type"], &d["from"], &d["to"], &d["text"]),
            (
                &json!("direct"),
                &json!("bob"),
                &json!("ann"),
                &json!("psst")
            )
        );
    }
    send(
        &mut bob,
        &json!({"type": "direct", "to": "nobody", "text": "x"}),
    )
    .await;
    assert_eq!(next(&mut bob).await["code"], "unknown_user");
    // `who` on either node lists everyone, in join order.
    send(&mut ann, &json!({"type": "who"})).await;
    assert_eq!(users(&next(&mut ann).await), ["ann", "bob", "ann-2"]);
    quiet(&mut ann2, Duration::from_millis(200)).await;

    // Leaving is seen on the other node.
    bob.close(ws_tokio::CloseCode::NORMAL, "").await.unwrap();
    drop(bob);
    assert_eq!(
        next(&mut ann).await,
        json!({"type": "leave", "room": "lobby", "name": "bob"})
    );
    assert_eq!(next(&mut ann2).await["name"], "bob");
    // Its name is free again, on any node.
    let (_bob_again, welcome) = join(&a, "lobby", Some("bob")).await;
    assert_eq!(welcome["name"], "bob");
    assert!(metric(&a, "ws_redis_up") == 1 && metric(&b, "ws_redis_up") == 1);
    assert_eq!(metric(&a, "ws_redis_publish_failures_total"), 0);
}

#[tokio::test]
async fn one_order_per_room_on_every_node() {
    let Some(redis) = Redis::start() else { return };
    let (a, b) = (node(&redis, &[]), node(&redis, &[]));
    let mut members = Vec::new();
    for (i, server) in [&a, &b, &a, &b].into_iter().enumerate() {
        members.push(join(server, "race", Some(&format!("m{i}"))).await.0);
    }
    // Drain the joins: member i hears 3 - i of them.
    for (i, ws) in members.iter_mut().enumerate() {
        for _ in i..3 {
            assert_eq!(next(ws).await["type"], "join");
        }
    }
    // Two senders on two nodes, at the same time, within the rate limit.
    const EACH: usize = 40;
    let (mut s0, mut rest) = (members.remove(0), members);
    let mut s1 = rest.remove(0);
    let send_all = async |ws: &mut Ws, who: &str| {
        for n in 0..EACH {
            send(
                ws,
                &json!({"type": "message", "text": format!("{who}:{n}")}),
            )
            .await;
        }
    };
    let (mut seen0, mut seen1) = (Vec::new(), Vec::new());
    tokio::join!(
        async {
            send_all(&mut s0, "a").await;
            for _ in 0..2 * EACH {
                seen0.push(next(&mut s0).await["text"].as_str().unwrap().to_owned());
            }
        },
        async {
            send_all(&mut s1, "b").await;
            for _ in 0..2 * EACH {
                seen1.push(next(&mut s1).await["text"].as_str().unwrap().to_owned());
            }
        },
    );
    for ws in &mut rest {
        let mut seen = Vec::new();
        for _ in 0..2 * EACH {
            seen.push(next(ws).await["text"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen, seen0, "one order on every node");
        quiet(ws, Duration::from_millis(200)).await;
    }
    assert_eq!(seen1, seen0, "one order on every node");
    // Each sender's messages in the order sent, none twice.
    for who in ["a", "b"] {
        let own: Vec<&String> = seen0.iter().filter(|t| t.starts_with(who)).collect();
        let expected: Vec<String> = (0..EACH).map(|n| format!("{who}:{n}")).collect();
        assert_eq!(own, expected.iter().collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn members_of_a_killed_node_leave_within_the_ttl() {
    let Some(redis) = Redis::start() else { return };
    let a = node(&redis, &[]);
    let mut b = node(&redis, &[]);
    let (mut ann, _) = join(&a, "r", Some("ann")).await;
    let (_carl, _) = join(&b, "r", Some("carl")).await;
    let (_dora, _) = join(&b, "r", Some("dora")).await;
    for _ in 0..2 {
        assert_eq!(next(&mut ann).await["type"], "join");
    }
    let killed = Instant::now();
    b.child.kill().unwrap(); // SIGKILL: no leave, no cleanup
    b.child.wait().unwrap();
    let mut left = Vec::new();
    for _ in 0..2 {
        let event = next(&mut ann).await;
        assert_eq!(event["type"], "leave", "{event}");
        left.push(event["name"].as_str().unwrap().to_owned());
    }
    let took = killed.elapsed();
    left.sort();
    assert_eq!(left, ["carl", "dora"]);
    // The TTL, then at most a third of it until the next refresh, plus
    // slack for a loaded machine.
    assert!(
        took < Duration::from_secs(TTL_SECS * 2 + 2),
        "leave after {took:?}"
    );
    send(&mut ann, &json!({"type": "who"})).await;
    assert_eq!(users(&next(&mut ann).await), ["ann"]);
    let (_carl_again, welcome) = join(&a, "r", Some("carl")).await;
    assert_eq!(welcome["name"], "carl", "the name is free again");
    assert_eq!(metric(&a, "ws_redis_reaped_total"), 2);
}

#[tokio::test]
async fn redis_restart_degrades_then_delivery_resumes() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let (a, b) = (node(&redis, &[]), node(&redis, &[]));
    let (mut ann, _) = join(&a, "r", Some("ann")).await;
    let (mut bob, _) = join(&b, "r", Some("bob")).await;
    assert_eq!(next(&mut ann).await["name"], "bob");

    redis.kill();
    wait_health(&a, "degraded: redis unavailable");
    wait_health(&b, "degraded: redis unavailable");
    assert_eq!(metric(&a, "ws_redis_up"), 0);
    // Local rooms keep working: a newcomer on A, messages on A.
    let (mut amy, welcome) = join(&a, "r", Some("amy")).await;
    assert_eq!(users(&welcome), ["ann", "amy"], "only A's members now");
    assert_eq!(next(&mut ann).await["name"], "amy");
    send(&mut ann, &json!({"type": "message", "text": "still here"})).await;
    assert_eq!(next(&mut ann).await["text"], "still here");
    assert_eq!(next(&mut amy).await["text"], "still here");
    quiet(&mut bob, Duration::from_millis(300)).await;
    // The failed commands are counted (here: the presence refresh, every
    // third of the TTL).
    let deadline = Instant::now() + PATIENCE;
    while metric(&a, "ws_redis_publish_failures_total") == 0 {
        assert!(Instant::now() < deadline, "no failure counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    redis.restart();
    wait_health(&a, "ok");
    wait_health(&b, "ok");
    // Presence is written back, and messages cross nodes again.
    send(&mut bob, &json!({"type": "message", "text": "back"})).await;
    for ws in [&mut ann, &mut amy, &mut bob] {
        assert_eq!(next(ws).await["text"], "back");
    }
    send(&mut bob, &json!({"type": "who"})).await;
    let mut all = users(&next(&mut bob).await)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    all.sort();
    assert_eq!(all, ["amy", "ann", "bob"]);
    assert!(metric(&a, "ws_redis_reconnects_total") >= 1);
}

#[test]
fn without_redis_healthz_is_ok_and_there_are_no_redis_metrics() {
    let server = Server::start(&[]);
    let (status, text) = server.get("/healthz");
    assert_eq!(status, 200);
    assert!(text.ends_with("\r\n\r\nok"), "{text}");
    let (_, metrics) = server.get("/metrics");
    assert!(!metrics.contains("ws_redis"), "{metrics}");
}

#[test]
fn a_node_starts_degraded_while_redis_is_away() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let server = Server::start(&["--redis", &url]);
    wait_health(&server, "degraded: redis unavailable");
}

#[test]
fn a_bad_redis_url_is_refused_at_start() {
    let bin = env!("CARGO_BIN_EXE_ws-server");
    let out = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--redis", "http://nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--redis"));
}

#[test]
fn the_log_says_when_redis_is_away_lost_and_back() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    redis.kill();
    let url = redis.url();
    let addr = format!("127.0.0.1:{}", redis.port());
    let patience = PATIENCE;
    let mut server = Logged::start(&["--listen", "127.0.0.1:0", "--redis", &url]);
    let away = server.wait_for("redis unreachable", patience);
    assert!(away.contains("WARN") && away.contains(&addr), "{away}");
    assert!(away.contains("retry_in"), "{away}");

    redis.restart();
    let back = server.wait_for("redis reachable", patience);
    assert!(back.contains("INFO") && back.contains(&addr), "{back}");

    redis.kill();
    let lost = server.wait_for("redis connection lost", patience);
    assert!(lost.contains("WARN") && lost.contains(&addr), "{lost}");
    redis.restart();
    server.wait_for("redis reachable", patience);
}
