//! Tests of the driver itself (buffers, auto traits); behaviour tests
//! are in `tests/` and in ws-conformance.

use std::future::poll_fn;

use bytes::Bytes;

use super::*;

fn pair() -> (
    Inner<tokio::io::DuplexStream>,
    Inner<tokio::io::DuplexStream>,
) {
    let (a, b) = tokio::io::duplex(1 << 20);
    let server = Inner::new(a, Role::Server, Config::default(), BytesMut::new(), None);
    let client = Inner::new(b, Role::Client, Config::default(), BytesMut::new(), None);
    (server, client)
}

/// An idle connection gives its read buffer back, also after a large
/// message (10 000 idle connections must cost a few KiB each).
#[tokio::test]
async fn idle_connection_holds_no_read_buffer() {
    let (mut server, mut client) = pair();
    for len in [10, 200_000] {
        client
            .queue(Message::Binary(Bytes::from(vec![1; len])))
            .unwrap();
        poll_fn(|cx| client.poll_flush(cx)).await.unwrap();
        let message = poll_fn(|cx| server.poll_recv(cx)).await.unwrap().unwrap();
        assert_eq!(message.len(), len);
        // Nothing more to read: the poll parks and the buffer is released.
        let parked = poll_fn(|cx| Poll::Ready(server.poll_recv(cx).is_pending())).await;
        assert!(parked);
        assert_eq!(server.conn.read_buf().capacity(), 0);
    }
}

/// The halves are shared between tasks; the unsplit socket owns its
/// driver without a lock, so it moves between threads (`Send`) but is not
/// `Sync` (a `&WebSocket` is not shared across threads).
#[test]
fn sockets_are_send_and_halves_sync() {
    fn check<T: Send + Sync>() {}
    fn check_send<T: Send>() {}
    check_send::<crate::WebSocket<tokio::net::TcpStream>>();
    check::<crate::WebSocketReader<crate::MaybeTlsStream>>();
    check::<crate::WebSocketWriter<crate::MaybeTlsStream>>();
    check::<Error>();
}
