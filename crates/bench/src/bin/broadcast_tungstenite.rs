//! Peer broadcast server: tokio-tungstenite with one
//! `tokio::sync::broadcast` channel per room, the way its users write a
//! chat (the axum and tokio-tungstenite chat examples' shape): each member
//! subscribes to its room's channel; one future reads the member's frames
//! and publishes the room frame, another receives from the channel and
//! sends every frame to the socket (`SinkExt::send`: one write and flush per
//! frame), both under one `select!`.
//!
//! Slow consumers: the channel holds the last [`QUEUE_FRAMES`] frames of
//! the room. A member whose receiver falls further behind gets
//! `RecvError::Lagged` and is closed with 1008, like ours; the channel
//! never waits for it. (Ours also counts bytes; a broadcast channel counts
//! only frames.)
//!
//! `broadcast-tungstenite --listen 127.0.0.1:0` prints `listening on http://ADDR`;
//! the protocol is `ws_bench::peer_chat`. Current-thread runtime, as every
//! server of the comparison.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use ws_bench::peer_chat::{Member, QUEUE_FRAMES};

/// Each room's channel; a room is removed when its last member leaves.
type Rooms = Arc<Mutex<HashMap<String, broadcast::Sender<Message>>>>;

fn main() -> std::io::Result<()> {
    let addr = ws_bench::listen_arg();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let listener = TcpListener::bind(&addr).await?;
            ws_bench::print_listening(listener.local_addr()?);
            let rooms = Rooms::default();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(member(stream, Arc::clone(&rooms)));
            }
            Ok(())
        })
}

async fn member(stream: TcpStream, rooms: Rooms) {
    let _ = stream.set_nodelay(true);
    let mut joined = None;
    // The signature is the library's `Callback`; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        joined = Member::from_target(req.uri().path(), req.uri().query());
        if joined.is_some() {
            Ok(resp)
        } else {
            let mut not_found = ErrorResponse::new(None);
            *not_found.status_mut() = StatusCode::NOT_FOUND;
            Err(not_found)
        }
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let Some(me) = joined else { return };
    let room = {
        let mut rooms = rooms.lock().unwrap_or_else(PoisonError::into_inner);
        rooms
            .entry(me.room.clone())
            .or_insert_with(|| broadcast::channel(QUEUE_FRAMES).0)
            .clone()
    };
    let mut inbox = room.subscribe();
    let (mut write, mut read) = ws.split();
    if write.send(Message::text(me.welcome())).await.is_ok() {
        let reader = async {
            while let Some(Ok(frame)) = read.next().await {
                match frame {
                    Message::Text(text) => {
                        if let Some(out) = me.relay(text.as_str()) {
                            // Err only when nobody listens, and we do.
                            let _ = room.send(Message::text(out));
                        }
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        };
        let writer = async {
            loop {
                match inbox.recv().await {
                    Ok(frame) => {
                        if write.send(frame).await.is_err() {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        let close = CloseFrame {
                            code: CloseCode::Policy,
                            reason: "slow consumer".into(),
                        };
                        let _ = write.send(Message::Close(Some(close))).await;
                        return;
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        };
        let member_left = tokio::select! {
            () = reader => true,
            () = writer => false,
        };
        if member_left {
            let _ = write.close().await;
        }
    }
    drop(inbox);
    let mut rooms = rooms.lock().unwrap_or_else(PoisonError::into_inner);
    if room.receiver_count() == 0 {
        rooms.remove(&me.room);
    }
}
