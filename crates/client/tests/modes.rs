//! The input, output and session options: --binary, --raw, --origin,
//! --max-messages, --once, --ping-interval, --show, --jsonl.

mod common;

use std::io::Write;

use common::*;
use serde_json::Value;
use tokio::net::TcpListener;
use ws_tokio::{CloseCode, Message};

#[test]
fn binary_sends_each_line_as_a_binary_message() {
    let addr = start_server(&[]);
    // /echo answers binary with binary, which is printed as hex.
    let out = run_client(
        &[&format!("ws://{addr}/echo"), "--binary"],
        b"ab\r\n\xff\x00\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "6162\nff00\n");
}

#[test]
fn binary_raw_sends_stdin_as_it_comes_and_raw_prints_it_back_unchanged() {
    let addr = start_server(&[]);
    let input: Vec<u8> = b"\x00\xffline\r\n\nno newline at the end".to_vec();
    let out = run_client(&[&format!("ws://{addr}/echo"), "--binary", "--raw"], &input);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, input);
}

#[test]
fn raw_leaves_text_messages_as_lines() {
    let addr = start_server(&[]);
    let out = run_client(&[&format!("ws://{addr}/echo"), "--raw"], b"text\n");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "text\n");
}

#[test]
fn origin_is_sent_as_the_origin_header() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = runtime.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut origin = None;
        let mut ws = ws_tokio::accept_with_config(stream, ws_tokio::Config::default(), |r, _| {
            origin = r.header("origin").map(str::to_owned);
            Ok(ws_tokio::Accept::default())
        })
        .await
        .unwrap();
        while let Some(Ok(_)) = ws.recv().await {}
        origin
    });
    let out = run_client(
        &[&format!("ws://{addr}/"), "--origin", "https://app.example"],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        runtime.block_on(server).unwrap().as_deref(),
        Some("https://app.example")
    );
}

/// Runs the client against /echo with `extra`, feeding `input` but keeping
/// stdin open: only the option under test can end the session.
fn with_stdin_open(extra: &[&str], input: &[u8]) -> (Option<i32>, String, String) {
    let addr = start_server(&[]);
    let mut args = vec![format!("ws://{addr}/echo")];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = spawn_client(&args);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    stdin.flush().unwrap();
    let code = exit_code(&mut child);
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    (code, stdout(&out), stderr(&out))
}

#[test]
fn max_messages_closes_normally_after_n_messages() {
    let (code, out, err) = with_stdin_open(&["--max-messages", "2"], b"one\ntwo\nthree\n");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "one\ntwo\n");
}

#[test]
fn once_is_max_messages_1() {
    let (code, out, err) = with_stdin_open(&["--once"], b"first\nsecond\n");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "first\n");
}

#[test]
fn max_messages_0_is_a_usage_error() {
    let out = run_client(&["ws://127.0.0.1:1/", "--max-messages", "0"], b"");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn ping_interval_sends_pings_and_show_reports_their_round_trip() {
    let addr = start_server(&[]);
    let mut child = spawn_client(&[
        &format!("ws://{addr}/echo"),
        "--ping-interval",
        "1",
        "--show",
    ]);
    let stdin = child.stdin.take().unwrap();
    let err = Lines::new(child.stderr.take().unwrap());
    let seen = err.until(|l| l.contains("ping round trip"));
    assert!(seen.iter().any(|l| l.contains("> ping 1")), "{seen:?}");
    assert!(
        seen.iter().any(|l| l.contains("< pong, 8 bytes")),
        "{seen:?}"
    );
    drop(stdin);
    assert_eq!(exit_code(&mut child), Some(0));
}

#[test]
fn show_describes_messages_and_the_close_on_stderr_and_leaves_stdout_alone() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = ws_tokio::accept(stream).await.unwrap();
        ws.send(Message::text("hello")).await.unwrap();
        ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
        let _ = ws.close(CloseCode(4001), "bye").await;
    });
    let out = run_client(&[&format!("ws://{addr}/"), "-v"], b"");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stdout(&out), "hello\n010203\n");
    let err = stderr(&out);
    for line in [
        "< text, 5 bytes",
        "< binary, 3 bytes",
        "< close 4001 \"bye\"",
    ] {
        assert!(err.contains(line), "{line} missing: {err}");
    }
}

#[test]
fn jsonl_writes_one_json_object_per_event() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = ws_tokio::accept_with_config(stream, ws_tokio::Config::default(), |_, _| {
            Ok(ws_tokio::Accept {
                protocol: Some("chat".into()),
                ..ws_tokio::Accept::default()
            })
        })
        .await
        .unwrap();
        ws.send(Message::text("say \"hi\"\n\u{1}é")).await.unwrap();
        ws.send(Message::binary(vec![0x00, 0xab])).await.unwrap();
        let _ = ws.close(CloseCode(4001), "bye").await;
    });
    let out = run_client(
        &[&format!("ws://{addr}/"), "--jsonl", "--protocol", "chat"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let events: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(events[0]["type"], "open");
    assert_eq!(events[0]["protocol"], "chat");
    assert_eq!(events[0]["extensions"], Value::Null);
    assert_eq!(
        events[1],
        serde_json::json!({"type": "text", "data": "say \"hi\"\n\u{1}é"})
    );
    assert_eq!(
        events[2],
        serde_json::json!({"type": "binary", "hex": "00ab"})
    );
    assert_eq!(
        events[3],
        serde_json::json!({"type": "close", "code": 4001, "reason": "bye"})
    );
    assert_eq!(events[4]["type"], "error");
    assert_eq!(events[4]["status"], 1);
}

#[test]
fn jsonl_reports_a_failed_connection_as_an_error_event() {
    let addr = start_server(&[]);
    let out = run_client(&[&format!("ws://{addr}/nowhere"), "--jsonl"], b"");
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    let event: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(event["type"], "error");
    assert_eq!(event["status"], 6);
    assert!(
        event["http"].as_str().unwrap().starts_with("HTTP/1.1 404"),
        "{event}"
    );
}

#[test]
fn max_message_bounds_stdin_lines_and_received_messages() {
    let addr = start_server(&[]);
    // A stdin line over the limit is not sent: the session ends (exit 1)
    // after a normal close, and stderr says why.
    let out = run_client(
        &[&format!("ws://{addr}/echo"), "--max-message", "8"],
        b"fits\nthis line is longer than eight bytes\nnever sent\n",
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stdout(&out), "fits\n");
    assert!(
        stderr(&out).contains("longer than 8 bytes"),
        "{}",
        stderr(&out)
    );

    // A received message over the limit closes the connection with 1009.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = ws_tokio::accept(stream).await.unwrap();
        ws.send(Message::text("twenty bytes of text"))
            .await
            .unwrap();
        while let Some(Ok(_)) = ws.recv().await {}
    });
    let out = run_client(&[&format!("ws://{addr}/"), "--max-message", "8"], b"");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("1009"), "{}", stderr(&out));
}
