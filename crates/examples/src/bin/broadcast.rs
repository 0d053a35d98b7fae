//! Broadcast: every message any client sends goes to every connected
//! client, the sender included.
//!
//! ```text
//! cargo run -p ws-examples --bin broadcast -- 127.0.0.1:9003
//! ```
//!
//! This is the "set of connected users" pattern. The set is a map from a
//! connection number to the sending end of that connection's queue; each
//! connection task owns its WebSocket and waits on two things at once: a
//! message from its client (which it offers to every queue in the set) and
//! a message in its own queue (which it writes to its client).
//!
//! ```text
//!  client A ──► task A ──┬──► queue A ──► task A ──► client A
//!                        ├──► queue B ──► task B ──► client B
//!                        └──► queue C ──► task C ──► client C
//! ```
//!
//! Why queues, and not the other sockets themselves: a client that reads
//! slowly must not slow down everybody else. Each queue holds at most
//! [`QUEUE_LEN`] messages; a client that falls that far behind is removed
//! from the set and closed with 1008, and nobody waits for it.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};
use ws_tokio::{CloseCode, Message};

/// How many messages a client may fall behind before it is disconnected.
const QUEUE_LEN: usize = 64;

// ANCHOR: clients
/// The set of connected clients: connection number → its queue.
type Clients = Arc<Mutex<HashMap<u64, mpsc::Sender<Message>>>>;

/// Offers `message` to every client. `try_send` never waits, so one slow
/// client cannot hold the lock (or anyone else) up; a full queue removes
/// its client, which its task notices as the end of the queue.
async fn broadcast(clients: &Clients, message: &Message) {
    let mut clients = clients.lock().await;
    clients.retain(|_, queue| queue.try_send(message.clone()).is_ok());
}
// ANCHOR_END: clients

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9003")).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    let clients = Clients::default();
    for id in 0_u64.. {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(serve(tcp, id, Arc::clone(&clients)));
    }
    Ok(())
}

// ANCHOR: serve
/// One connection, from the handshake to its end.
async fn serve(tcp: TcpStream, id: u64, clients: Clients) {
    // Join the set before the handshake's answer goes out: a client that
    // has seen its 101 gets every message sent after that.
    let (queue, mut inbox) = mpsc::channel(QUEUE_LEN);
    clients.lock().await.insert(id, queue);
    if let Ok(mut ws) = ws_tokio::accept(tcp).await {
        loop {
            // `recv` is cancel-safe: when the inbox wins, no message is lost.
            tokio::select! {
                incoming = ws.recv() => match incoming {
                    Some(Ok(message)) if message.is_data() => broadcast(&clients, &message).await,
                    // Pings were answered for us; a Close is answered by
                    // `recv`, whose next call returns `None`.
                    Some(Ok(_)) => {}
                    None | Some(Err(_)) => break,
                },
                outgoing = inbox.recv() => match outgoing {
                    Some(message) => {
                        if ws.send(message).await.is_err() {
                            break;
                        }
                    }
                    // `broadcast` dropped our queue: we fell too far behind.
                    None => {
                        let _ = ws.close(CloseCode::POLICY_VIOLATION, "too slow").await;
                        break;
                    }
                },
            }
        }
    }
    clients.lock().await.remove(&id);
}
// ANCHOR_END: serve
