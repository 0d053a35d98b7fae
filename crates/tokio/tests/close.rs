//! Every way a connection ends (RFC 6455 §7): each side's closing handshake,
//! protocol errors, idle timeout, and a peer that vanishes.

mod common;

use std::time::Duration;

use common::*;
use ws_tokio::ws_frame::Event;
use ws_tokio::{CloseCode, CloseFrame, Config, Error, Message};

/// §7.1.2: the client starts; the server answers, and closes TCP first.
#[tokio::test]
async fn rfc6455_7_1_2_client_initiated_close() {
    let (addr, rx) = server_once(Config::default(), |mut ws| async move {
        let first = next(&mut ws).await;
        let second = next(&mut ws).await;
        (first, second.is_none())
    })
    .await;
    let mut ws = client(addr, Config::default()).await;
    tokio::time::timeout(SOON, ws.close(CloseCode::NORMAL, "bye"))
        .await
        .unwrap()
        .unwrap();
    let (first, then_none) = rx.await.unwrap();
    assert_eq!(
        first.unwrap().unwrap(),
        Message::close(CloseCode::NORMAL, "bye")
    );
    assert!(then_none);
    assert!(ws.recv().await.is_none());
    assert!(matches!(
        ws.send(Message::text("late")).await,
        Err(Error::Closed)
    ));
}

/// The server starts; the client sees the Close once, then `None`.
#[tokio::test]
async fn server_initiated_close() {
    let (addr, rx) = server_once(Config::default(), |mut ws| async move {
        let result = ws.close(CloseCode::GOING_AWAY, "restart").await;
        result.is_ok()
    })
    .await;
    let mut ws = client(addr, Config::default()).await;
    let close = next(&mut ws).await.unwrap().unwrap();
    assert_eq!(
        close,
        Message::Close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "restart")))
    );
    // The client then waits for the server to close TCP (§7.1.1) and ends.
    assert!(next(&mut ws).await.is_none());
    assert!(rx.await.unwrap(), "server's close() returns Ok");
}

/// A data message received while our Close is in flight is discarded by
/// `close()`, which still completes.
#[tokio::test]
async fn close_discards_messages_that_cross_it() {
    let addr = server(Config::default(), |mut ws| async move {
        ws.send(Message::text("crossing")).await.unwrap();
        while next(&mut ws).await.is_some() {}
    })
    .await;
    let mut ws = client(addr, Config::default()).await;
    tokio::time::timeout(SOON, ws.close(CloseCode::NORMAL, ""))
        .await
        .unwrap()
        .unwrap();
}

/// §7.1.7: a protocol violation makes the server send Close 1002, report the
/// error once, and close the connection.
#[tokio::test]
async fn rfc6455_7_4_1_protocol_error_sends_1002() {
    let (addr, rx) = server_once(Config::default(), |mut ws| async move {
        let first = next(&mut ws).await;
        let second = next(&mut ws).await;
        (first, second.is_none())
    })
    .await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    // §5.1: a client frame must be masked.
    peer.send(&frame(true, 0x1, b"unmasked", None)).await;
    match peer.next().await {
        Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::PROTOCOL_ERROR),
        other => panic!("expected Close 1002, got {other:?}"),
    }
    drop(peer); // the server waits for us to close before it reports
    let (first, then_none) = tokio::time::timeout(SOON, rx).await.unwrap().unwrap();
    let error = first.unwrap().unwrap_err();
    assert!(
        matches!(error, Error::Protocol(ws_frame::Error::UnmaskedFrame)),
        "{error}"
    );
    assert_eq!(error.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    assert!(then_none);
}

/// §8.1: invalid UTF-8 in a text message is 1007; the server closes TCP.
#[tokio::test]
async fn rfc6455_8_1_invalid_utf8_sends_1007() {
    let addr = echo_server().await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    peer.send(&client_frame(true, 0x1, &[0xce, 0xba, 0xff]))
        .await;
    match peer.next().await {
        Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::INVALID_PAYLOAD),
        other => panic!("expected Close 1007, got {other:?}"),
    }
    assert!(peer.expect_eof().await, "server closes the connection");
}

/// A frame over `max_frame_size` is 1009.
#[tokio::test]
async fn oversized_frame_sends_1009() {
    let config = Config {
        max_frame_size: 1000,
        ..Config::default()
    };
    let addr = server(config, echo).await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    peer.send(&client_frame(true, 0x2, &[0; 1001])).await;
    match peer.next().await {
        Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::MESSAGE_TOO_BIG),
        other => panic!("expected Close 1009, got {other:?}"),
    }
}

