//! Peer echo server: fastwebsockets, as in its `examples/echo_server.rs`:
//! a hyper 1 HTTP/1 connection with upgrades, `upgrade::upgrade`, then a
//! `FragmentCollector` (which reassembles messages and validates UTF-8)
//! echoing every text and binary frame; `unconstrained` as in the example;
//! a current-thread runtime.
//!
//! `peer-fastwebsockets --listen 127.0.0.1:0` prints `listening on http://ADDR`.
#![forbid(unsafe_code)]

use fastwebsockets::{FragmentCollector, OpCode, WebSocketError, upgrade};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;

async fn handle_client(fut: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(fut.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => break,
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
    Ok(())
}

async fn server_upgrade(
    mut req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, fut) = upgrade::upgrade(&mut req)?;
    tokio::task::spawn(async move {
        let _ = tokio::task::unconstrained(handle_client(fut)).await;
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
            loop {
                let (stream, _) = listener.accept().await?;
                // The one change from the example: no Nagle delay, as every server here.
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let conn_fut = http1::Builder::new()
                        .serve_connection(io, service_fn(server_upgrade))
                        .with_upgrades();
                    let _ = conn_fut.await;
                });
            }
        })
}
