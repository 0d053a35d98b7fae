//! `counter`: clicks from one page update every page, the user count
//! follows connections, and `GET /` serves the page.

mod common;

use common::{Program, next_text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_tokio::{CloseCode, Message};

#[tokio::test]
async fn clicks_from_one_page_update_every_page_and_users_are_counted() {
    let server = Program::start(env!("CARGO_BIN_EXE_counter"), &["127.0.0.1:0"]);
    let url = format!("{}/", server.url);

    let (mut a, _) = ws_tokio::connect(&url).await.unwrap();
    assert_eq!(next_text(&mut a).await, r#"{"type":"state","value":0}"#);
    assert_eq!(next_text(&mut a).await, r#"{"type":"users","count":1}"#);

    let (mut b, _) = ws_tokio::connect(&url).await.unwrap();
    assert_eq!(next_text(&mut b).await, r#"{"type":"state","value":0}"#);
    assert_eq!(next_text(&mut b).await, r#"{"type":"users","count":2}"#);
    assert_eq!(next_text(&mut a).await, r#"{"type":"users","count":2}"#);

    a.send(Message::text(r#"{"action":"plus"}"#)).await.unwrap();
    for ws in [&mut a, &mut b] {
        assert_eq!(next_text(ws).await, r#"{"type":"state","value":1}"#);
    }
    b.send(Message::text(r#"{"action":"minus"}"#))
        .await
        .unwrap();
    b.send(Message::text(r#"{"action":"minus"}"#))
        .await
        .unwrap();
    for ws in [&mut a, &mut b] {
        assert_eq!(next_text(ws).await, r#"{"type":"state","value":0}"#);
        assert_eq!(next_text(ws).await, r#"{"type":"state","value":-1}"#);
    }

    // Anything else is refused to its sender only.
    b.send(Message::text(r#"{"action":"reset"}"#))
        .await
        .unwrap();
    assert!(next_text(&mut b).await.starts_with(r#"{"type":"error","#));

    b.close(CloseCode::NORMAL, "bye").await.unwrap();
    assert_eq!(next_text(&mut a).await, r#"{"type":"users","count":1}"#);

    // A page opened later sees the value the others left.
    let (mut c, _) = ws_tokio::connect(&url).await.unwrap();
    assert_eq!(next_text(&mut c).await, r#"{"type":"state","value":-1}"#);
}

/// Sends one raw HTTP request and returns the whole answer.
async fn http_get(addr: &str, path: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    let read = tcp.read_to_string(&mut answer);
    tokio::time::timeout(common::SOON, read)
        .await
        .unwrap()
        .unwrap();
    answer
}

#[tokio::test]
async fn get_slash_serves_the_page_and_other_paths_are_404() {
    let server = Program::start(env!("CARGO_BIN_EXE_counter"), &["127.0.0.1:0"]);
    let page = http_get(server.addr(), "/").await;
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(
        page.contains("Content-Type: text/html; charset=utf-8\r\n"),
        "{page}"
    );
    assert!(
        page.ends_with(include_str!("../static/counter.html")),
        "{page}"
    );
    // Self-contained: nothing else to load, no other host to reach.
    for external in ["src=", "href=", "http://", "https://", "@import"] {
        assert!(!page.contains(external), "the page refers to {external}");
    }

    let missing = http_get(server.addr(), "/favicon.ico").await;
    assert!(
        missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{missing}"
    );
}
