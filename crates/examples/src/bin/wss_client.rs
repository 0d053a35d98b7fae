//! A `wss://` client that trusts one CA: sends each message given on the
//! command line, prints what comes back, one line each, then closes.
//!
//! ```text
//! cargo run -p ws-examples --bin wss_client -- wss://localhost:9443/ ca.pem hello world
//! ```
//!
//! A private CA (or a test's) is not among the public roots a client
//! trusts by default, so the CA's certificate is given in a PEM file and
//! passed as [`ConnectOptions::ca_pem`]. The client checks the server's
//! certificate against it and against the URL's host (the name must be in
//! the certificate), then runs the opening handshake inside TLS.

use std::process::ExitCode;

use ws_tokio::{CloseCode, ConnectOptions, Message};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, ca, messages @ ..] = args.as_slice() else {
        eprintln!("usage: wss_client wss://HOST:PORT/PATH CA.pem [MESSAGE]...");
        return ExitCode::from(2);
    };
    match run(url, ca, messages).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wss_client: {e}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: connect
async fn run(url: &str, ca: &str, messages: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let ca_pem = std::fs::read(ca).map_err(|e| format!("{ca}: {e}"))?;
    let options = ConnectOptions {
        ca_pem: Some(ca_pem),
        ..ConnectOptions::default()
    };
    let (mut ws, _response) = ws_tokio::connect_with(url, options).await?;
    for message in messages {
        ws.send(Message::text(message.as_str())).await?;
        match ws.recv().await {
            Some(Ok(Message::Text(echo))) => println!("{echo}"),
            other => return Err(format!("expected the echo, got {other:?}").into()),
        }
    }
    ws.close(CloseCode::NORMAL, "done").await?;
    Ok(())
}
// ANCHOR_END: connect
