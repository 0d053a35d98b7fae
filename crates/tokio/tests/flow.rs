//! Flow control and concurrency: backpressure, split halves in two tasks,
//! cancel safety under `select!`, many connections, keepalive.

mod common;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use ws_frame::{Connection, Event};
use ws_tokio::{CloseCode, Config, Message, Role, WebSocket};

/// Reads everything `stream` carries (as the client) until `count` data
/// messages arrived; returns them.
async fn read_messages(stream: &mut DuplexStream, count: usize) -> Vec<Event> {
    let mut conn = Connection::new(Role::Client, Default::default());
    let mut events = Vec::new();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    while events.len() < count {
        while let Some(event) = conn.poll_event().unwrap() {
            events.push(event);
        }
        if events.len() >= count {
            break;
        }
        buf.clear();
        let n = tokio::time::timeout(SOON, stream.read_buf(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "stream ended early");
        conn.receive(&buf);
    }
    events
}

/// A peer that never reads: `send` blocks instead of buffering without end,
/// and the queue stays within the high-water mark plus one message.
#[tokio::test]
async fn backpressure_bounds_the_write_buffer() {
    for msg_len in [1000, 8 * 1024, 256 * 1024] {
        let high_water = 64 * 1024;
        let (ours, mut theirs) = tokio::io::duplex(16 * 1024);
        let config = Config {
            write_buffer_high_water: high_water,
            ..Config::default()
        };
        let mut ws = WebSocket::from_raw(ours, Role::Server, config, BytesMut::new());
        let message = Message::Binary(Bytes::from(vec![9u8; msg_len]));
        let mut completed = 0;
        loop {
            match tokio::time::timeout(Duration::from_millis(100), ws.send(message.clone())).await {
                Ok(result) => {
                    result.unwrap();
                    completed += 1;
                    assert!(completed < 10_000, "send never blocked");
                }
                // Blocked: the peer reads nothing. (The message was queued.)
                Err(_) => break,
            }
            assert!(
                ws.buffered_amount() <= high_water + msg_len + 14,
                "{}",
                ws.buffered_amount()
            );
        }
        assert!(ws.buffered_amount() <= high_water + msg_len + 14);
        // Bounded by what the pipe and the queue hold.
        assert!(
            completed * msg_len <= 16 * 1024 + high_water + msg_len,
            "{completed} x {msg_len}"
        );
        // Once the peer reads, every queued message arrives, exactly once.
        let expected = completed + 1;
        let (flushed, events) = tokio::join!(ws.flush(), read_messages(&mut theirs, expected));
        flushed.unwrap();
        assert_eq!(events.len(), expected);
        assert!(
            events
                .iter()
                .all(|e| matches!(e, Event::Binary(b) if b.len() == msg_len))
        );
        assert_eq!(ws.buffered_amount(), 0);
    }
}

/// A peer that floods Pings but never reads: we stop reading once the Pongs
/// fill the write buffer, instead of queueing Pongs without end.
#[tokio::test]
async fn ping_flood_from_a_peer_that_never_reads_is_bounded() {
    let high_water = 8 * 1024;
    let (ours, theirs) = tokio::io::duplex(4 * 1024);
    let config = Config {
        write_buffer_high_water: high_water,
        ..Config::default()
    };
    let mut ws = WebSocket::from_raw(ours, Role::Server, config, BytesMut::new());
    let (_their_read, mut their_write) = tokio::io::split(theirs);
    let flood = tokio::spawn(async move {
        let ping = client_frame(true, 0x9, &[1; 125]);
        for _ in 0..10_000 {
            if their_write.write_all(&ping).await.is_err() {
                break;
            }
        }
    });
    let mut pings = 0;
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_millis(300), ws.recv()).await
    {
        assert!(message.unwrap().is_ping());
        pings += 1;
        assert!(ws.buffered_amount() <= high_water + 127);
    }
    assert!(pings < 10_000, "reading should have stopped");
    flood.abort();
}

