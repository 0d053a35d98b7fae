//! The chat protocol of `docs/server-interface.md` §3.2 and §4
//! (`/chat/{room}?name=`), checked against the real binary: one test per
//! row of the protocol tables, then ordering, slow consumers, rate
//! limiting, abrupt drops, a 2000-member room, TLS, origin and connection
//! limits.
//!
//! Clients are ws-tokio clients (the wire itself is checked by contract.rs)
//! or, where a misbehaving client is needed, raw TCP.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::chat::{PATIENCE, join, next, next_of, say, send, users};
use common::{Server, read_close, read_frame, read_head, upgrade_request};
use serde_json::{Value, json};
use ws_tokio::{CloseCode, MaybeTlsStream, Message};

#[tokio::test]
async fn welcome_is_first_and_lists_everyone_including_you() {
    let server = Server::start(&[]);
    let (_ann, welcome) = join(&server, "lobby", Some("ann")).await;
    let epoch = welcome["epoch"].as_str().expect("an epoch").to_owned();
    assert_eq!(
        welcome,
        json!({"type": "welcome", "room": "lobby", "name": "ann", "users": ["ann"],
               "epoch": epoch, "seq": 0, "recovered": false})
    );
    let (_bob, welcome) = join(&server, "lobby", Some("bob")).await;
    assert_eq!(welcome["room"], "lobby");
    assert_eq!(welcome["name"], "bob");
    let mut names = users(&welcome);
    names.sort_unstable();
    assert_eq!(names, ["ann", "bob"]);
    // Another room is another set of members.
    let (_cy, welcome) = join(&server, "other", Some("cy")).await;
    assert_eq!(users(&welcome), ["cy"]);
}

#[tokio::test]
async fn names_are_decoded_trimmed_unique_and_default_to_guests() {
    let server = Server::start(&[]);
    let (_a, w) = join(&server, "r", Some("ann")).await;
    assert_eq!(w["name"], "ann");
    let (_b, w) = join(&server, "r", Some("ann")).await;
    assert_eq!(w["name"], "ann-2");
    let (_c, w) = join(&server, "r", Some("%20ann%20")).await;
    assert_eq!(w["name"], "ann-3", "percent-decoded and trimmed");
    let (_d, w) = join(&server, "r", Some("J%C3%BCrgen")).await;
    assert_eq!(w["name"], "Jürgen");
    let (_e, w) = join(&server, "r", None).await;
    let guest = w["name"].as_str().unwrap().to_owned();
    assert!(guest.starts_with("guest-"), "{guest}");
    assert!(guest["guest-".len()..].parse::<u64>().is_ok(), "{guest}");
    let (_f, w) = join(&server, "r", Some("")).await;
    let other_guest = w["name"].as_str().unwrap();
    assert!(other_guest.starts_with("guest-"), "{other_guest}");
    assert_ne!(other_guest, guest);
    // Lengths count characters: 32 "é" fit, a 33rd does not.
    let (_g, w) = join(&server, "r", Some(&"%C3%A9".repeat(40))).await;
    assert_eq!(w["name"].as_str().unwrap(), "é".repeat(32));
    let mut all = users(&w);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 7, "names are unique: {all:?}");
}

#[test]
fn invalid_room_names_get_404_without_upgrading() {
    let server = Server::start(&[]);
    let too_long = format!("/chat/{}", "r".repeat(65));
    for path in [
        "/chat/",
        "/chat",
        "/chat/a.b",
        "/chat/a/b",
        "/chat/caf%C3%A9",
        too_long.as_str(),
    ] {
        let (status, text) = server.request(&upgrade_request(path, ""));
        assert_eq!(status, 404, "{path}: {text}");
    }
    let longest = format!("/chat/{}?name=x", "r".repeat(64));
    for path in ["/chat/Aa0_-", longest.as_str()] {
        let mut stream = server.connect();
        stream
            .write_all(upgrade_request(path, "").as_bytes())
            .unwrap();
        assert!(
            read_head(&mut stream).starts_with("HTTP/1.1 101 "),
            "{path}"
        );
    }
}

