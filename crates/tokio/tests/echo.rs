//! Messages of every size and kind make a round trip between this crate's
//! client and server; fragmented and leftover input is reassembled.

mod common;

use bytes::Bytes;
use common::*;
use ws_tokio::ws_frame::Event;
use ws_tokio::{Config, Message, Role, WebSocket};

#[tokio::test]
async fn text_and_binary_echo_from_0_bytes_to_16_mib() {
    let addr = echo_server().await;
    let mut ws = client(addr, Config::default()).await;
    // Around every length-encoding boundary (§5.2: 7, 16 and 64-bit lengths)
    // and the zero-copy threshold of the core.
    for len in [
        0,
        1,
        125,
        126,
        127,
        4095,
        4096,
        65535,
        65536,
        65537,
        1 << 20,
        16 << 20,
    ] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let data = Bytes::from(data);
        ws.send(Message::Binary(data.clone())).await.unwrap();
        assert_eq!(
            next(&mut ws).await.unwrap().unwrap(),
            Message::Binary(data),
            "binary {len}"
        );

        let text: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        ws.send(Message::text(text.clone())).await.unwrap();
        let echoed = next(&mut ws).await.unwrap().unwrap();
        assert_eq!(echoed.as_text(), Some(text.as_str()), "text {len}");
    }
    let multibyte = "κόσμε €𝄞 ".repeat(1000);
    ws.send(Message::text(multibyte.clone())).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap().as_text(),
        Some(multibyte.as_str())
    );
    ws.close(ws_tokio::CloseCode::NORMAL, "").await.unwrap();
}

#[tokio::test]
async fn many_small_messages_keep_their_order() {
    let addr = echo_server().await;
    let mut ws = client(addr, Config::default()).await;
    for i in 0..2000 {
        ws.send(Message::text(i.to_string())).await.unwrap();
    }
    ws.flush().await.unwrap();
    for i in 0..2000 {
        assert_eq!(
            next(&mut ws).await.unwrap().unwrap().as_text(),
            Some(i.to_string().as_str())
        );
    }
}

/// RFC 6455 §5.4: a fragmented message, with a Ping between its fragments
/// (§5.5: control frames MAY be injected in the middle), arrives whole.
#[tokio::test]
async fn rfc6455_5_4_fragmented_message_with_interleaved_ping() {
    let addr = echo_server().await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    let mut bytes = client_frame(false, 0x1, b"Hel");
    bytes.extend(client_frame(true, 0x9, b"ping"));
    bytes.extend(client_frame(false, 0x0, b"lo, "));
    bytes.extend(client_frame(true, 0x0, "wörld".as_bytes()));
    // One byte at a time: every split point must work.
    for b in bytes {
        peer.send(&[b]).await;
    }
    assert_eq!(
        peer.next().await,
        Some(Event::Pong(Bytes::from_static(b"ping")))
    );
    match peer.next().await {
        Some(Event::Text(text)) => assert_eq!(text, "Hello, wörld"),
        other => panic!("expected the echo, got {other:?}"),
    }
}

/// Bytes that arrive in the same read as the HTTP request are the first
/// frames (RFC 6455 §4.2.2: the server may receive them right away).
#[tokio::test]
async fn leftover_bytes_after_the_request_are_kept() {
    let addr = echo_server().await;
    let mut extra = client_frame(true, 0x1, b"early");
    extra.extend(client_frame(true, 0x2, &[1, 2, 3]));
    let mut peer = RawPeer::connect(addr, &extra).await;
    assert_eq!(peer.next().await, Some(Event::Text("early".into())));
    assert_eq!(
        peer.next().await,
        Some(Event::Binary(Bytes::from_static(&[1, 2, 3])))
    );
}

/// The client keeps the frames a server sends in the same write as its 101.
#[tokio::test]
async fn leftover_bytes_after_the_101_are_kept() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = vec![0; 4096];
        let mut head = Vec::new();
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tcp.read(&mut buf).await.unwrap();
            head.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8(head).unwrap();
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .trim()
            .to_owned();
        let mut out = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            ws_handshake::accept_key(key.as_bytes())
        )
        .into_bytes();
        out.extend(frame(true, 0x1, b"first", None));
        tcp.write_all(&out).await.unwrap();
        // Keep the connection open until the client is done.
        let _ = tcp.read(&mut buf).await;
    });
    let mut ws = client(addr, Config::default()).await;
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::text("first")
    );
}

/// `from_raw` over an in-memory duplex: both roles, no TCP at all.
#[tokio::test]
async fn from_raw_over_a_duplex() {
    let (a, b) = tokio::io::duplex(1024);
    let mut server = WebSocket::from_raw(a, Role::Server, Config::default(), Default::default());
    let mut client = WebSocket::from_raw(b, Role::Client, Config::default(), Default::default());
    let big = Bytes::from(vec![7u8; 100_000]);
    let sender = tokio::spawn(async move {
        client.send(Message::Binary(big)).await.unwrap();
        client.send(Message::text("after")).await.unwrap();
        client.flush().await.unwrap();
        client
    });
    assert_eq!(next(&mut server).await.unwrap().unwrap().len(), 100_000);
    assert_eq!(
        next(&mut server).await.unwrap().unwrap(),
        Message::text("after")
    );
    let _client = sender.await.unwrap();
}

/// The socket is a `futures` `Stream` and `Sink` of messages.
#[tokio::test]
async fn stream_and_sink() {
    use futures_util::{SinkExt, StreamExt};
    let addr = echo_server().await;
    let mut ws = client(addr, Config::default()).await;
    ws.send(Message::text("via sink")).await.unwrap();
    SinkExt::send(&mut ws, Message::text("via sink"))
        .await
        .unwrap();
    SinkExt::flush(&mut ws).await.unwrap();
    for _ in 0..2 {
        let message = tokio::time::timeout(SOON, StreamExt::next(&mut ws))
            .await
            .unwrap();
        assert_eq!(message.unwrap().unwrap(), Message::text("via sink"));
    }
    SinkExt::close(&mut ws).await.unwrap();
    // The Close answer, then the end.
    assert!(matches!(next(&mut ws).await, Some(Ok(Message::Close(_)))));
    assert!(next(&mut ws).await.is_none());
}
