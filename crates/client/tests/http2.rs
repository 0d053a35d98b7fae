//! `--http2`: the WebSocket as a stream of an HTTP/2 connection (RFC 8441),
//! against ws-server over TLS and against small TLS servers made here that
//! lack one piece (no `h2` by ALPN, no `SETTINGS_ENABLE_CONNECT_PROTOCOL`).
//! The other options behave as over HTTP/1.1 (docs/server-interface.md §9).

mod common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::*;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_rustls::rustls::{self, pki_types::ServerName};
use ws_tokio::{Accept, Config, HyperUpgrade, Message};

fn wss(addr: SocketAddr, path: &str) -> String {
    format!("wss://localhost:{}{path}", addr.port())
}

/// `GET path` over HTTPS/1.1 (rustls trusting `certs.ca`): the body.
fn https_get(addr: SocketAddr, certs: &Certs, path: &str) -> String {
    let pem = std::fs::read(&certs.ca).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    let mut stream = rustls::StreamOwned::new(tls, tcp);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    // The server closes after its answer; a missing close_notify is fine.
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn echo_over_http2_with_deflate_and_the_server_counts_an_http2_upgrade() {
    let certs = certs("h2-echo", &["localhost"], false);
    let addr = start_tls_server(&certs);
    let ca = certs.ca.to_str().unwrap();
    let long = "compressible ".repeat(5_000);
    let input = format!("hello\n{long}\n");
    let args = [
        &wss(addr, "/echo"),
        "--http2",
        "--ca",
        ca,
        "--deflate",
        "--jsonl",
        "--show",
    ];
    let out = run_client(&args, input.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "open");
    assert_eq!(events[0]["extensions"], "permessage-deflate");
    assert_eq!(events[1]["data"], "hello");
    assert_eq!(events[2]["data"], long.as_str());
    assert!(stderr(&out).contains("over HTTP/2"), "{}", stderr(&out));
    // The server saw it come over HTTP/2, not over HTTP/1.1.
    let metrics = https_get(addr, &certs, "/metrics");
    assert!(
        metrics.contains("ws_upgrades_by_http_version_total{version=\"2\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ws_upgrades_by_http_version_total{version=\"1.1\"} 0"),
        "{metrics}"
    );
}

#[test]
fn binary_max_messages_and_the_chat_behave_as_over_http1() {
    let certs = certs("h2-modes", &["localhost"], false);
    let addr = start_tls_server(&certs);
    let ca = certs.ca.to_str().unwrap();
    // --binary: each line a binary message; --max-messages 2: close after
    // two echoes, although stdin has more.
    let echo = wss(addr, "/echo");
    let args = [
        &echo,
        "--http2",
        "--ca",
        ca,
        "--binary",
        "--max-messages",
        "2",
    ];
    let out = run_client(&args, b"ab\ncd\nef\n");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "6162\n6364\n");
    // The chat over HTTP/2: the first event is the welcome.
    let chat = wss(addr, "/chat/lobby?name=ada");
    let out = run_client(&[&chat, "--http2", "--ca", ca, "--once"], b"");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let welcome: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(welcome["type"], "welcome", "{welcome}");
}

#[test]
fn a_refusal_over_http2_prints_its_status_line_and_reason_and_exits_6() {
    let certs = certs("h2-refused", &["localhost"], false);
    let addr = start_server(&[
        "--tls-cert",
        certs.cert.to_str().unwrap(),
        "--tls-key",
        certs.key.to_str().unwrap(),
        "--allowed-origin",
        "https://good.example",
    ]);
    let ca = certs.ca.to_str().unwrap();
    let echo = wss(addr, "/echo");
    let args = [
        &echo,
        "--http2",
        "--ca",
        ca,
        "--origin",
        "https://evil.example",
    ];
    let out = run_client(&args, b"hi\n");
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    let err = stderr(&out);
    let mut lines = err.lines();
    assert_eq!(lines.next(), Some("HTTP/2 403 Forbidden"), "{err}");
    // The reason from the body of the answer, on the next line.
    assert!(lines.next().unwrap().contains("rigin"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn http2_needs_a_wss_url() {
    let out = run_client(&["ws://127.0.0.1:9/echo", "--http2"], b"");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).contains("--http2 needs a wss:// URL"),
        "{out:?}"
    );
    let out = run_client(&["--listen", "127.0.0.1:0", "--http2"], b"");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// A TLS server for `certs` offering `alpn` (nothing when empty) that
/// serves each connection with `serve`, on a runtime of its own.
fn tls_server<F, Fut>(certs: &Certs, alpn: &[&[u8]], serve: F) -> SocketAddr
where
    F: Fn(tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let chain: Vec<_> = rustls_pemfile::certs(&mut std::fs::read(&certs.cert).unwrap().as_slice())
        .map(Result::unwrap)
        .collect();
    let key = rustls_pemfile::private_key(&mut std::fs::read(&certs.key).unwrap().as_slice())
        .unwrap()
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                if let Ok(tls) = acceptor.accept(tcp).await {
                    tokio::spawn(serve(tls));
                }
            }
        });
    });
    addr
}