#[tokio::test]
async fn join_and_leave_go_to_the_others() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;
    let (mut bob, _) = join(&server, "r", Some("bob")).await;
    assert_eq!(
        next(&mut ann).await,
        json!({"type": "join", "room": "r", "name": "bob"})
    );
    bob.close(CloseCode::NORMAL, "bye").await.unwrap();
    assert_eq!(
        next(&mut ann).await,
        json!({"type": "leave", "room": "r", "name": "bob"})
    );
    // Nothing about oneself: the next event ann sees is her own message.
    say(&mut ann, "alone").await;
    assert_eq!(next(&mut ann).await["type"], "message");
}

#[tokio::test]
async fn messages_reach_every_member_including_the_sender() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;
    let (mut bob, _) = join(&server, "r", Some("bob")).await;
    let (mut elsewhere, _) = join(&server, "s", Some("cy")).await;
    next_of(&mut ann, "join").await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let text = "<b>hi</b> & \"quotes\" ✓";
    say(&mut ann, text).await;
    for ws in [&mut ann, &mut bob] {
        let message = next(ws).await;
        assert_eq!(message["type"], "message");
        assert_eq!(message["room"], "r");
        assert_eq!(message["from"], "ann");
        assert_eq!(message["text"], text);
        let ts = message["ts"].as_u64().expect("ts is an integer");
        assert!(
            u128::from(ts) + 60_000 > before,
            "ts is ms since the epoch: {ts}"
        );
        assert_eq!(message["seq"], 1, "the room's first message");
        assert_eq!(message.as_object().unwrap().len(), 6, "{message}");
    }
    // Not in another room: cy's next event is her own message.
    say(&mut elsewhere, "me").await;
    assert_eq!(next(&mut elsewhere).await["from"], "cy");
}

#[tokio::test]
async fn frames_that_are_not_json_objects_are_messages() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;
    for frame in [
        "just text",
        "42",
        "[1,2,3]",
        "\"a string\"",
        "{broken",
        "null",
    ] {
        ann.send(Message::text(frame)).await.unwrap();
        let message = next(&mut ann).await;
        assert_eq!(message["type"], "message", "{frame}");
        assert_eq!(message["text"], frame);
    }
}

#[tokio::test]
async fn malformed_commands_get_bad_request() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;
    let too_long = "é".repeat(4097);
    let bad = [
        json!({}),
        json!({"type": "dance"}),
        json!({"type": 7, "text": "x"}),
        json!({"type": "message"}),
        json!({"type": "message", "text": 5}),
        json!({"type": "message", "text": ""}),
        json!({"type": "message", "text": too_long}),
        json!({"type": "direct", "text": "x"}),
        json!({"type": "direct", "to": "ann"}),
        json!({"type": "direct", "to": 1, "text": "x"}),
    ];
    for command in &bad {
        send(&mut ann, command).await;
        let error = next(&mut ann).await;
        assert_eq!(error["type"], "error", "{command}: {error}");
        assert_eq!(error["code"], "bad_request", "{command}");
        assert!(error["message"].is_string(), "{error}");
    }
    // A plain text frame over 4096 characters, and a binary frame.
    ann.send(Message::text(too_long.clone())).await.unwrap();
    assert_eq!(next(&mut ann).await["code"], "bad_request");
    ann.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(next(&mut ann).await["code"], "bad_request");
    // 4096 characters (8192 bytes) is the most, and fine.
    let longest = "é".repeat(4096);
    say(&mut ann, &longest).await;
    assert_eq!(next(&mut ann).await["text"], longest.as_str());
    // The connection is still usable.
    send(&mut ann, &json!({"type": "who"})).await;
    assert_eq!(next(&mut ann).await["type"], "users");
}

