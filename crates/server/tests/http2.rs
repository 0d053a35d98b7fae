//! `ws-server` over HTTP/2: with TLS it offers `h2` by ALPN, announces RFC
//! 8441, and serves `/echo` and `/chat/{room}` as WebSocket streams of the
//! connection (several at once), the page, `/healthz` and `/metrics` as
//! plain HTTP/2 answers, with the same origin check and handshake statuses
//! as over HTTP/1.1, and counts upgrades by HTTP version.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Server;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http2::SendRequest;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, pki_types::ServerName};
use ws_tokio::{Config, Message, Role, WebSocket};

const SOON: Duration = Duration::from_secs(10);

/// A server with a certificate for `localhost` made here; its CA's PEM.
fn tls_server(dir_name: &str, extra: &[&str]) -> (Server, String, std::path::PathBuf) {
    let certificate = common::tls::localhost_certificate(dir_name);
    let (cert_path, key_path) = (&certificate.cert_path, &certificate.key_path);
    let mut args = vec![
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
        "--allowed-origin",
        "https://localhost",
    ];
    args.extend_from_slice(extra);
    let server = Server::start(&args);
    (server, certificate.ca_pem, certificate.dir)
}

/// An HTTP/2 connection over TLS with ALPN `h2`, after the server's
/// SETTINGS arrived (a first GET /healthz, answered `ok`).
async fn h2_connection(port: u16, ca_pem: &str) -> SendRequest<Empty<Bytes>> {
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(b"h2".as_slice()));
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(connection);
    let (status, body) = get(&mut send, port, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    send
}

