//! `--listen ADDR`: the program as a server (websocat -s).

mod common;

use std::io::Write;

use common::*;
use ws_tokio::{CloseCode, Message};

#[test]
fn listen_prints_what_peers_send_sends_stdin_to_all_and_closes_them_on_eof() {
    let mut child = spawn_client(&["--listen", "127.0.0.1:0"]);
    let mut stdin = child.stdin.take().unwrap();
    let out = Lines::new(child.stdout.take().unwrap());
    let err = Lines::new(child.stderr.take().unwrap());
    let first = err.until(|_| true).remove(0);
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first stderr line: {first:?}"))
        .to_owned();
    assert!(!url.ends_with(":0"), "{url}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (mut a, _) = ws_tokio::connect(&url).await.unwrap();
        let (mut b, _) = ws_tokio::connect(&format!("{url}/any/path")).await.unwrap();
        a.send(Message::text("from a")).await.unwrap();
        b.send(Message::binary(vec![0xb0])).await.unwrap();
        let mut seen = out.until(|l| l == "b0");
        seen.extend(if seen.iter().any(|l| l == "from a") {
            Vec::new()
        } else {
            out.until(|l| l == "from a")
        });
        assert!(seen.contains(&"from a".to_owned()), "{seen:?}");

        // Both are connected (each sent something): a stdin line reaches both.
        stdin.write_all(b"to all\n").unwrap();
        stdin.flush().unwrap();
        for ws in [&mut a, &mut b] {
            match ws.recv().await {
                Some(Ok(Message::Text(text))) => assert_eq!(text, "to all"),
                other => panic!("{other:?}"),
            }
        }
        // EOF: each peer gets Close 1000.
        drop(stdin);
        for ws in [&mut a, &mut b] {
            match ws.recv().await {
                Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::NORMAL),
                other => panic!("{other:?}"),
            }
        }
    });
    assert_eq!(exit_code(&mut child), Some(0));
}

#[test]
fn listen_with_jsonl_names_the_peer_in_every_event() {
    let mut child = spawn_client(&["--listen", "127.0.0.1:0", "--jsonl"]);
    let stdin = child.stdin.take().unwrap();
    let out = Lines::new(child.stdout.take().unwrap());
    let err = Lines::new(child.stderr.take().unwrap());
    let url = err.until(|_| true).remove(0).replace("listening on ", "");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let local = runtime.block_on(async {
        let (mut ws, _) = ws_tokio::connect(&url).await.unwrap();
        ws.send(Message::text("hi")).await.unwrap();
        ws.close(CloseCode::NORMAL, "done").await.unwrap();
        ws.with_stream(|s| s.tcp().local_addr().unwrap())
    });
    let events: Vec<serde_json::Value> = out
        .until(|l| l.contains("\"close\""))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["open", "text", "close"], "{events:?}");
    for event in &events {
        assert_eq!(event["peer"], local.to_string(), "{event}");
    }
    assert_eq!(events[2]["reason"], "done");
    drop(stdin);
    assert_eq!(exit_code(&mut child), Some(0));
}

#[test]
fn listen_on_an_address_in_use_exits_4() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run_client(&["--listen", &addr], b"");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        stderr(&out).contains("cannot listen on"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn listen_closes_connections_beyond_max_peers() {
    let mut child = spawn_client(&["--listen", "127.0.0.1:0", "--max-peers", "1"]);
    let stdin = child.stdin.take().unwrap();
    let err = Lines::new(child.stderr.take().unwrap());
    let url = err.until(|_| true).remove(0).replace("listening on ", "");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (mut first, _) = ws_tokio::connect(&url).await.unwrap();
        // While the first one is connected, the second is turned away.
        first.send(Message::text("here")).await.unwrap();
        assert!(ws_tokio::connect(&url).await.is_err());
        first.close(CloseCode::NORMAL, "").await.unwrap();
    });
    let seen = err.until(|l| l.contains("--max-peers"));
    assert!(
        seen.last().unwrap().contains("1 peers connected"),
        "{seen:?}"
    );
    drop(stdin);
    assert_eq!(exit_code(&mut child), Some(0));
}