#[tokio::test]
async fn direct_goes_to_the_target_and_back_to_the_sender() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;
    let (mut bob, _) = join(&server, "r", Some("bob")).await;
    let (mut cy, _) = join(&server, "r", Some("cy")).await;
    next_of(&mut ann, "join").await;
    next_of(&mut ann, "join").await;
    next_of(&mut bob, "join").await;
    send(
        &mut ann,
        &json!({"type": "direct", "to": "bob", "text": "psst"}),
    )
    .await;
    for ws in [&mut bob, &mut ann] {
        let direct = next(ws).await;
        assert_eq!(direct["type"], "direct", "{direct}");
        assert_eq!(direct["from"], "ann");
        assert_eq!(direct["to"], "bob");
        assert_eq!(direct["text"], "psst");
        assert!(direct["ts"].is_u64());
    }
    // cy saw nothing of it: her next event is her own message.
    say(&mut cy, "hello").await;
    assert_eq!(next(&mut cy).await["from"], "cy");
    // An unknown name, and a name from another room.
    let (_dan, _) = join(&server, "elsewhere", Some("dan")).await;
    for to in ["nobody", "dan"] {
        send(&mut ann, &json!({"type": "direct", "to": to, "text": "?"})).await;
        let error = next_of(&mut ann, "error").await;
        assert_eq!(error["code"], "unknown_user", "{error}");
    }
}

#[tokio::test]
async fn who_is_answered_with_users() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;
    let (_bob, _) = join(&server, "r", Some("bob")).await;
    next_of(&mut ann, "join").await;
    send(&mut ann, &json!({"type": "who"})).await;
    let reply = next(&mut ann).await;
    assert_eq!(reply["type"], "users");
    assert_eq!(reply["room"], "r");
    let mut names = users(&reply);
    names.sort_unstable();
    assert_eq!(names, ["ann", "bob"]);
}

#[tokio::test]
async fn rooms_are_removed_when_empty() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "temp", Some("ann")).await;
    assert!(
        server
            .wait_for_metric("ws_chat_rooms 1\n")
            .contains("ws_chat_rooms 1\n")
    );
    ann.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(
        server
            .wait_for_metric("ws_chat_rooms 0\n")
            .contains("ws_chat_rooms 0\n")
    );
    // The name is free again in a new room of the same name.
    let (_ann, welcome) = join(&server, "temp", Some("ann")).await;
    assert_eq!(welcome["name"], "ann");
    assert_eq!(users(&welcome), ["ann"]);
}

/// 50 members send 20 messages each at once: every member sees all 1000 in
/// the same order, and each sender's messages in the order sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_per_room_across_50_concurrent_senders() {
    const MEMBERS: usize = 50;
    const EACH: usize = 20;
    let server = Server::start(&[]);
    let mut sockets = Vec::new();
    for i in 0..MEMBERS {
        sockets.push(join(&server, "busy", Some(&format!("m{i}"))).await.0);
    }
    let start = Arc::new(tokio::sync::Barrier::new(MEMBERS));
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, ws)| {
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let (mut reader, mut writer) = ws.split();
                start.wait().await;
                let send = async move {
                    for k in 0..EACH {
                        let text = format!("{i}:{k}");
                        let command = json!({"type": "message", "text": text});
                        writer
                            .send(Message::text(command.to_string()))
                            .await
                            .unwrap();
                    }
                    writer
                };
                let receive = async {
                    let mut seen = Vec::new();
                    while seen.len() < MEMBERS * EACH {
                        match reader.recv().await {
                            Some(Ok(Message::Text(text))) => {
                                let event: Value = serde_json::from_str(text.as_str()).unwrap();
                                assert_ne!(event["type"], "error", "{event}");
                                if event["type"] == "message" {
                                    seen.push(event["text"].as_str().unwrap().to_owned());
                                }
                            }
                            Some(Ok(_)) => {}
                            other => panic!("member {i}: {other:?}"),
                        }
                    }
                    seen
                };
                let (_writer, seen) =
                    tokio::time::timeout(PATIENCE, async { tokio::join!(send, receive) })
                        .await
                        .expect("all messages in time");
                seen
            })
        })
        .collect();
    let mut orders = Vec::new();
    for task in tasks {
        orders.push(task.await.unwrap());
    }
    for order in &orders[1..] {
        assert_eq!(order, &orders[0], "one order per room");
    }
    for i in 0..MEMBERS {
        let mine: Vec<usize> = orders[0]
            .iter()
            .filter_map(|t| {
                let (sender, k) = t.split_once(':').unwrap();
                (sender.parse::<usize>().unwrap() == i).then(|| k.parse().unwrap())
            })
            .collect();
        assert_eq!(mine, (0..EACH).collect::<Vec<_>>(), "sender {i}'s order");
    }
}

