//! One chat connection: a reader and a writer, run side by side in the
//! connection's task.
//!
//! The reader rate-limits and parses what the client sends and acts on the
//! room; the writer drains the member's outbox into the socket. The writer
//! also closes the connection when the room drops the member as a slow
//! consumer (1008) or the server shuts down (1001); the reader then sees
//! the client's answering Close. Whichever way the connection ends, the
//! member leaves the room, so the others always get `leave`.

use std::any::Any;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tracing::debug;
use ws_tokio::{CloseCode, Message, WebSocket, WebSocketReader, WebSocketWriter};

use super::layer::ChannelLayer;
use super::protocol::{self, Command, ErrorCode, Refusal};
use super::queue::Outbox;
use super::ratelimit::{BURST, RATE, TokenBucket};
use super::resume::Resume;
use super::room::{Joined, Kick, Membership};
use crate::close::{self, REMOVED, SHUTTING_DOWN, SLOW_CONSUMER, TOKEN_EXPIRED};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// Why the writer stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// The reader finished (the client closed or vanished).
    Reader,
    /// The room dropped this member as a slow consumer: closed with 1008.
    Kicked,
    /// The server is shutting down: closed with 1001.
    Shutdown,
    /// Writing failed: the connection is gone.
    Failed,
    /// The token's `exp` passed: closed with 4001.
    Expired,
    /// Removed through the HTTP API: closed with 4003.
    Removed,
}

/// What a connection asked to join: the room, the name, the history.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Join<'a> {
    pub(crate) room: &'a str,
    pub(crate) requested: Option<&'a str>,
    pub(crate) resume: &'a Resume,
    /// With a token: `requested` is its `sub`, taken as it is (never
    /// `-2`), and the connection ends at `expires` (4001).
    pub(crate) identity: Option<Identity>,
}

/// A connection whose name comes from a verified token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Identity {
    /// The token's `exp`.
    pub(crate) expires: std::time::SystemTime,
}

// ANCHOR: serve
/// Serves one member of `room` until the connection ends; returns the close
/// code it ended with (1006: without a Close frame).
pub(crate) async fn serve<S, L>(
    ws: WebSocket<S>,
    join: Join<'_>,
    layer: &L,
    shutdown: &Shutdown,
) -> CloseCode
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    L: ChannelLayer,
{
    let Join {
        room,
        requested,
        resume,
        identity,
    } = join;
    let Joined {
        membership,
        mut outbox,
        kicked,
    } = layer
        .join(room, requested, resume, identity.is_some())
        .await;
    // At `exp` by the wall clock, measured on the monotonic one from now.
    // An `exp` too far off for the monotonic clock never comes.
    let expires = identity.and_then(|id| {
        let left = id
            .expires
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        tokio::time::Instant::now().checked_add(left)
    });
    debug!(room, name = membership.name(), "joined");
    ws.with_stream(limit_send_buffer);
    let (mut reader, mut writer) = ws.split();
    let reader_done = Notify::new();
    let read = async {
        let code = read_loop(&mut reader, &membership, layer).await;
        reader_done.notify_one();
        code
    };
    let write = write_loop(
        &mut writer,
        &mut outbox,
        Wake {
            kicked: &kicked,
            reader_done: &reader_done,
            shutdown,
            expires,
        },
        layer.rooms().metrics(),
    );
    let (code, ended) = tokio::join!(read, write);
    debug!(
        room,
        name = membership.name(),
        ?ended,
        code = code.0,
        "left"
    );
    layer.leave(membership).await;
    match ended {
        Ended::Kicked => SLOW_CONSUMER.code,
        Ended::Shutdown => SHUTTING_DOWN.code,
        Ended::Expired => TOKEN_EXPIRED.code,
        Ended::Removed => REMOVED.code,
        Ended::Reader | Ended::Failed => code,
    }
}
// ANCHOR_END: serve

/// The kernel's send buffer for a chat socket (Linux doubles it). Left to
/// itself the kernel grows it to megabytes for a peer that does not read
/// (up to the maximum of `tcp_wmem`), which would hide a slow consumer
/// behind that much kernel memory each before its queue ever fills. Chat frames are small; this is
/// plenty for them.
const SEND_BUFFER: usize = 64 << 10;

/// Sets [`SEND_BUFFER`] on the TCP socket under `stream` (plain or TLS;
/// other streams, such as in-memory ones, are left alone).
fn limit_send_buffer<S: 'static>(stream: &S) {
    let stream: &dyn Any = stream;
    let tcp = stream.downcast_ref::<TcpStream>().or_else(|| {
        stream
            .downcast_ref::<tokio_rustls::server::TlsStream<TcpStream>>()
            .map(|tls| tls.get_ref().0)
    });
    if let Some(tcp) = tcp
        && let Err(e) = socket2::SockRef::from(tcp).set_send_buffer_size(SEND_BUFFER)
    {
        debug!(error = %e, "cannot set SO_SNDBUF");
    }
}

