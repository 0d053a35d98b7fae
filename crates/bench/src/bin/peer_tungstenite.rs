//! Peer echo server: tokio-tungstenite, as in its `examples/echo-server.rs`
//! (accept, split, forward the read half into the write half), on a
//! current-thread runtime so that one pinned core is a fair comparison.
//!
//! `peer-tungstenite --listen 127.0.0.1:0` prints `listening on http://ADDR`.
//! Default limits and checks are kept (64 MiB messages, UTF-8 validation).
#![forbid(unsafe_code)]

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let addr = ws_bench::listen_arg();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let listener = TcpListener::bind(&addr).await?;
            ws_bench::print_listening(listener.local_addr()?);
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(accept_connection(stream));
            }
            Ok(())
        })
}

async fn accept_connection(stream: TcpStream) {
    // The one change from the example: no Nagle delay, as every server here.
    let _ = stream.set_nodelay(true);
    let Ok(ws_stream) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (write, read) = ws_stream.split();
    let _ = read.forward(write).await;
}
