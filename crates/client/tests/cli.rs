//! `ws-client` end to end: the real binary against the real server (run
//! in-process) and against a scripted ws-tokio server.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};

use clap::Parser;
use tokio::net::TcpListener;
use ws_tokio::{CloseCode, Message};

/// Starts `ws-server` with `args` on a free port in a background runtime.
fn start_server(args: &[&str]) -> SocketAddr {
    let mut argv = vec!["ws-server", "--listen", "127.0.0.1:0"];
    argv.extend_from_slice(args);
    let options = ws_server::Options::parse_from(argv);
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

/// Runs the client with `stdin` as its input.
fn run_client(url: &str, extra: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-client"))
        .arg(url)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_ws-client"))
        .arg(format!("ws://{addr}/"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let exited = loop {
        if child.try_wait().unwrap().is_some() {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    if !exited {
        child.kill().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    exited.then_some(out)
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
