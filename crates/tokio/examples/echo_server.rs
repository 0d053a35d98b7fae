//! A minimal WebSocket echo server: every text or binary message is sent
//! back unchanged.
//!
//! ```text
//! cargo run -p ws-tokio --example echo_server -- 127.0.0.1:9002
//! ```

use ws_tokio::Message;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            let mut ws = match ws_tokio::accept(tcp).await {
                Ok(ws) => ws,
                Err(e) => return eprintln!("{peer}: handshake failed: {e}"),
            };
            // Pings are answered automatically; Close is answered by recv,
            // which then returns None.
            while let Some(message) = ws.recv().await {
                match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        if let Err(e) = ws.send(message).await {
                            return eprintln!("{peer}: {e}");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => return eprintln!("{peer}: {e}"),
                }
            }
        });
    }
}
