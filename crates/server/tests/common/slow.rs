//! One connection of a member that stops reading: dropped alone (1008),
//! while the member stays through its other connection, on one node or
//! across two (`docs/server-interface.md` §4, §7).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use ws_tokio::Message;

use super::chat::{PATIENCE, connect, next, next_of, send, users};
use super::{Server, read_close, read_head, upgrade_request};

/// `slow_path` joins on `slow_at` and reads nothing; `fast_path` (the same
/// member) joins on `fast_at`; ten flooders join on `flood_at` as
/// `flood_paths`. Checks that the slow connection is closed with 1008, that
/// nobody hears the member leave, and that it leaves once `fast_path` goes.
pub async fn a_slow_connection_is_dropped_alone(
    (slow_at, slow_path): (&Server, &str),
    (fast_at, fast_path): (&Server, &str),
    (flood_at, flood_paths): (&Server, &[String]),
    name: &str,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket
        .connect(slow_at.addr)
        .await
        .unwrap()
        .into_std()
        .unwrap();
    slow.set_nonblocking(false).unwrap();
    slow.set_read_timeout(Some(PATIENCE)).unwrap();
    slow.write_all(upgrade_request(slow_path, "").as_bytes())
        .unwrap();
    assert!(read_head(&mut slow).starts_with("HTTP/1.1 101 "));
    let mut fast = connect(fast_at, fast_path).await;
    assert_eq!(next(&mut fast).await["name"], name);

    let stop = Arc::new(AtomicBool::new(false));
    let leave = json!({"type": "leave", "room": "flood", "name": name});
    let mut tasks = Vec::new();
    for path in flood_paths {
        let ws = connect(flood_at, path).await;
        let (stop, leave) = (Arc::clone(&stop), leave.clone());
        tasks.push(tokio::spawn(async move {
            let (mut reader, mut writer) = ws.split();
            let text = "x".repeat(4000);
            let flood = async {
                while !stop.load(Ordering::Relaxed) {
                    let command = json!({"type": "message", "text": text}).to_string();
                    writer.send(Message::text(command)).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                writer
            };
            let watch = async {
                while let Some(Ok(message)) = reader.recv().await {
                    if let Message::Text(text) = message {
                        let event: Value = serde_json::from_str(text.as_str()).unwrap();
                        assert_ne!(event, leave, "the member left with a connection open");
                    }
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                }
            };
            let (writer, ()) = tokio::join!(flood, watch);
            drop(writer);
        }));
    }
    // The other connection keeps reading, so that it is not slow too.
    let reader = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                assert_ne!(next(&mut fast).await["type"], "leave");
            }
            fast
        })
    };
    slow_at.wait_for_metric("ws_chat_slow_consumers_total 1\n");
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        tokio::time::timeout(PATIENCE, task).await.unwrap().unwrap();
    }
    let mut fast = tokio::time::timeout(PATIENCE, reader)
        .await
        .unwrap()
        .unwrap();
    let code = tokio::task::spawn_blocking(move || read_close(&mut slow));
    assert_eq!(code.await.unwrap(), Some(1008));
    // Still a member, through the other connection.
    send(&mut fast, &json!({"type": "who"})).await;
    let listed = next_of(&mut fast, "users").await;
    assert!(users(&listed).contains(&name), "{listed}");
    let mut watcher = connect(flood_at, &flood_paths[0]).await;
    let welcome = next(&mut watcher).await;
    assert!(users(&welcome).contains(&name), "{welcome}");
    fast.close(ws_tokio::CloseCode::NORMAL, "").await.ok();
    drop(fast);
    // (The flooders' own `leave`s may come first.)
    while next_of(&mut watcher, "leave").await != leave {}
}
