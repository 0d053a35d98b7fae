//! permessage-deflate (RFC 7692) negotiated in the real handshake, both roles.

use tokio::net::TcpListener;
use ws_tokio::ws_frame::deflate::DeflateConfig;
use ws_tokio::{Accept, Config, ConnectOptions, Message};

/// An echo server on a free port with the given config; returns its URL.
async fn echo_server(config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let config = config.clone();
            tokio::spawn(async move {
                let accept = |_: &_, _: &_| Ok(Accept::default());
                let Ok(mut ws) = ws_tokio::accept_with_config(tcp, config, accept).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.recv().await {
                    if message.is_data() && ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("ws://{addr}/")
}

fn with_deflate() -> Config {
    Config {
        deflate: Some(DeflateConfig::default()),
        ..Config::default()
    }
}

#[tokio::test]
async fn rfc7692_5_negotiated_when_both_sides_want_it_and_messages_round_trip() {
    let url = echo_server(with_deflate()).await;
    let options = ConnectOptions {
        config: with_deflate(),
        ..ConnectOptions::default()
    };
    let (mut ws, response) = ws_tokio::connect_with(&url, options).await.unwrap();
    let accepted: Vec<_> = response
        .extensions()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(accepted, ["permessage-deflate"]);
    let text = r#"{"type":"message","text":"hello, compressed world"}"#.repeat(20_000);
    for _ in 0..3 {
        // Several messages: the shared LZ77 window (context takeover) must stay in step.
        ws.send(Message::text(text.clone())).await.unwrap();
        ws.send(Message::binary(vec![0u8; 100_000])).await.unwrap();
        ws.send(Message::text("tiny")).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text(text.clone())
        );
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::binary(vec![0u8; 100_000])
        );
        assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("tiny"));
    }
}

#[tokio::test]
async fn rfc7692_5_server_without_deflate_declines_and_plain_frames_flow() {
    let url = echo_server(Config::default()).await;
    let options = ConnectOptions {
        config: with_deflate(),
        ..ConnectOptions::default()
    };
    let (mut ws, response) = ws_tokio::connect_with(&url, options).await.unwrap();
    assert!(response.extensions().is_empty());
    ws.send(Message::text("plain")).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("plain"));
}

#[tokio::test]
async fn rfc7692_5_client_without_deflate_gets_no_extension() {
    let url = echo_server(with_deflate()).await;
    let (mut ws, response) = ws_tokio::connect(&url).await.unwrap();
    assert!(response.extensions().is_empty());
    ws.send(Message::text("plain")).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("plain"));
}

#[tokio::test]
async fn rfc7692_7_1_server_policy_no_context_takeover_and_small_window_is_honoured() {
    let mut policy = DeflateConfig::default();
    policy.server_no_context_takeover = true;
    policy.server_max_window_bits = 10;
    let url = echo_server(Config {
        deflate: Some(policy),
        ..Config::default()
    })
    .await;
    let options = ConnectOptions {
        config: with_deflate(),
        ..ConnectOptions::default()
    };
    let (mut ws, response) = ws_tokio::connect_with(&url, options).await.unwrap();
    let answer = &response.extensions()[0];
    assert!(
        answer
            .params
            .iter()
            .any(|(k, _)| k == "server_no_context_takeover"),
        "{answer:?}"
    );
    let text = "abcdefgh".repeat(10_000);
    for _ in 0..3 {
        ws.send(Message::text(text.clone())).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text(text.clone())
        );
    }
}