/// A member that stops reading is disconnected with 1008 once its queue is
/// full; the others get `leave` and go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_is_closed_with_1008_and_the_room_goes_on() {
    const SENDERS: usize = 10;
    let server = Server::start(&[]);
    // The slow member: a small receive buffer, and it reads nothing.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let mut slow = stream.into_std().unwrap();
    slow.set_nonblocking(false).unwrap();
    slow.set_read_timeout(Some(PATIENCE)).unwrap();
    slow.write_all(upgrade_request("/chat/flood?name=slow", "").as_bytes())
        .unwrap();
    assert!(read_head(&mut slow).starts_with("HTTP/1.1 101 "));

    let gone = Arc::new(AtomicBool::new(false));
    let text = "x".repeat(4000);
    let mut tasks = Vec::new();
    for i in 0..SENDERS {
        let (ws, _) = join(&server, "flood", Some(&format!("fast{i}"))).await;
        let gone = Arc::clone(&gone);
        let text = text.clone();
        tasks.push(tokio::spawn(async move {
            let (mut reader, mut writer) = ws.split();
            let flood = async {
                while !gone.load(Ordering::Relaxed) {
                    let command = json!({"type": "message", "text": text});
                    writer
                        .send(Message::text(command.to_string()))
                        .await
                        .unwrap();
                    // Over the rate limit is fine: those are dropped.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            };
            let watch = async {
                while let Some(Ok(message)) = reader.recv().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let event: Value = serde_json::from_str(text.as_str()).unwrap();
                    if event == json!({"type": "leave", "room": "flood", "name": "slow"}) {
                        gone.store(true, Ordering::Relaxed);
                        return true;
                    }
                }
                false
            };
            let (_, saw_leave) =
                tokio::time::timeout(PATIENCE, async { tokio::join!(flood, watch) })
                    .await
                    .expect("the slow member is dropped in time");
            saw_leave
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap(), "every other member got `leave`");
    }
    // Now the slow member reads: what was in flight, then Close 1008.
    let code = tokio::task::spawn_blocking(move || read_close(&mut slow))
        .await
        .unwrap();
    assert_eq!(code, Some(1008));
    // The close is counted when the session ends, a moment after the
    // slow member hears it: wait for that, the later of the two.
    let metrics = server.wait_for_metric("ws_closes_total{code=\"1008\"} 1\n");
    assert!(
        metrics.contains("ws_chat_slow_consumers_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ws_closes_total{code=\"1008\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn over_20_per_second_gets_rate_limited() {
    let server = Server::start(&[]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;
    // 200 at once: the burst of 50 (and whatever trickled in meanwhile)
    // passes, the rest is refused and dropped.
    const SENT: usize = 200;
    for i in 0..SENT {
        say(&mut ann, &format!("m{i}")).await;
    }
    let (mut delivered, mut limited) = (0, 0);
    while delivered + limited < SENT {
        let event = next(&mut ann).await;
        match event["type"].as_str() {
            Some("message") => delivered += 1,
            Some("error") => {
                assert_eq!(event["code"], "rate_limited", "{event}");
                limited += 1;
            }
            _ => panic!("{event}"),
        }
    }
    assert!(delivered >= 50, "the burst passes: {delivered}");
    assert!(limited > 0, "the excess is refused");
    // Tokens come back at 20/s: after a pause, messages pass again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    say(&mut ann, "again").await;
    let event = next(&mut ann).await;
    assert_eq!(event["text"], "again", "{event}");
    let metrics = server.get("/metrics").1;
    assert!(
        metrics.contains(&format!("ws_chat_rate_limited_total {limited}\n")),
        "{metrics}"
    );
}

/// A member that vanishes without a Close, and one that stops answering
/// (idle timeout): both produce `leave` for the others.
#[tokio::test]
async fn leave_on_abrupt_drop_and_on_timeout() {
    let server = Server::start(&["--ping-interval", "1", "--idle-timeout", "2"]);
    let (mut ann, _) = join(&server, "r", Some("ann")).await;

    let mut ghost = common::open(&server, "/chat/r?name=ghost");
    let (_, welcome) = read_frame(&mut ghost);
    assert!(String::from_utf8_lossy(&welcome).contains("\"welcome\""));
    assert_eq!(next(&mut ann).await["name"], "ghost");
    drop(ghost);
    assert_eq!(
        next_of(&mut ann, "leave").await,
        json!({"type": "leave", "room": "r", "name": "ghost"})
    );

    // Connected but silent: no Pong, no Close. The idle timeout ends it.
    let _mute = common::open(&server, "/chat/r?name=mute");
    assert_eq!(next_of(&mut ann, "join").await["name"], "mute");
    assert_eq!(next_of(&mut ann, "leave").await["name"], "mute");
    // ann answered the Pings (her recv did) and is still there.
    say(&mut ann, "still here").await;
    assert_eq!(next_of(&mut ann, "message").await["text"], "still here");
}

/// 2000 members in one room: every join is announced, one message reaches
/// everyone. Prints the server's resident memory with them all idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_members_in_one_room() {
    const MEMBERS: usize = 2000;
    /// Joins in flight at once (as many browsers would).
    const WAVE: usize = 100;
    let server = Arc::new(Server::start(&[]));
    let before = server.rss_kib();
    let started = std::time::Instant::now();
    // Each member reads everything (about a million joins in all) until the
    // final message, without parsing each event.
    let member = |i: usize| {
        let server = Arc::clone(&server);
        async move {
            let (mut ws, welcome) = join(&server, "big", Some(&format!("m{i}"))).await;
            assert_eq!(welcome["name"], format!("m{i}"));
            let (joined, done) = tokio::sync::oneshot::channel();
            let _ = joined.send(users(&welcome).len());
            let reader = tokio::spawn(async move {
                let mut joins = 0;
                loop {
                    match tokio::time::timeout(PATIENCE * 4, ws.recv()).await {
                        Ok(Some(Ok(Message::Text(text)))) => {
                            let text = text.as_str();
                            if text.starts_with(r#"{"type":"join""#) {
                                joins += 1;
                            } else if text.starts_with(r#"{"type":"message""#) {
                                let event: Value = serde_json::from_str(text).unwrap();
                                assert_eq!(event["text"], "hello, everyone");
                                return (ws, joins);
                            }
                        }
                        Ok(Some(Ok(_))) => {}
                        other => panic!("member {i}: {other:?}"),
                    }
                }
            });
            (reader, done.await.unwrap())
        }
    };
    let mut readers = Vec::new();
    let mut seen_at_join = Vec::new();
    for wave in (0..MEMBERS).collect::<Vec<_>>().chunks(WAVE) {
        let joins: Vec<_> = wave.iter().map(|&i| tokio::spawn(member(i))).collect();
        for join in joins {
            let (reader, users) = join.await.unwrap();
            readers.push(reader);
            seen_at_join.push(users);
        }
    }
    eprintln!("{MEMBERS} joined after {:?}", started.elapsed());
    // Everyone has seen everyone: the welcome listed those before, `join`
    // events bring the rest. Wait until the last joins are announced.
    let metrics = server.wait_for_metric(&format!("ws_chat_members {MEMBERS}\n"));
    assert!(metrics.contains(&format!("ws_chat_members {MEMBERS}\n")));
    let joined = server.rss_kib();
    let (mut first, _) = join(&server, "big", Some("last")).await;
    say(&mut first, "hello, everyone").await;
    assert_eq!(
        next_of(&mut first, "message").await["text"],
        "hello, everyone"
    );
    let mut sockets = Vec::new();
    for (reader, users) in readers.into_iter().zip(seen_at_join) {
        let (ws, joins) = reader.await.unwrap();
        assert_eq!(users + joins, MEMBERS + 1, "every join announced once");
        sockets.push(ws);
    }
    eprintln!("message delivered after {:?}", started.elapsed());
    // All joins delivered, everyone idle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.rss_kib();
    eprintln!(
        "server RSS: {before} KiB at start, {joined} KiB right after {MEMBERS} joins, \
         {idle} KiB with {MEMBERS} idle members ({} KiB each)",
        (idle - before) / MEMBERS as u64
    );
}

#[test]
fn chat_upgrades_check_origin_and_the_connection_limit() {
    let server = Server::start(&[
        "--allowed-origin",
        "https://good.example",
        "--max-connections",
        "2",
    ]);
    let evil = upgrade_request("/chat/r?name=x", "Origin: https://evil.example\r\n");
    assert_eq!(server.request(&evil).0, 403);
    let mut held = Vec::new();
    for origin in ["Origin: https://good.example\r\n", ""] {
        let mut stream = server.connect();
        stream
            .write_all(upgrade_request("/chat/r", origin).as_bytes())
            .unwrap();
        assert!(read_head(&mut stream).starts_with("HTTP/1.1 101 "));
        held.push(stream);
    }
    assert_eq!(server.request(&upgrade_request("/chat/r", "")).0, 503);
    drop(held);
}

/// `--tls-cert`/`--tls-key`: the page over https://, the chat over wss://,
/// with a certificate made here.
#[tokio::test]
async fn tls_serves_the_page_and_wss_chat() {
    let certificate = common::tls::localhost_certificate("ws-server-tls");
    let (cert_path, key_path) = (&certificate.cert_path, &certificate.key_path);
    let server = Server::start(&[
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    let port = server.addr.port();

    // https:// GET /
    let page = https_get(port, "/", &certificate.ca_pem).await;
    assert!(page.starts_with("HTTP/1.1 200 "), "{page}");
    assert!(page.contains("id=\"messages\""));

    // wss:// chat
    let options = || ws_tokio::ConnectOptions {
        ca_pem: Some(certificate.ca_pem.clone().into_bytes()),
        ..Default::default()
    };
    let url = format!("wss://localhost:{port}/chat/secure?name=ann");
    let (mut ann, _) = ws_tokio::connect_with(&url, options()).await.unwrap();
    assert!(ann.with_stream(|s| matches!(s, MaybeTlsStream::Tls(_))));
    assert_eq!(next(&mut ann).await["name"], "ann");
    let url = format!("wss://localhost:{port}/chat/secure?name=bob");
    let (mut bob, _) = ws_tokio::connect_with(&url, options()).await.unwrap();
    assert_eq!(next(&mut bob).await["type"], "welcome");
    say(&mut bob, "over TLS").await;
    assert_eq!(next_of(&mut ann, "message").await["text"], "over TLS");
    let _ = std::fs::remove_dir_all(&certificate.dir);
}

async fn https_get(port: u16, path: &str, ca_pem: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, pki_types::ServerName};
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}
