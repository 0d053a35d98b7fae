//! State sync: one counter shared by everyone. `GET /` serves a page with
//! − and + buttons; every click updates every open page at once, and each
//! page shows how many users are connected.
//!
//! ```text
//! cargo run -p ws-examples --bin counter -- 127.0.0.1:9004   # then open http://127.0.0.1:9004/
//! ```
//!
//! The protocol is JSON text messages on a WebSocket at `/`:
//!
//! ```text
//!  client → server   {"action":"minus"}  {"action":"plus"}
//!  server → client   {"type":"state","value":N}   after every change, and on joining
//!                    {"type":"users","count":N}   whenever someone joins or leaves
//!                    {"type":"error","message":"…"}   to the sender of anything else
//! ```
//!
//! One port serves both the page and the WebSocket (RFC 6455 §1.3): the
//! server reads the HTTP request itself with [`ws_tokio::read_request`],
//! answers plain requests with [`ws_tokio::ws_handshake::http_response`],
//! and hands upgrade requests to [`ws_tokio::upgrade`].

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};
use ws_tokio::ws_handshake::http_response;
use ws_tokio::{Accept, Config, Message};

/// The page: self-contained, no external assets.
const PAGE: &str = include_str!("../../static/counter.html");

/// How many updates a page may fall behind before it is disconnected.
const QUEUE_LEN: usize = 64;

// ANCHOR: state
/// What a client may ask for.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
enum Action {
    Minus,
    Plus,
}

/// Everything the connections share, behind one lock so that the value
/// and the messages announcing it change together (every page sees the
/// same sequence of values).
#[derive(Default)]
struct State {
    value: i64,
    users: HashMap<u64, mpsc::Sender<Message>>,
}

impl State {
    /// The newcomer learns the value, then everyone the new count.
    fn join(&mut self, id: u64, queue: mpsc::Sender<Message>) {
        let _ = queue.try_send(self.value_message());
        self.users.insert(id, queue);
        self.notify(self.users_message());
    }

    fn leave(&mut self, id: u64) {
        self.users.remove(&id);
        self.notify(self.users_message());
    }

    fn apply(&mut self, action: Action) {
        self.value = match action {
            Action::Minus => self.value.saturating_sub(1),
            Action::Plus => self.value.saturating_add(1),
        };
        self.notify(self.value_message());
    }

    /// Offers `message` to every user; one too far behind is dropped.
    fn notify(&mut self, message: Message) {
        self.users
            .retain(|_, queue| queue.try_send(message.clone()).is_ok());
    }

    fn value_message(&self) -> Message {
        Message::text(format!(r#"{{"type":"state","value":{}}}"#, self.value))
    }

    fn users_message(&self) -> Message {
        Message::text(format!(
            r#"{{"type":"users","count":{}}}"#,
            self.users.len()
        ))
    }
}
// ANCHOR_END: state

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9004")).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    let state = Arc::new(Mutex::new(State::default()));
    for id in 0_u64.. {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(serve(tcp, id, Arc::clone(&state)));
    }
    Ok(())
}

// ANCHOR: serve
/// One connection: the page, a 404, or a user until they leave.
async fn serve(mut tcp: TcpStream, id: u64, state: Arc<Mutex<State>>) {
    let config = Config::default();
    // A malformed request was answered (400/431) inside `read_request`.
    let Ok((request, leftover)) = ws_tokio::read_request(&mut tcp, &config).await else {
        return;
    };
    if request.path() != "/" || !request.is_upgrade() {
        let response = match (request.method(), request.path()) {
            ("GET", "/") => http_response(
                200,
                &[("Content-Type", "text/html; charset=utf-8")],
                PAGE.as_bytes(),
            ),
            _ => http_response(404, &[("Content-Type", "text/plain")], b"not found\n"),
        };
        let _ = tcp.write_all(&response).await;
        let _ = tcp.shutdown().await;
        return;
    }
    let Ok(mut ws) = ws_tokio::upgrade(tcp, &request, leftover, config, Accept::default()).await
    else {
        return; // not a valid upgrade: answered with 400 or 426
    };
    let (queue, mut inbox) = mpsc::channel(QUEUE_LEN);
    state.lock().await.join(id, queue);
    loop {
        tokio::select! {
            incoming = ws.recv() => match incoming {
                Some(Ok(Message::Text(text))) => match serde_json::from_str(text.as_str()) {
                    Ok(action) => state.lock().await.apply(action),
                    Err(_) => {
                        let error = r#"{"type":"error","message":"unsupported action"}"#;
                        let _ = ws.send(Message::text(error)).await;
                    }
                },
                Some(Ok(_)) => {} // binary is ignored; pings are answered for us
                None | Some(Err(_)) => break,
            },
            outgoing = inbox.recv() => {
                let Some(message) = outgoing else { break }; // dropped: too far behind
                if ws.send(message).await.is_err() {
                    break;
                }
            }
        }
    }
    state.lock().await.leave(id);
}
// ANCHOR_END: serve
