//! An echo server with one blocking thread per connection and no async
//! runtime: the opening handshake with `ws-handshake`, then the `blocking`
//! adapter, whose keepalive Pings, idle timeout and closing deadlines all
//! come from `ws_frame::Connection`.
//!
//! ```text
//! cargo run -p ws-frame --example blocking_echo -- 127.0.0.1:9002
//! ```

mod blocking;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use ws_frame::{Config, Event, Role};
use ws_handshake::{Limits, Request, accept_response};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    let listener = TcpListener::bind(&addr)?;
    println!("blocking echo on ws://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            if let Err(e) = serve(stream) {
                eprintln!("connection: {e}");
            }
        });
    }
    Ok(())
}

/// The opening handshake (RFC 6455 §4.2), then echo until the end.
fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut chunk = [0; 4096];
    let (request, used) = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
        match Request::parse(&head, &Limits::default()) {
            Ok(Some(parsed)) => break parsed,
            Ok(None) => {}
            Err(e) => return stream.write_all(&e.to_response()),
        }
    };
    let upgrade = match request.validate() {
        Ok(upgrade) => upgrade,
        Err(e) => return stream.write_all(&e.to_response()),
    };
    stream.write_all(&accept_response(&upgrade, None, None, &[]))?;

    let mut config = Config::default();
    config.keepalive_interval = Some(Duration::from_secs(30));
    config.idle_timeout = Some(Duration::from_secs(90));
    let mut ws = blocking::WebSocket::new(stream, Role::Server, config, &head[used..]);
    while let Some(event) = ws.recv() {
        let sent = match event {
            Ok(Event::Text(text)) => ws.send_text(text),
            Ok(Event::Binary(data)) => ws.send_binary(data),
            Ok(_) => Ok(()),
            Err(e) => {
                eprintln!("ended: {e:?}");
                Ok(())
            }
        };
        if let Err(e) = sent {
            eprintln!("send: {e:?}");
        }
    }
    Ok(())
}
