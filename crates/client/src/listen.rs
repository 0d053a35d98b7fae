//! `--listen ADDR`: the program is a server instead (websocat's `-s`). It
//! accepts WebSocket connections (RFC 6455 §4.2) on one port, writes what
//! every peer sends to stdout (the same formats as the client), and sends
//! each stdin message to every connected peer. At the end of stdin it
//! closes every peer with 1000 and exits 0.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::task::JoinSet;
use ws_tokio::{CloseCode, Message};

use crate::args::Args;
use crate::exit::{Failure, Status};
use crate::input::Input;
use crate::output::Output;
use crate::session::CLOSE_WAIT;

/// Stdin messages queued for a peer that has not sent them yet; a peer that
/// falls further behind misses messages (reported with `--show`) instead of
/// making the queue grow without bound.
const QUEUE: usize = 1024;

/// What the stdin side tells every peer's task.
#[derive(Clone, Debug)]
enum Outgoing {
    Message(Message),
    /// Stdin ended: close with 1000.
    Close,
}

/// Serves until stdin ends.
///
/// # Errors
/// [`Status::Connect`] when the address cannot be bound.
pub(crate) async fn run(addr: &str, args: &Args, output: &Output) -> Result<(), Failure> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::new(Status::Connect, format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::new(Status::Connect, format!("cannot listen on {addr}: {e}")))?;
    // On stderr, so that stdout carries only what peers send.
    eprintln!("listening on ws://{local}");
    let config = args.config();
    let mut input = Input::new(args.input_mode(), config.max_message_size);
    let (tx, _) = broadcast::channel(QUEUE);
    let mut peers = JoinSet::new();
    loop {
        tokio::select! {
            // accept, Input::next and join_next are cancel-safe.
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) if peers.len() as u64 >= args.max_peers => {
                    eprintln!(
                        "ws-client: {peer}: connection closed: {} peers connected, the most --max-peers allows",
                        args.max_peers
                    );
                    drop(tcp);
                }
                Ok((tcp, peer)) => {
                    let output = Output { peer: Some(peer.to_string()), ..output.clone() };
                    let protocols = args.protocols.clone();
                    peers.spawn(serve(tcp, peer, tx.subscribe(), output, config.clone(), protocols));
                }
                Err(e) => {
                    // Out of file descriptors and the like: say so, and
                    // do not spin on the error.
                    eprintln!("ws-client: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            next = input.next() => match next {
                Ok(Some(message)) => {
                    // No receiver: nobody is connected, the line is dropped.
                    let _ = tx.send(Outgoing::Message(message));
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("ws-client: stdin: {e}");
                    break;
                }
            },
            Some(_) = peers.join_next(), if !peers.is_empty() => {}
        }
    }
    let _ = tx.send(Outgoing::Close);
    // Each task waits at most CLOSE_WAIT for its peer's Close; this bounds
    // the whole end even if one hangs in a write.
    let _ = tokio::time::timeout(CLOSE_WAIT + Duration::from_secs(1), async {
        while peers.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

/// One peer: the handshake, then its messages out and stdin's in.
async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    mut outgoing: broadcast::Receiver<Outgoing>,
    output: Output,
    config: ws_tokio::Config,
    protocols: Vec<String>,
) {
    let _ = tcp.set_nodelay(true);
    // RFC 6455 §4.2.2 item 5: select the first subprotocol the client
    // offers that we speak (--protocol), else none.
    let accepted = ws_tokio::accept_with_config(tcp, config, |_, upgrade| {
        Ok(ws_tokio::Accept {
            protocol: upgrade
                .protocols
                .iter()
                .find(|p| protocols.contains(p))
                .cloned(),
            ..ws_tokio::Accept::default()
        })
    })
    .await;
    let mut ws = match accepted {
        Ok(ws) => ws,
        Err(e) => {
            output.shown(format_args!("handshake failed: {e}"));
            return;
        }
    };
    output.shown(format_args!("connected from {peer}"));
    output.open(None, None);
    loop {
        tokio::select! {
            // Both are cancel-safe.
            received = ws.recv() => match received {
                Some(Ok(Message::Close(frame))) => {
                    output.close(frame.as_ref());
                    // ws-tokio answers the Close; reading on ends the handshake.
                    while let Some(Ok(_)) = ws.recv().await {}
                    return;
                }
                Some(Ok(message)) => output.message(&message),
                Some(Err(e)) => {
                    output.shown(format_args!("connection failed: {e}"));
                    return;
                }
                None => {
                    output.shown(format_args!("connection closed without a Close frame (1006)"));
                    return;
                }
            },
            next = outgoing.recv() => match next {
                Ok(Outgoing::Message(message)) => {
                    if let Err(e) = ws.send(message).await {
                        output.shown(format_args!("send failed: {e}"));
                        return;
                    }
                }
                Ok(Outgoing::Close) | Err(broadcast::error::RecvError::Closed) => {
                    if let Err(e) = ws.close(CloseCode::NORMAL, "").await {
                        output.shown(format_args!("closing: {e}"));
                    }
                    return;
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    eprintln!("ws-client: {peer}: too slow, {missed} stdin messages were not sent to it");
                }
            },
        }
    }
}