async fn get(send: &mut SendRequest<Empty<Bytes>>, port: u16, path: &str) -> (u16, String) {
    let request = Request::get(format!("https://localhost:{port}{path}"))
        .body(Empty::new())
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// An extended CONNECT (RFC 8441 §5) for `path`.
async fn connect(
    send: &mut SendRequest<Empty<Bytes>>,
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
) -> Response<Incoming> {
    let mut request = Request::builder()
        .method(Method::CONNECT)
        .uri(format!("https://localhost:{port}{path}"))
        .extension(hyper::ext::Protocol::from_static("websocket"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send.send_request(request.body(Empty::new()).unwrap())
        .await
        .unwrap()
}

const GOOD: [(&str, &str); 2] = [
    ("sec-websocket-version", "13"),
    ("origin", "https://localhost"),
];

async fn websocket(response: Response<Incoming>) -> WebSocket<TokioIo<hyper::upgrade::Upgraded>> {
    assert_eq!(response.status(), StatusCode::OK);
    let upgraded = hyper::upgrade::on(response).await.unwrap();
    WebSocket::from_raw(
        TokioIo::new(upgraded),
        Role::Client,
        Config::default(),
        bytes::BytesMut::new(),
    )
}

async fn next_text<S>(ws: &mut WebSocket<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(SOON, ws.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => text.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

#[tokio::test]
async fn echo_and_chat_over_http2_streams_of_one_connection() {
    let (server, ca, dir) = tls_server("ws-server-h2", &[]);
    let port = server.addr.port();
    let mut send = h2_connection(port, &ca).await;

    let mut first = websocket(connect(&mut send, port, "/echo", &GOOD).await).await;
    let mut second = websocket(connect(&mut send, port, "/echo", &GOOD).await).await;
    first.send(Message::text("one")).await.unwrap();
    second.send(Message::text("two")).await.unwrap();
    assert_eq!(next_text(&mut second).await, "two");
    assert_eq!(next_text(&mut first).await, "one");

    let mut ann = websocket(connect(&mut send, port, "/chat/h2room?name=ann", &GOOD).await).await;
    let welcome = next_text(&mut ann).await;
    assert!(welcome.contains("\"welcome\""), "{welcome}");

    // The page and the metrics on the same connection: three HTTP/2
    // upgrades so far, none over HTTP/1.1.
    let (status, page) = get(&mut send, port, "/").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"messages\""));
    let (_, metrics) = get(&mut send, port, "/metrics").await;
    assert!(
        metrics.contains("ws_upgrades_by_http_version_total{version=\"2\"} 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ws_upgrades_by_http_version_total{version=\"1.1\"} 0\n"),
        "{metrics}"
    );
    let (status, _) = get(&mut send, port, "/nothing").await;
    assert_eq!(status, 404);
    first
        .close(ws_tokio::CloseCode::NORMAL, "done")
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn http2_refusals_have_the_http1_statuses() {
    let (server, ca, dir) = tls_server("ws-server-h2-refusals", &[]);
    let port = server.addr.port();
    let mut send = h2_connection(port, &ca).await;

    let foreign = [
        ("sec-websocket-version", "13"),
        ("origin", "https://elsewhere.example"),
    ];
    let response = connect(&mut send, port, "/echo", &foreign).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = connect(&mut send, port, "/echo", &[("origin", "https://localhost")]).await;
    assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(response.headers()["sec-websocket-version"], "13");

    let (_, metrics) = get(&mut send, port, "/metrics").await;
    assert!(
        metrics.contains("ws_rejected_upgrades_total 2\n"),
        "{metrics}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_stalled_http2_websocket_does_not_stall_the_others_on_its_connection() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (server, ca, dir) = tls_server("ws-server-h2-isolation", &[]);
    let port = server.addr.port();
    let mut send = h2_connection(port, &ca).await;
    let mut stalled = websocket(connect(&mut send, port, "/echo", &GOOD).await).await;
    let mut neighbour = websocket(connect(&mut send, port, "/echo", &GOOD).await).await;
    // The stalled one sends ~20 MB and never reads its echoes.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sent);
    let flood = tokio::spawn(async move {
        let message = Message::binary(vec![1u8; 1000]);
        for _ in 0..20_000 {
            if stalled.send(message.clone()).await.is_err() {
                break;
            }
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    // Round trips on the neighbour until the flood has stood still for
    // three of them, then twenty more: every one must come back.
    let mut still = 0;
    let mut i = 0;
    while still < 3 && i < 100_000 {
        let before = sent.load(Ordering::Relaxed);
        neighbour.send(Message::text(format!("{i}"))).await.unwrap();
        assert_eq!(next_text(&mut neighbour).await, format!("{i}"));
        tokio::task::yield_now().await;
        let after = sent.load(Ordering::Relaxed);
        still = if after == before && after > 0 {
            still + 1
        } else {
            0
        };
        i += 1;
    }
    assert_eq!(still, 3, "the flood never stopped: nothing was stalled");
    for j in 0..20 {
        neighbour
            .send(Message::text(format!("after {j}")))
            .await
            .unwrap();
        assert_eq!(next_text(&mut neighbour).await, format!("after {j}"));
    }
    assert!(sent.load(Ordering::Relaxed) < 20_000);
    flood.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `--auth-secret`, a chat stream over HTTP/2 needs the same token as
/// over HTTP/1.1 (401 without, 403 for a room it does not allow), and the
/// token's `sub` is the member's name; `/echo` stays open.
#[tokio::test]
async fn http2_chat_needs_the_token_as_http1_does() {
    const SECRET: &str = "h2-secret-of-some-length";
    let (server, ca, dir) = tls_server("ws-server-h2-auth", &["--auth-secret", SECRET]);
    let port = server.addr.port();
    let mut send = h2_connection(port, &ca).await;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"sub": "ann", "rooms": ["lobby"], "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();

    let response = connect(&mut send, port, "/chat/lobby?name=eve", &GOOD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let path = format!("/chat/other?token={token}");
    let response = connect(&mut send, port, &path, &GOOD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let path = format!("/chat/lobby?name=eve&token={token}");
    let mut ws = websocket(connect(&mut send, port, &path, &GOOD).await).await;
    let welcome: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["name"], "ann");

    let mut echo = websocket(connect(&mut send, port, "/echo", &GOOD).await).await;
    echo.send(Message::text("open")).await.unwrap();
    assert_eq!(next_text(&mut echo).await, "open");
    let _ = std::fs::remove_dir_all(&dir);
}
