//! A minimal group chat with direct messages, to read before the real one
//! (`crates/server`, chapter 9).
//!
//! ```text
//! cargo run -p ws-examples --bin chat -- 127.0.0.1:9006
//! ws-client 'ws://127.0.0.1:9006/?name=alice'
//! ```
//!
//! Every message is one line of text:
//!
//! | a client sends | who receives what |
//! |---|---|
//! | *(connecting as `?name=alice`)* | everyone: `* alice joined` |
//! | `hello` | everyone: `alice: hello` |
//! | `/msg bob psst` | bob: `[alice → you] psst`; alice: `[you → bob] psst` |
//! | `/msg nobody hi` | alice: `* nobody is not here` |
//! | *(disconnecting)* | everyone left: `* alice left` |
//!
//! A name is 1 to 16 letters, digits, `-` or `_`. A missing or bad name is
//! refused with 400 and a taken one with 409, before the upgrade: the
//! check runs in [`ws_tokio::accept_with_config`]'s callback, which sees
//! the request and decides the HTTP answer. What this leaves out, and the
//! real server does: rooms, JSON, rate limits, the history, several nodes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use ws_tokio::{Accept, Config, Message, Reject};

/// How many lines a member may fall behind before being dropped.
const QUEUE_LEN: usize = 64;

// ANCHOR: members
/// Who is here: name → that member's queue. A plain (not async) lock: it
/// is taken inside the handshake callback, which cannot await.
#[derive(Clone, Default)]
struct Members(Arc<Mutex<HashMap<String, mpsc::Sender<Message>>>>);

impl Members {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, mpsc::Sender<Message>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everyone gets `line`; a member whose queue is full is dropped.
    fn broadcast(&self, line: &str) {
        let message = Message::text(line);
        self.lock()
            .retain(|_, queue| queue.try_send(message.clone()).is_ok());
    }

    /// Leaving: with our end of the queue dropped, our queue reads as
    /// closed, and every closed queue goes. By queue, not by name: if we
    /// were dropped as too slow, someone else may have our name by now.
    fn leave(&self, inbox: mpsc::Receiver<Message>) {
        drop(inbox);
        self.lock().retain(|_, queue| !queue.is_closed());
    }

    /// `to` gets `line`, if `to` is here.
    fn send_to(&self, to: &str, line: String) -> bool {
        self.lock()
            .get(to)
            .is_some_and(|queue| queue.try_send(Message::text(line)).is_ok())
    }
}
// ANCHOR_END: members

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9006")).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    let members = Members::default();
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(serve(tcp, members.clone()));
    }
}

// ANCHOR: serve
async fn serve(tcp: TcpStream, members: Members) {
    let (queue, mut inbox) = mpsc::channel(QUEUE_LEN);
    let mut name = String::new();
    // The name is checked and taken in one step, under the lock.
    let accepted = ws_tokio::accept_with_config(tcp, Config::default(), |request, _| {
        let wanted = name_from_query(request.query()).ok_or_else(|| {
            Reject::new(
                400,
                "connect with ?name=NAME: 1-16 letters, digits, - or _\n",
            )
        })?;
        let mut members = members.lock();
        if members.contains_key(&wanted) {
            return Err(Reject::new(409, "name taken\n"));
        }
        members.insert(wanted.clone(), queue);
        name = wanted;
        Ok(Accept::default())
    });
    let Ok(mut ws) = accepted.await else {
        members.leave(inbox); // if we took the name but the 101 could not be sent
        return;
    };
    members.broadcast(&format!("* {name} joined"));
    loop {
        tokio::select! {
            incoming = ws.recv() => match incoming {
                Some(Ok(Message::Text(text))) => match text.as_str().strip_prefix("/msg ") {
                    Some(direct) => {
                        let (to, body) = direct.split_once(' ').unwrap_or((direct, ""));
                        let reply = if members.send_to(to, format!("[{name} → you] {body}")) {
                            format!("[you → {to}] {body}")
                        } else {
                            format!("* {to} is not here")
                        };
                        let _ = members.send_to(&name, reply);
                    }
                    None => members.broadcast(&format!("{name}: {text}")),
                },
                Some(Ok(_)) => {} // binary is ignored; pings are answered for us
                None | Some(Err(_)) => break,
            },
            outgoing = inbox.recv() => {
                let Some(line) = outgoing else { break }; // dropped as too slow
                if ws.send(line).await.is_err() {
                    break;
                }
            }
        }
    }
    members.leave(inbox);
    members.broadcast(&format!("* {name} left"));
}
// ANCHOR_END: serve

/// The `name` parameter of the query string, if it is a valid name.
fn name_from_query(query: Option<&str>) -> Option<String> {
    let name = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("name="))?;
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    (1..=16).contains(&name.len()).then_some(())?;
    name.chars().all(valid).then(|| name.to_owned())
}
