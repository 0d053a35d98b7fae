//! `handshake_by_hand` against the real server's `/echo` (ws-server, run
//! in-process): the handshake it writes by hand is accepted, its masked
//! frames of every length encoding are echoed, and the close is clean.

use std::net::SocketAddr;
use std::process::{Command, Output};

use clap::Parser;

/// Starts `ws-server` on a free port in a background runtime.
fn start_server() -> SocketAddr {
    let options = ws_server::Options::parse_from(["ws-server", "--listen", "127.0.0.1:0"]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let server = ws_server::Server::bind(options).await.unwrap();
            tx.send(server.local_addr().unwrap()).unwrap();
            server.run(std::future::pending()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn run(url: &str, messages: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handshake_by_hand"))
        .arg(url)
        .args(messages)
        .output()
        .unwrap()
}

#[test]
fn the_echo_server_answers_the_handshake_and_echoes_each_message() {
    let addr = start_server();
    // 7-bit, 16-bit and 64-bit payload lengths (RFC 6455 §5.2).
    let medium = "m".repeat(300);
    let long = "ł".repeat(40_000); // 80 000 bytes of UTF-8
    let out = run(
        &format!("ws://{addr}/echo"),
        &["hello", "wörld", &medium, &long],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let expected = format!("hello\nwörld\n{medium}\n{long}\n");
    assert!(
        String::from_utf8(out.stdout).unwrap() == expected,
        "the echoes differ"
    );
    assert!(
        stderr.contains("101 Switching Protocols, Sec-WebSocket-Accept matches"),
        "{stderr}"
    );
    assert!(stderr.ends_with("closed cleanly\n"), "{stderr}");
}

#[test]
fn a_refused_handshake_reports_the_status() {
    let addr = start_server();
    let out = run(&format!("ws://{addr}/nowhere"), &["hello"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.ends_with("handshake_by_hand: the server answered 404 Not Found, not 101\n"),
        "{stderr}"
    );
}
