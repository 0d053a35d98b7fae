//! `/echo` over io_uring: ws-frame's [`Connection`] driven by compio, with
//! no protocol rule of its own, like the blocking adapter
//! (`crates/frame/examples/blocking`) and ws-tokio's socket.
//!
//! ```text
//!   handle_timeout(now) ─► poll_event(): echo each message ─► write poll_transmit()
//!        ▲                                                          │ transport()?
//!        └── wait: multishot recv │ sleep_until(poll_timeout) │ shutdown ◄┘
//! ```
//!
//! The receive is one multishot `recv` armed for the life of the connection:
//! the kernel picks a buffer from the thread's registered buffer ring for
//! each arrival and posts a completion, so a receive costs no submission at
//! all; the bytes are copied into the connection and the buffer goes back
//! to the ring at once, so an idle connection holds none. Because the
//! receive stays armed while we wait on a timer or write, nothing that
//! arrived is ever lost to a cancelled read (a completion-based read, unlike
//! a readiness one, cannot be dropped safely once it may have completed).

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Instant;

use compio::io::{AsyncReadMulti, AsyncWrite, AsyncWriteExt};
use compio::net::TcpStream;
use futures_util::Stream;
use ws_tokio::ws_frame::{CloseCode, Connection, Event, Transport};

use crate::close::SHUTTING_DOWN;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// What ended a wait.
enum Woken {
    /// Bytes arrived (already handed to the connection) or the stream ended.
    Read,
    /// The connection's deadline passed.
    Time,
    /// The server is shutting down.
    Shutdown,
    /// Receiving failed.
    Failed,
}

/// The timer of [`Connection::poll_timeout`], re-armed only when that
/// instant changes: the core keeps it early and moves it lazily, so a busy
/// connection keeps one timer instead of one per message.
struct Timer {
    at: Option<Instant>,
    sleep: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

impl Timer {
    fn poll(&mut self, at: Option<Instant>, cx: &mut Context<'_>) -> Poll<()> {
        if at != self.at {
            self.at = at;
            self.sleep = at.map(|at| {
                Box::pin(compio::time::sleep_until(at)) as Pin<Box<dyn Future<Output = ()>>>
            });
        }
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

// ANCHOR: uring_echo
/// Echoes every text and binary message until the connection is finished.
/// Returns the code it ended with: the peer's Close code (1005 without
/// one), the code of the error we closed with (1002, 1007, 1009), 1001
/// for the shutdown or the idle timeout, 1006 for a connection lost
/// without a Close.
pub(super) async fn echo(
    stream: TcpStream,
    mut conn: Connection,
    shutdown: &Shutdown,
    metrics: &Metrics,
) -> CloseCode {
    let mut reader = &stream;
    let mut writer = &stream;
    // 0: each receive fills at most one ring buffer.
    let mut received = pin!(reader.read_multi(0));
    let mut shutting_down = pin!(shutdown.wait());
    let mut timer = Timer {
        at: None,
        sleep: None,
    };
    let mut ended: Option<CloseCode> = None;
    let mut shut = false;
    loop {
        conn.handle_timeout(Instant::now());
        if conn.timed_out() {
            ended.get_or_insert(CloseCode::ABNORMAL);
        }
        while conn.transport() == Transport::Open {
            match conn.poll_event() {
                Ok(Some(event)) => echo_event(&mut conn, event, &mut ended, metrics),
                Ok(None) => break,
                Err(e) => {
                    ended.get_or_insert(e.close_code());
                    break;
                }
            }
        }
        if conn.needs_time() {
            conn.handle_timeout(Instant::now());
        }
        let written = write_out(&mut writer, &mut conn).await;
        let wait_eof = match conn.transport() {
            Transport::Open if written.is_err() => return ended.unwrap_or(CloseCode::ABNORMAL),
            Transport::Open => false,
            // RFC 6455 §7.1.1: the server closes the TCP connection first.
            Transport::ShutDown => {
                let _ = writer.shutdown().await;
                conn.transport_shut_down();
                continue;
            }
            // After a failure, drain until the peer's EOF, so that our
            // Close is read before any reset.
            Transport::AwaitEof => true,
            Transport::Finished => break,
        };
        let open = !wait_eof && !shut;
        let woken = poll_fn(|cx| {
            match received.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(buffer))) => {
                    conn.receive(&buffer);
                    return Poll::Ready(Woken::Read);
                }
                Poll::Ready(Some(Err(e))) if e.kind() == io::ErrorKind::ResourceBusy => {
                    // The ring ran out of buffers: the completions holding
                    // them belong to tasks that have not run yet. Let them
                    // run (and return theirs), then re-arm.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(_))) => return Poll::Ready(Woken::Failed),
                Poll::Ready(None) => {
                    conn.receive_eof();
                    return Poll::Ready(Woken::Read);
                }
                Poll::Pending => {}
            }
            if open && shutting_down.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Woken::Shutdown);
            }
            timer.poll(conn.poll_timeout(), cx).map(|()| Woken::Time)
        })
        .await;
        match woken {
            Woken::Read | Woken::Time => {}
            Woken::Shutdown => {
                shut = true;
                let _ = conn.close(SHUTTING_DOWN.code, SHUTTING_DOWN.reason);
                ended.get_or_insert(SHUTTING_DOWN.code);
            }
            Woken::Failed if wait_eof => conn.receive_eof(),
            Woken::Failed => return ended.unwrap_or(CloseCode::ABNORMAL),
        }
    }
    ended.unwrap_or(CloseCode::ABNORMAL)
}
// ANCHOR_END: uring_echo

/// `/echo`'s answer to one event: a data message goes back with its
/// opcode; Pings and Pongs are the core's business; a Close ends it.
fn echo_event(conn: &mut Connection, event: Event, ended: &mut Option<CloseCode>, m: &Metrics) {
    let sent = match event {
        Event::Text(text) => {
            let len = text.len();
            m.message_in(len);
            conn.send_text(text).map(|()| len)
        }
        Event::Binary(data) => {
            let len = data.len();
            m.message_in(len);
            conn.send_binary(data).map(|()| len)
        }
        Event::Close(frame) => {
            ended.get_or_insert(frame.map_or(CloseCode::NO_STATUS, |f| f.code));
            return;
        }
        // Fragments are only delivered when the config asks for them; the
        // server's does not. Pings are answered by the core.
        Event::Fragment(_) | Event::Ping(_) | Event::Pong(_) => return,
    };
    // Refused only once a Close was sent, when the echo has no reader left.
    if let Ok(len) = sent {
        m.message_out(len);
    }
}

/// Writes out everything the connection queued, one send per chunk (the
/// `Bytes` are handed to the kernel as they are: no copy).
async fn write_out(writer: &mut &TcpStream, conn: &mut Connection) -> io::Result<()> {
    while let Some(chunk) = conn.poll_transmit() {
        writer.write_all(chunk).await.0?;
    }
    Ok(())
}