/// hyper's HTTP/2 server over `tls`, RFC 8441 on or off, answering every
/// WebSocket with subprotocol `chat` and one message, after recording the
/// `x-token` header and the offered subprotocols in `seen`.
async fn h2_serve(
    tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    connect_protocol: bool,
    seen: Arc<Mutex<Vec<String>>>,
) {
    let service = service_fn(move |mut request: Request<Incoming>| {
        let seen = Arc::clone(&seen);
        async move {
            let upgrade = match HyperUpgrade::from_request(&mut request) {
                Ok(upgrade) => upgrade,
                Err(rejection) => {
                    return Ok::<_, std::convert::Infallible>(rejection.into_response());
                }
            };
            let token = request
                .headers()
                .get("x-token")
                .map(|v| v.to_str().unwrap().to_owned());
            seen.lock().unwrap().extend(token);
            seen.lock()
                .unwrap()
                .extend(upgrade.protocols().iter().cloned());
            let accept = Accept {
                protocol: Some("chat".into()),
                ..Accept::default()
            };
            let (response, upgrading) = upgrade.accept(accept, Config::default());
            tokio::spawn(async move {
                let Ok(mut ws) = upgrading.await else { return };
                let _ = ws.send(Message::text("from h2")).await;
                while let Some(Ok(_)) = ws.recv().await {}
            });
            Ok::<Response<Full<Bytes>>, _>(response)
        }
    });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    if connect_protocol {
        builder.enable_connect_protocol();
    }
    let _ = builder.serve_connection(TokioIo::new(tls), service).await;
}

#[test]
fn headers_protocols_and_verbose_go_over_http2_as_over_http1() {
    let certs = certs("h2-headers", &["localhost"], false);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&seen);
    let addr = tls_server(&certs, &[b"h2"], move |tls| {
        h2_serve(tls, true, Arc::clone(&recorded))
    });
    let ca = certs.ca.to_str().unwrap();
    let url = wss(addr, "/");
    let args = [
        &url,
        "--http2",
        "--ca",
        ca,
        "--header",
        "X-Token: s3cret",
        "--protocol",
        "chat",
        "--protocol",
        "v2",
        "--verbose",
        "--once",
    ];
    let out = run_client(&args, b"");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "from h2\n");
    assert!(
        stderr(&out).contains("Sec-WebSocket-Protocol: chat"),
        "{out:?}"
    );
    assert_eq!(*seen.lock().unwrap(), ["s3cret", "chat", "v2"]);
}

#[test]
fn an_http2_server_without_rfc_8441_exits_8() {
    let certs = certs("h2-no-8441", &["localhost"], false);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&seen);
    let addr = tls_server(&certs, &[b"h2"], move |tls| {
        h2_serve(tls, false, Arc::clone(&recorded))
    });
    let ca = certs.ca.to_str().unwrap();
    let out = run_client(&[&wss(addr, "/"), "--http2", "--ca", ca], b"hi\n");
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    assert!(
        stderr(&out).contains("SETTINGS_ENABLE_CONNECT_PROTOCOL"),
        "{out:?}"
    );
    // RFC 8441 §3: no extended CONNECT was sent to it.
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_tls_server_without_h2_exits_8() {
    let certs = certs("h2-no-alpn", &["localhost"], false);
    let ca = certs.ca.to_str().unwrap();
    // One that speaks only http/1.1 by ALPN refuses the TLS handshake
    // (no_application_protocol); one without ALPN answers without it.
    for alpn in [&[b"http/1.1".as_slice()][..], &[]] {
        let addr = tls_server(&certs, alpn, |_tls| async {});
        let out = run_client(&[&wss(addr, "/"), "--http2", "--ca", ca], b"");
        assert_eq!(out.status.code(), Some(8), "{alpn:?}: {out:?}");
        assert!(stderr(&out).contains("does not offer HTTP/2"), "{out:?}");
    }
}