/// No frame from the peer for `idle_timeout`: Close 1001 (Going Away).
#[tokio::test]
async fn idle_timeout_sends_1001() {
    let config = Config {
        idle_timeout: Some(Duration::from_millis(200)),
        ..Config::default()
    };
    let addr = server(config, echo).await;
    let mut ws = client(addr, Config::default()).await;
    let close = next(&mut ws).await.unwrap().unwrap();
    match close {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::GOING_AWAY),
        other => panic!("expected Close 1001, got {other:?}"),
    }
    assert!(next(&mut ws).await.is_none());
}

/// An idle peer that does not answer our Close either is dropped after
/// `close_timeout`.
#[tokio::test]
async fn idle_peer_that_ignores_close_is_dropped() {
    let config = Config {
        idle_timeout: Some(Duration::from_millis(100)),
        close_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    let (addr, rx) = server_once(config, |mut ws| async move {
        let first = next(&mut ws).await;
        first.map(|r| r.is_err())
    })
    .await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    match peer.next().await {
        Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::GOING_AWAY),
        other => panic!("expected Close 1001, got {other:?}"),
    }
    // We never answer; the server gives up and reports it.
    assert_eq!(
        tokio::time::timeout(SOON, rx).await.unwrap().unwrap(),
        Some(true)
    );
    assert!(peer.expect_eof().await);
}

/// A peer that keeps sending data instead of answering our Close cannot
/// postpone the closing deadline: however busy the reading, the
/// connection is dropped after `close_timeout` (RFC 6455 §7.1.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flooding_peer_that_ignores_close_is_dropped() {
    let config = Config {
        close_timeout: Duration::from_millis(300),
        ..Config::default()
    };
    let (addr, rx) = server_once(config, |mut ws| async move {
        // Unconstrained: tokio's cooperative budget would otherwise
        // make reads pause now and then, which hides the problem.
        tokio::task::unconstrained(ws.close(CloseCode::NORMAL, "bye")).await
    })
    .await;
    let peer = RawPeer::connect(addr, &[]).await;
    // 64 KiB of small frames per write, as fast as the socket takes them:
    // the server always has more to read.
    let batch: Vec<u8> = (0..4096)
        .flat_map(|_| client_frame(true, 0x2, &[7; 10]))
        .collect();
    let mut stream = peer.stream;
    let flood = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while stream.write_all(&batch).await.is_ok() {}
    });
    let result = tokio::time::timeout(SOON, rx)
        .await
        .expect("the closing deadline did not end the connection")
        .unwrap();
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    // The server dropped the connection: the flood's writes fail.
    tokio::time::timeout(SOON, flood).await.unwrap().unwrap();
}

/// A peer that disappears in the middle of a frame: an error (1006), then
/// `None`, and no hang.
#[tokio::test]
async fn peer_vanishing_mid_frame_is_an_error() {
    let (addr, rx) = server_once(Config::default(), |mut ws| async move {
        let first = next(&mut ws).await;
        let second = next(&mut ws).await;
        (first, second.is_none())
    })
    .await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    let whole = client_frame(true, 0x2, &[5; 1000]);
    peer.send(&whole[..500]).await;
    drop(peer);
    let (first, then_none) = tokio::time::timeout(SOON, rx).await.unwrap().unwrap();
    let error = first.unwrap().unwrap_err();
    assert_eq!(error.close_code(), Some(CloseCode::ABNORMAL), "{error}");
    assert!(then_none);
}

/// The client side of a vanishing peer: the server's process dies.
#[tokio::test]
async fn client_sees_server_vanish() {
    let addr = server(Config::default(), |ws| async move { drop(ws) }).await;
    let mut ws = client(addr, Config::default()).await;
    assert!(next(&mut ws).await.unwrap().is_err());
    assert!(next(&mut ws).await.is_none());
}

/// A Close with an invalid code is a protocol error (§7.4.2).
#[tokio::test]
async fn rfc6455_7_4_2_invalid_close_code_is_1002() {
    let addr = echo_server().await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    peer.send(&client_frame(true, 0x8, &999u16.to_be_bytes()))
        .await;
    match peer.next().await {
        Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::PROTOCOL_ERROR),
        other => panic!("expected Close 1002, got {other:?}"),
    }
}

/// The raw peer closes; our server echoes the code (§5.5.1) and closes TCP.
#[tokio::test]
async fn rfc6455_5_5_1_close_is_echoed_and_tcp_closed() {
    let addr = echo_server().await;
    let mut peer = RawPeer::connect(addr, &[]).await;
    let mut body = 1000u16.to_be_bytes().to_vec();
    body.extend_from_slice(b"done");
    peer.send(&client_frame(true, 0x8, &body)).await;
    match peer.next().await {
        Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::NORMAL),
        other => panic!("expected the Close reply, got {other:?}"),
    }
    assert!(peer.expect_eof().await);
}
