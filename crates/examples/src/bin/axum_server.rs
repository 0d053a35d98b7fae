//! ws-tokio in an axum application: `/echo` and a tiny `/broadcast` with
//! the `ws_axum::WebSocketUpgrade` extractor, over HTTP/1.1 and HTTP/2
//! (`axum::serve` enables RFC 8441); `/` is an ordinary axum route.
//!
//! ```text
//! cargo run -p ws-examples --bin axum_server -- 127.0.0.1:9011
//! ```

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{any, get};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use ws_axum::{CloseCode, Message, WebSocket, WebSocketUpgrade};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9011")).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    let (room, _) = broadcast::channel::<Message>(64);
    // ANCHOR: axum_router
    // `any`, not `get`: over HTTP/2 the handshake is a CONNECT request.
    let app = Router::new()
        .route(
            "/",
            get(|| async { "WebSockets at /echo and /broadcast\n" }),
        )
        .route("/echo", any(echo))
        .route("/broadcast", any(broadcast_room))
        .with_state(room);
    axum::serve(listener, app).await
    // ANCHOR_END: axum_router
}

// ANCHOR: axum_echo
async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.protocols(["echo"])
        .on_upgrade(|mut socket: WebSocket| async move {
            while let Some(Ok(message)) = socket.recv().await {
                if message.is_data() && socket.send(message).await.is_err() {
                    break;
                }
            }
        })
}
// ANCHOR_END: axum_echo

async fn broadcast_room(
    ws: WebSocketUpgrade,
    State(room): State<broadcast::Sender<Message>>,
) -> Response {
    // Join before the answer goes out: a client that has seen its 101 (or
    // 200) gets every message sent after that.
    let inbox = room.subscribe();
    ws.on_upgrade(move |socket| join(socket, room, inbox))
}

/// A member of the room until it leaves or falls 64 messages behind.
async fn join(
    mut socket: WebSocket,
    room: broadcast::Sender<Message>,
    mut inbox: broadcast::Receiver<Message>,
) {
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(message)) if message.is_data() => {
                    let _ = room.send(message);
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => break,
            },
            outgoing = inbox.recv() => match outgoing {
                Ok(message) => {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
                Err(_) => {
                    let _ = socket.close(CloseCode::POLICY_VIOLATION, "too slow").await;
                    break;
                }
            },
        }
    }
}
