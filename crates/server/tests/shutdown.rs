//! SIGTERM while the server's write queues are backed up
//! (`docs/server-interface.md`, shutdown: every member gets Close 1001,
//! the process exits 0 once the drain is over).
//!
//! A member that never reads cannot receive its 1001: its socket buffers
//! are full, so the Close frame waits behind the messages queued for it.
//! What the contract promises is that such members do not hold the
//! process: the drain is bounded, the members that do read get their
//! 1001, and the exit status is still 0.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::{Server, frame, read_close, read_head, upgrade_request};

/// Joins `room` as `name` over raw TCP and reads the 101 (not the welcome).
fn join_raw(server: &Server, room: &str, name: &str) -> TcpStream {
    let mut stream = server.connect();
    stream
        .write_all(upgrade_request(&format!("/chat/{room}?name={name}"), "").as_bytes())
        .unwrap();
    let head = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    stream
}

#[test]
fn sigterm_with_members_that_never_read_still_exits_0_after_the_drain() {
    let mut server = Server::start(&[]);
    // Members that never read: the server's frames for them pile up.
    let _sleepers: Vec<TcpStream> = (0..8)
        .map(|i| join_raw(&server, "busy", &format!("sleeper{i}")))
        .collect();
    // A member that reads everything, on its own thread, until the Close.
    let mut reader = join_raw(&server, "busy", "reader");
    reader
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let reader = thread::spawn(move || read_close(&mut reader));
    // A sender that never reads its own echoes either: a bounded flood of
    // 4000-character messages (16 MB in all), stopped by the first write
    // that fails or blocks for a second (the server may drop it as a slow
    // consumer, RFC 6455 §7.4.1 1008).
    let mut sender = join_raw(&server, "busy", "sender");
    sender
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let message = frame(
        0x81,
        format!(r#"{{"type":"message","text":"{}"}}"#, "x".repeat(4000)).as_bytes(),
    );
    for _ in 0..4000 {
        if sender.write_all(&message).is_err() {
            break;
        }
    }
    server.terminate();
    // A hang check, not a timing assertion: the drain lasts 5 s by default,
    // so a server still running after 30 s never ended it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "ws-server still runs 30 s after SIGTERM with members that never read"
        );
        thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(
        reader.join().unwrap(),
        Some(1001),
        "a member that reads gets 1001"
    );
}
