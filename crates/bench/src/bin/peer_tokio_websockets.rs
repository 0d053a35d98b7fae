//! Peer echo server: tokio-websockets, as in its `examples/echo_server.rs`
//! (`ServerBuilder::accept`, then send back every text and binary message,
//! `unconstrained` and a current-thread runtime as in the example), minus
//! its `unsafe` and with the library's default limits and UTF-8 validation.
//!
//! `peer-tokio-websockets --listen 127.0.0.1:0` prints `listening on http://ADDR`.
#![forbid(unsafe_code)]

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_websockets::{Error, ServerBuilder};

async fn run(addr: String) -> Result<(), Error> {
    let listener = TcpListener::bind(&addr).await?;
    ws_bench::print_listening(listener.local_addr()?);
    loop {
        let (conn, _) = listener.accept().await?;
        // The one change from the example: no Nagle delay, as every server here.
        let _ = conn.set_nodelay(true);
        tokio::spawn(tokio::task::unconstrained(async move {
            let Ok((_request, mut server)) = ServerBuilder::new().accept(conn).await else {
                return;
            };
            while let Some(Ok(item)) = server.next().await {
                if (item.is_text() || item.is_binary()) && server.send(item).await.is_err() {
                    break;
                }
            }
        }));
    }
}

fn main() -> Result<(), Error> {
    let addr = ws_bench::listen_arg();
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?
        .block_on(run(addr))
}