/// Reads until the connection ends; returns its close code.
async fn read_loop<S, L>(
    reader: &mut WebSocketReader<S>,
    membership: &Membership,
    layer: &L,
) -> CloseCode
where
    S: AsyncRead + AsyncWrite + Unpin,
    L: ChannelLayer,
{
    let metrics = layer.rooms().metrics();
    let mut bucket = TokenBucket::new(RATE, BURST, Instant::now());
    loop {
        let data = match reader.recv().await {
            Some(Ok(data @ (Message::Text(_) | Message::Binary(_)))) => data,
            other => match close::ended_by(&other) {
                Some(code) => return code,
                None => continue,
            },
        };
        metrics.message_in(data.len());
        // Before parsing: a flood costs a token check per frame.
        if !bucket.try_take(Instant::now()) {
            rate_limited(membership, metrics);
            continue;
        }
        let command = match &data {
            Message::Text(text) => protocol::parse(text.as_str()),
            _ => Err(Refusal::bad_request(
                "binary frames are not part of the chat protocol",
            )),
        };
        match command {
            Ok(Command::Message { text, id }) => layer.say(membership, &text, id.as_deref()).await,
            Ok(Command::Direct { to, text }) => {
                if let Err(refusal) = layer.direct(membership, &to, &text).await {
                    membership.reply(&refusal.encode());
                }
            }
            Ok(Command::Who) => layer.who(membership).await,
            Err(refusal) => membership.reply(&refusal.encode()),
        }
    }
}

fn rate_limited(membership: &Membership, metrics: &Metrics) {
    metrics.chat_rate_limited.fetch_add(1, Relaxed);
    let refusal = Refusal {
        code: ErrorCode::RateLimited,
        message: format!(
            "more than {RATE} messages per second (burst {BURST}): this one was dropped"
        ),
    };
    membership.reply(&refusal.encode());
}

/// What woke the writer.
enum Step {
    Sent(Batch),
    Stop(Ended),
    Close(Ended),
}

/// Frames handed to the socket together.
#[derive(Clone, Copy, Debug)]
struct Batch {
    frames: usize,
    /// Their payload bytes.
    bytes: usize,
}

/// What, besides a frame, the writer wakes for.
struct Wake<'a> {
    /// The room dropped this member as a slow consumer.
    kicked: &'a Kick,
    /// The reader finished.
    reader_done: &'a Notify,
    shutdown: &'a Shutdown,
    /// When the member's token expires.
    expires: Option<tokio::time::Instant>,
}

// ANCHOR: send_batch
/// Most frames handed to the socket at once: they leave in one vectored
/// write instead of one write each.
const BATCH: usize = 64;

/// Waits for the next frame, queues it and whatever else is waiting (up to
/// [`BATCH`] frames) in the socket, and writes them out. Returns how many
/// frames and payload bytes that was, or `None` if the connection is gone.
async fn send_batch<S>(
    writer: &mut WebSocketWriter<S>,
    outbox: &mut Outbox,
    metrics: &Metrics,
) -> Option<Batch>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let first = outbox.recv().await?;
    // Ready: at most the high-water mark is queued in the socket.
    poll_fn(|cx| Pin::new(&mut *writer).poll_ready(cx))
        .await
        .ok()?;
    let mut frames = 1;
    let mut bytes = first.len();
    first.start_send(writer, metrics).ok()?;
    while frames < BATCH {
        let Some(frame) = outbox.try_recv() else {
            break;
        };
        frames += 1;
        bytes += frame.len();
        frame.start_send(writer, metrics).ok()?;
    }
    // Writes what it can now; the rest goes with the next batch, or is
    // written by the reader half, which writes out whatever is queued.
    poll_fn(|cx| Pin::new(&mut *writer).poll_ready(cx))
        .await
        .ok()?;
    Some(Batch { frames, bytes })
}
// ANCHOR_END: send_batch

// ANCHOR: write_loop
/// Drains the outbox into the socket until the reader finishes, the member
/// is kicked, or the server shuts down.
async fn write_loop<S>(
    writer: &mut WebSocketWriter<S>,
    outbox: &mut Outbox,
    wake: Wake<'_>,
    metrics: &Metrics,
) -> Ended
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Each waited on by one future for the whole connection: making (and
    // registering) new ones for every batch would cost more than the batch,
    // and the shutdown signal is shared by every connection.
    let shutdown = wake.shutdown.wait();
    let reader_done = wake.reader_done.notified();
    let kicked = wake.kicked.notified();
    let expired = async {
        match wake.expires {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(shutdown, reader_done, kicked, expired);
    loop {
        let step = tokio::select! {
            biased;
            () = &mut reader_done => Step::Stop(Ended::Reader),
            () = &mut kicked => Step::Close(if wake.kicked.was_removal() {
                Ended::Removed
            } else {
                Ended::Kicked
            }),
            () = &mut shutdown => Step::Close(Ended::Shutdown),
            () = &mut expired => Step::Close(Ended::Expired),
            // Cancelling this between `recv` and the queueing loses
            // frames, but only when the connection is ending anyway.
            sent = send_batch(writer, outbox, metrics) => sent.map_or(Step::Stop(Ended::Failed), Step::Sent),
        };
        match step {
            Step::Sent(batch) => metrics.messages_out(batch.frames, batch.bytes),
            Step::Stop(ended) => return ended,
            Step::Close(ended) => {
                let closing = match ended {
                    Ended::Kicked => SLOW_CONSUMER,
                    Ended::Expired => TOKEN_EXPIRED,
                    Ended::Removed => REMOVED,
                    _ => SHUTTING_DOWN,
                };
                // Bounded by the close timeout; the reader sees the answer.
                let _ = writer.close(closing.code, closing.reason).await;
                return ended;
            }
        }
    }
}
// ANCHOR_END: write_loop