/// The halves in two tasks: the reader forwards to the writer, which echoes.
/// Pings sent meanwhile are answered by the reader half.
#[tokio::test]
async fn split_halves_in_two_tasks() {
    let addr = server(Config::default(), |ws| async move {
        let (mut reader, mut writer) = ws.split();
        let (tx, mut rx) = mpsc::channel::<Message>(16);
        let write_task = tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                writer.send(message).await.unwrap();
            }
            writer.flush().await.unwrap();
        });
        while let Some(Ok(message)) = reader.recv().await {
            if message.is_data() {
                tx.send(message).await.unwrap();
            }
        }
        drop(tx);
        write_task.await.unwrap();
    })
    .await;
    let ws = client(addr, Config::default()).await;
    let (mut reader, mut writer) = ws.split();
    let sender = tokio::spawn(async move {
        for i in 0..500u32 {
            writer
                .send(Message::binary(i.to_be_bytes().to_vec()))
                .await
                .unwrap();
            if i % 50 == 0 {
                writer
                    .send(Message::ping(i.to_be_bytes().to_vec()))
                    .await
                    .unwrap();
            }
        }
        writer.flush().await.unwrap();
        writer
    });
    let (mut data, mut pongs) = (0u32, 0);
    while data < 500 {
        match tokio::time::timeout(SOON, reader.recv())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            Message::Binary(b) => {
                assert_eq!(&b[..], data.to_be_bytes());
                data += 1;
            }
            Message::Pong(_) => pongs += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(pongs, 10);
    let mut writer = sender.await.unwrap();
    // The writer closes; the reader (still reading) sees the answer.
    let closer = tokio::spawn(async move { writer.close(CloseCode::NORMAL, "").await });
    while tokio::time::timeout(SOON, reader.recv())
        .await
        .unwrap()
        .is_some()
    {}
    tokio::time::timeout(SOON, closer)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// The reader half writes automatic Pongs while the writer half of another
/// task is streaming (and often waiting for the socket): neither the Pongs
/// nor the writer's wake-ups get lost.
#[tokio::test]
async fn reader_pongs_do_not_steal_the_writer_wakeup() {
    const CHUNKS: usize = 64;
    let addr = server(Config::default(), |ws| async move {
        let (mut reader, mut writer) = ws.split();
        let write_task = tokio::spawn(async move {
            for i in 0..CHUNKS {
                writer
                    .send(Message::Binary(Bytes::from(vec![
                        u8::try_from(i).unwrap();
                        256 * 1024
                    ])))
                    .await
                    .unwrap();
            }
            writer.flush().await.unwrap();
        });
        while let Some(Ok(_)) = reader.recv().await {}
        write_task.await.unwrap();
    })
    .await;
    let ws = client(addr, Config::default()).await;
    let (mut reader, mut writer) = ws.split();
    let pinger = tokio::spawn(async move {
        for i in 0..200u32 {
            writer
                .send(Message::ping(i.to_be_bytes().to_vec()))
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
        writer.flush().await.unwrap();
        writer
    });
    let (mut chunks, mut pongs) = (0, 0);
    while chunks < CHUNKS || pongs < 200 {
        match tokio::time::timeout(SOON, reader.recv())
            .await
            .expect("lost wake-up")
            .unwrap()
            .unwrap()
        {
            Message::Binary(b) => {
                assert_eq!(b.len(), 256 * 1024);
                assert_eq!(b[0] as usize, chunks);
                chunks += 1;
            }
            Message::Pong(_) => pongs += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    let _writer = pinger.await.unwrap();
}

/// `recv` inside `select!` with a timer that keeps winning: every message
/// arrives exactly once and in order, also large ones that take many reads.
#[tokio::test]
async fn recv_is_cancel_safe_in_select() {
    const N: u32 = 300;
    let addr = server(Config::default(), |mut ws| async move {
        for i in 0..N {
            let mut payload = i.to_be_bytes().to_vec();
            // Every tenth message is large enough to arrive in many reads.
            payload.resize(if i % 10 == 0 { 300_000 } else { 4 }, 0);
            ws.send(Message::binary(payload)).await.unwrap();
        }
        ws.flush().await.unwrap();
        while ws.recv().await.is_some() {}
    })
    .await;
    let mut ws = client(addr, Config::default()).await;
    let mut expected = 0;
    let mut cancelled = 0;
    let deadline = tokio::time::Instant::now() + SOON;
    while expected < N {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stuck at {expected}"
        );
        tokio::select! {
            message = ws.recv() => {
                let Message::Binary(b) = message.unwrap().unwrap() else { panic!() };
                assert_eq!(&b[..4], expected.to_be_bytes(), "lost or duplicated");
                expected += 1;
            }
            () = tokio::time::sleep(Duration::from_micros(50)) => cancelled += 1,
        }
    }
    assert!(cancelled > 0 || expected == N);
}

/// `send` in a `select!` loop: once polled, a message is queued exactly once
/// even when the other branch wins; nothing is lost or sent twice.
#[tokio::test]
async fn send_in_select_queues_each_message_once() {
    const N: u32 = 300;
    let addr = echo_server().await;
    let ws = client(
        addr,
        Config {
            write_buffer_high_water: 1024,
            ..Config::default()
        },
    )
    .await;
    let (mut reader, mut writer) = ws.split();
    let mut tick = tokio::time::interval(Duration::from_micros(100));
    for i in 0..N {
        let message = Message::binary([i.to_be_bytes().to_vec(), vec![0; 5000]].concat());
        tokio::select! {
            biased;
            result = writer.send(message) => result.unwrap(),
            // Dropping the send future after its first poll only stops waiting.
            _ = tick.tick() => {}
        }
    }
    writer.flush().await.unwrap();
    for i in 0..N {
        let Message::Binary(b) = tokio::time::timeout(SOON, reader.recv())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(&b[..4], i.to_be_bytes());
    }
}

/// `select!` between `recv` and a ticker that sends, on one unsplit socket.
#[tokio::test]
async fn select_between_recv_and_send_on_one_socket() {
    const N: usize = 200;
    let addr = echo_server().await;
    let mut ws = client(addr, Config::default()).await;
    let mut tick = tokio::time::interval(Duration::from_micros(200));
    let (mut sent, mut received) = (0, 0);
    let deadline = tokio::time::Instant::now() + SOON;
    while received < N {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::select! {
            message = ws.recv() => {
                assert_eq!(message.unwrap().unwrap().as_text(), Some(received.to_string().as_str()));
                received += 1;
            }
            _ = tick.tick(), if sent < N => {
                ws.send(Message::text(sent.to_string())).await.unwrap();
                sent += 1;
            }
        }
    }
}

/// 1000 connections at once, each echoing a message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections() {
    let addr = echo_server().await;
    let mut tasks = Vec::new();
    for i in 0..1000 {
        tasks.push(tokio::spawn(async move {
            let mut ws = client(addr, Config::default()).await;
            let text = format!("hello {i}");
            ws.send(Message::text(text.clone())).await.unwrap();
            assert_eq!(
                next(&mut ws).await.unwrap().unwrap().as_text(),
                Some(text.as_str())
            );
            ws
        }));
    }
    let mut sockets = Vec::new();
    for task in tasks {
        sockets.push(tokio::time::timeout(SOON, task).await.unwrap().unwrap());
    }
    // All open at the same time; now close them all.
    let closes = sockets
        .into_iter()
        .map(|mut ws| tokio::spawn(async move { ws.close(CloseCode::NORMAL, "").await }));
    for close in closes.collect::<Vec<_>>() {
        tokio::time::timeout(SOON, close)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// Keepalive: after the interval of silence our client pings, the server's
/// automatic Pong comes back, and the round trip is measured.
#[tokio::test]
async fn keepalive_measures_rtt() {
    let addr = echo_server().await;
    let config = Config {
        keepalive_interval: Some(Duration::from_millis(50)),
        ..Config::default()
    };
    let mut ws = client(addr, config).await;
    assert_eq!(ws.rtt(), None);
    loop {
        if next(&mut ws).await.unwrap().unwrap().is_pong() {
            break;
        }
    }
    assert!(ws.rtt().is_some());
}

/// The server side: it pings a client whose application only reads; the
/// client's automatic Pong gives the server its round-trip time.
#[tokio::test]
async fn server_keepalive_with_a_client_that_only_reads() {
    let (tx, mut rx) = mpsc::channel(1);
    let config = Config {
        keepalive_interval: Some(Duration::from_millis(50)),
        ..Config::default()
    };
    let addr = server(config, move |mut ws| {
        let tx = tx.clone();
        async move {
            while let Some(Ok(message)) = ws.recv().await {
                if message.is_pong() {
                    let _ = tx.send(ws.rtt()).await;
                }
            }
        }
    })
    .await;
    let mut ws = client(addr, Config::default()).await;
    let reader = tokio::spawn(async move { while ws.recv().await.is_some() {} });
    let rtt = tokio::time::timeout(SOON, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(rtt.is_some());
    reader.abort();
}

/// Keepalive Pings keep a connection alive that the peer's idle timeout
/// would otherwise close.
#[tokio::test]
async fn keepalive_prevents_idle_timeout() {
    let server_config = Config {
        idle_timeout: Some(Duration::from_millis(600)),
        ..Config::default()
    };
    let addr = server(server_config, echo).await;
    let config = Config {
        keepalive_interval: Some(Duration::from_millis(100)),
        ..Config::default()
    };
    let mut ws = client(addr, config).await;
    let until = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(message) = tokio::time::timeout_at(until, ws.recv()).await {
        assert!(message.unwrap().unwrap().is_pong(), "only Pongs while idle");
    }
    ws.send(Message::text("still here")).await.unwrap();
    loop {
        let message = next(&mut ws).await.unwrap().unwrap();
        if message.is_text() {
            break;
        }
    }
}
