//! Peer broadcast server: fastwebsockets, as its users write a chat on it
//! (the library has no broadcast of its own): hyper 1 upgrades as in its
//! examples, the socket split (`unstable-split`) into a
//! `FragmentCollectorRead` and a `WebSocketWrite`, and a room that is a map
//! of members, each with a bounded `tokio::sync::mpsc` queue of shared
//! `Bytes`. A message is serialized once and the same bytes are queued to
//! every member (`try_send`, never waiting); each member's writer writes
//! them to its socket one frame at a time.
//!
//! Slow consumers: a member whose queue already holds [`QUEUE_FRAMES`]
//! frames is removed from the room at once and closed with 1008, its queued
//! frames discarded, as ours does (ours also caps the queue at 512 KiB).
//!
//! Control frames the reader must answer (a Ping's Pong) would need the
//! write half, which the member's writer owns; the load never pings, and a
//! Close ends the member (the writer then sends the reply).
//!
//! `broadcast-fastwebsockets --listen 127.0.0.1:0` prints `listening on
//! http://ADDR`; the protocol is `ws_bench::peer_chat`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use fastwebsockets::{FragmentCollectorRead, Frame, OpCode, Payload, WebSocketError, upgrade};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};
use ws_bench::peer_chat::{Member, QUEUE_FRAMES};

/// One member in a room: its queue, and the bell that tells it it was
/// dropped as a slow consumer.
struct Seat {
    queue: mpsc::Sender<Bytes>,
    dropped: Arc<Notify>,
}

/// The rooms, each a map of member id to seat.
#[derive(Default)]
struct Rooms {
    rooms: Mutex<HashMap<String, HashMap<u64, Seat>>>,
    next_id: AtomicU64,
}

impl Rooms {
    fn join(&self, room: &str, seat: Seat) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        rooms.entry(room.to_owned()).or_default().insert(id, seat);
        id
    }

    fn leave(&self, room: &str, id: u64) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(members) = rooms.get_mut(room) {
            members.remove(&id);
            if members.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Queues `frame` to every member of `room`; drops those whose queue is full.
    fn broadcast(&self, room: &str, frame: &Bytes) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(members) = rooms.get_mut(room) else {
            return;
        };
        members.retain(|_, seat| match seat.queue.try_send(frame.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                seat.dropped.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
    }
}

async fn handle_member(
    fut: upgrade::UpgradeFut,
    me: Member,
    rooms: Arc<Rooms>,
) -> Result<(), WebSocketError> {
    let ws = fut.await?;
    let (read, mut write) = ws.split(tokio::io::split);
    let mut read = FragmentCollectorRead::new(read);
    let (queue, mut inbox) = mpsc::channel::<Bytes>(QUEUE_FRAMES);
    let dropped = Arc::new(Notify::new());
    write
        .write_frame(Frame::text(Payload::Borrowed(me.welcome().as_bytes())))
        .await?;
    let id = rooms.join(
        &me.room,
        Seat {
            queue,
            dropped: Arc::clone(&dropped),
        },
    );
    let reader = async {
        loop {
            let frame = read
                .read_frame::<_, WebSocketError>(&mut |_| async { Ok(()) })
                .await?;
            match frame.opcode {
                OpCode::Close => return Ok(()),
                OpCode::Text => {
                    let relayed = std::str::from_utf8(&frame.payload)
                        .ok()
                        .and_then(|text| me.relay(text));
                    if let Some(out) = relayed {
                        rooms.broadcast(&me.room, &Bytes::from(out));
                    }
                }
                _ => {}
            }
        }
    };
    let writer = async {
        while let Some(frame) = inbox.recv().await {
            write
                .write_frame(Frame::text(Payload::Borrowed(&frame)))
                .await?;
        }
        Ok::<(), WebSocketError>(())
    };
    let end = tokio::select! {
        r = reader => r.map(|()| Frame::close(1000, b"")),
        r = writer => r.map(|()| Frame::close(1000, b"")),
        () = dropped.notified() => Ok(Frame::close(1008, b"slow consumer")),
    };
    rooms.leave(&me.room, id);
    write.write_frame(end?).await
}

async fn server_upgrade(
    mut req: Request<Incoming>,
    rooms: Arc<Rooms>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let Some(me) = Member::from_target(req.uri().path(), req.uri().query()) else {
        let mut not_found = Response::new(Empty::new());
        *not_found.status_mut() = StatusCode::NOT_FOUND;
        return Ok(not_found);
    };
    let (response, fut) = upgrade::upgrade(&mut req)?;
    tokio::task::spawn(async move {
        let _ = tokio::task::unconstrained(handle_member(fut, me, rooms)).await;
    });
    Ok(response)
}

fn main() -> std::io::Result<()> {
    let addr = ws_bench::listen_arg();
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(&addr).await?;
            ws_bench::print_listening(listener.local_addr()?);
            let rooms = Arc::new(Rooms::default());
            loop {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                let rooms = Arc::clone(&rooms);
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let service = service_fn(move |req| server_upgrade(req, Arc::clone(&rooms)));
                    let conn_fut = http1::Builder::new()
                        .serve_connection(io, service)
                        .with_upgrades();
                    let _ = conn_fut.await;
                });
            }
        })
}
