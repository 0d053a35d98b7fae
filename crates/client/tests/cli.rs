//! `ws-client` end to end: the real binary against the real server (run
//! in-process) and against a scripted ws-tokio server.

mod common;

use std::process::Output;
use std::time::Duration;

use common::{spawn_client, start_server, wait};
use tokio::net::TcpListener;
use ws_tokio::{CloseCode, Message};

/// Runs the client on `url` with `extra` options and `stdin` as its input.
fn run_client(url: &str, extra: &[&str], stdin: &str) -> Output {
    let mut args = vec![url];
    args.extend_from_slice(extra);
    common::run_client(&args, stdin.as_bytes())
}

#[test]
fn lines_are_echoed_and_eof_closes_normally() {
    let addr = start_server(&[]);
    let out = run_client(&format!("ws://{addr}/echo"), &[], "hello\nwörld €\n\n");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "hello\nwörld €\n\n");
}

#[test]
fn failed_handshake_prints_the_status_line_and_exits_non_zero() {
    let addr = start_server(&[]);
    let out = run_client(&format!("ws://{addr}/nowhere"), &[], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTTP/1.1 404"), "{stderr}");
}

#[test]
fn abnormal_close_code_is_reported_and_exits_non_zero() {
    let addr = start_server(&["--max-message", "8"]);
    let out = run_client(
        &format!("ws://{addr}/echo"),
        &[],
        "this line is longer than eight bytes\n",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1009"), "{stderr}");
}

#[test]
fn binary_is_printed_as_hex_and_headers_and_protocols_are_sent() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = runtime.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut seen = None;
        let config = ws_tokio::Config::default();
        let mut ws = ws_tokio::accept_with_config(stream, config, |request, upgrade| {
            seen = Some((
                request.header("x-token").map(str::to_owned),
                upgrade.protocols.clone(),
            ));
            Ok(ws_tokio::Accept {
                protocol: Some("chat".into()),
                ..ws_tokio::Accept::default()
            })
        })
        .await
        .unwrap();
        ws.send(Message::binary(vec![0x00, 0xab, 0xff]))
            .await
            .unwrap();
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        seen
    });
    let out = run_client(
        &format!("ws://{addr}/"),
        &[
            "--header",
            "X-Token: s3cret",
            "--protocol",
            "chat",
            "--protocol",
            "v2",
        ],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "00abff\n");
    let (token, protocols) = runtime.block_on(server).unwrap().unwrap();
    assert_eq!(token.as_deref(), Some("s3cret"));
    assert_eq!(protocols, ["chat", "v2"]);
}

#[test]
fn deflate_is_offered_on_request_and_the_echo_survives_compression() {
    let addr = start_server(&[]);
    let long = "compressible ".repeat(10_000);
    let input = format!("short\n{long}\n{long}\nwörld €\n");
    let out = run_client(
        &format!("ws://{addr}/echo"),
        &["--deflate", "--verbose"],
        &input,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Sec-WebSocket-Extensions: permessage-deflate"),
        "{stderr}"
    );
}

#[test]
fn deflate_is_not_offered_by_default() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = runtime.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut offered = None;
        let config = ws_tokio::Config {
            deflate: Some(ws_tokio::ws_frame::deflate::DeflateConfig::default()),
            ..ws_tokio::Config::default()
        };
        let mut ws = ws_tokio::accept_with_config(stream, config, |_, upgrade| {
            offered = Some(upgrade.extensions.len());
            Ok(ws_tokio::Accept::default())
        })
        .await
        .unwrap();
        while let Some(Ok(message)) = ws.recv().await {
            if !matches!(message, Message::Close(_)) {
                ws.send(message).await.unwrap();
            }
        }
        offered
    });
    let out = run_client(&format!("ws://{addr}/"), &["--verbose"], "plain\n");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "plain\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Sec-WebSocket-Extensions: (none)"),
        "{stderr}"
    );
    assert_eq!(runtime.block_on(server).unwrap(), Some(0));
}

/// How the scripted server of [`ends_while_stdin_stays_open`] ends the
/// connection.
#[derive(Clone, Copy)]
enum Ending {
    Close(CloseCode, &'static str),
    Drop,
}

/// Runs the client against a server that ends the connection as `ending`
/// says, with the client's stdin kept open (a person at a terminal who has
/// not pressed Ctrl-D): the client must exit by itself. Returns its output,
/// or `None` if it was still running after 10 s (it is then killed).
fn ends_while_stdin_stays_open(ending: Ending) -> Option<Output> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = ws_tokio::accept(stream).await.unwrap();
        match ending {
            Ending::Close(code, reason) => {
                let _ = ws.close(code, reason).await;
            }
            Ending::Drop => drop(ws),
        }
    });
    let mut child = spawn_client(&[&format!("ws://{addr}/")]);
    let stdin = child.stdin.take();
    let out = wait(child, Duration::from_secs(10));
    drop(stdin);
    out
}

#[test]
fn a_normal_close_by_the_server_exits_0_at_once() {
    for code in [CloseCode::NORMAL, CloseCode::GOING_AWAY] {
        let out = ends_while_stdin_stays_open(Ending::Close(code, ""))
            .expect("the client still ran after the server's Close");
        assert!(out.status.success(), "{code}: {out:?}");
    }
}

#[test]
fn another_close_code_exits_1_with_the_code_and_reason() {
    let out = ends_while_stdin_stays_open(Ending::Close(CloseCode(4001), "bye"))
        .expect("the client still ran after the server's Close");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("4001") && stderr.contains("\"bye\""),
        "{stderr}"
    );
}

#[test]
fn a_dropped_connection_exits_1_at_once() {
    let out = ends_while_stdin_stays_open(Ending::Drop)
        .expect("the client still ran after the connection was dropped");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1006"), "{stderr}");
}
