//! ws-tokio inside a hyper server: `/echo` and a tiny `/broadcast`, over
//! HTTP/1.1 (the `Upgrade` handshake) and HTTP/2 (RFC 8441 extended
//! CONNECT), on one port; any other path is a plain 404.
//!
//! ```text
//! cargo run -p ws-examples --bin hyper_server -- 127.0.0.1:9010
//! ```
//!
//! hyper does the HTTP (both versions: hyper-util's `auto` builder tells
//! them apart by the first bytes, so HTTP/2 here is "prior knowledge"
//! h2c); ws-tokio's `HyperUpgrade` checks the handshake with ws-handshake's
//! rules and turns the upgraded connection into a `WebSocket`.

use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use ws_tokio::ws_frame::deflate::DeflateConfig;
use ws_tokio::{Accept, CloseCode, Config, HyperUpgrade, HyperWebSocket, Message};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9010")).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    // The broadcast room: every sender's message goes to every subscriber.
    let (room, _) = broadcast::channel::<Message>(64);
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let room = room.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, room.clone()));
            // ANCHOR: hyper_builder
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so that
            // HTTP/2 clients may open WebSockets as streams.
            // Each stream's window a 16th of the connection's: a WebSocket
            // that stops reading fills its own window, and the other
            // streams of the connection go on (hyper's defaults, 1 MiB for
            // both, would let it hold them all up).
            builder
                .http2()
                .enable_connect_protocol()
                .max_concurrent_streams(16)
                .initial_stream_window_size(64 * 1024)
                .initial_connection_window_size(16 * 64 * 1024);
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                .await;
            // ANCHOR_END: hyper_builder
        });
    }
}

// ANCHOR: hyper_handle
/// One HTTP request: a WebSocket for `/echo` and `/broadcast`, 404 otherwise.
async fn handle(
    mut request: Request<Incoming>,
    room: broadcast::Sender<Message>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    if path != "/echo" && path != "/broadcast" {
        let mut response = Response::new(Full::from("not found\n"));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return Ok(response);
    }
    // A bad handshake is answered as ws-server answers it: 400 or 426.
    let upgrade = match HyperUpgrade::from_request(&mut request) {
        Ok(upgrade) => upgrade,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    // Join the room before the answer goes out: a client that has seen its
    // 101 (or 200) gets every message sent after that.
    let inbox = room.subscribe();
    // permessage-deflate (RFC 7692) when the client offers it, as
    // ws-server's /echo does.
    let config = Config {
        deflate: Some(DeflateConfig::default()),
        ..Config::default()
    };
    let (response, upgrading) = upgrade.accept(Accept::default(), config);
    // The WebSocket exists once hyper has sent the response: after we
    // return it, so the socket is served in a task of its own.
    tokio::spawn(async move {
        let Ok(socket) = upgrading.await else { return };
        if path == "/echo" {
            echo(socket).await;
        } else {
            join(socket, room, inbox).await;
        }
    });
    Ok(response)
}
// ANCHOR_END: hyper_handle

/// Sends every message back.
async fn echo(mut socket: HyperWebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if message.is_data() && socket.send(message).await.is_err() {
            break;
        }
    }
}

/// A member of the broadcast room until it leaves or falls behind.
async fn join(
    mut socket: HyperWebSocket,
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
                // More than 64 messages behind: this member is too slow
                // for the room (RFC 6455 §7.4.1 1008, policy).
                Err(_) => {
                    let _ = socket.close(CloseCode::POLICY_VIOLATION, "too slow").await;
                    break;
                }
            },
        }
    }
}
