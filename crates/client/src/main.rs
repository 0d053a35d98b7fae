//! `ws-client URL`: each line read from stdin is sent as one text message;
//! each message received is written to stdout as one line (binary messages
//! as lowercase hex). On stdin EOF it sends Close 1000, waits at most 5 s for
//! the server's Close, and exits 0. See `docs/server-interface.md`.
//!
//! `--deflate` offers permessage-deflate (RFC 7692) with the default
//! parameters; `--verbose` reports the negotiated subprotocol and extensions
//! on stderr (stdout stays one line per received message).
//!
//! Exit status: 0 after a normal close (1000, 1001, or a Close without a
//! code); 2 when no connection comes about (a bad argument, a failed connect
//! or TLS setup, or a failed opening handshake, whose HTTP status line goes
//! to stderr); 1 for any other ending (the close code and reason go to
//! stderr).
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncBufReadExt, BufReader};
use ws_tokio::ws_frame::deflate::DeflateConfig;
use ws_tokio::{CloseCode, CloseFrame, ConnectOptions, Message};

/// How long to wait for the server's Close after ours.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Command-line WebSocket client.
#[derive(Debug, Parser)]
#[command(name = "ws-client", version, about)]
struct Args {
    /// `ws://` or `wss://` URL to connect to.
    url: String,
    /// PEM file of a CA to trust (instead of the built-in web roots) for wss://.
    #[arg(long, value_name = "PEM")]
    ca: Option<PathBuf>,
    /// Extra request header, `Name: value`. Repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Subprotocol to offer. Repeatable.
    #[arg(long = "protocol", value_name = "NAME")]
    protocols: Vec<String>,
    /// Offer permessage-deflate (RFC 7692) with the default parameters.
    #[arg(long)]
    deflate: bool,
    /// Report the negotiated subprotocol and extensions on stderr.
    #[arg(long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("cannot start the runtime: {e}")),
    };
    let status = runtime.block_on(run(args));
    // tokio reads stdin on a blocking thread, which stays parked in read(2)
    // while the terminal or pipe stays open; dropping the runtime would
    // wait for it, and the client would hang after the connection ended
    // until the user pressed Ctrl-D. Nothing is left to do: let it go.
    runtime.shutdown_background();
    status
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("ws-client: {message}");
    ExitCode::from(code)
}

async fn run(args: Args) -> ExitCode {
    let mut options = ConnectOptions {
        protocols: args.protocols,
        ..ConnectOptions::default()
    };
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return fail(2, &format!("--header {header:?} is not `Name: value`"));
        };
        options
            .headers
            .push((name.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some(ca) = &args.ca {
        match std::fs::read(ca) {
            Ok(pem) => options.ca_pem = Some(pem),
            Err(e) => return fail(2, &format!("cannot read {}: {e}", ca.display())),
        }
    }
    options.config.close_timeout = CLOSE_WAIT;
    if args.deflate {
        options.config.deflate = Some(DeflateConfig::default());
    }

    let mut ws = match ws_tokio::connect_with(&args.url, options).await {
        Ok((ws, response)) => {
            if args.verbose {
                // The server's own header lines, as received (RFC 6455 §4.1).
                for name in ["Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"] {
                    let value = response.header(name).unwrap_or("(none)");
                    eprintln!("ws-client: {name}: {value}");
                }
            }
            ws
        }
        Err(ws_tokio::Error::Handshake(e)) => {
            if let ws_handshake::Error::Status { status, reason, .. } = &e {
                eprintln!("HTTP/1.1 {status} {reason}");
            }
            return fail(2, &format!("handshake failed: {e}"));
        }
        Err(e) => return fail(2, &format!("cannot connect: {e}")),
    };

    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut deadline = None;
    loop {
        let received = tokio::select! {
            // Both branches are cancel-safe: a lost race loses no line or message.
            line = stdin.next_line(), if stdin_open => {
                match line {
                    Ok(Some(line)) => {
                        if let Err(e) = ws.send(Message::text(line)).await {
                            return fail(1, &format!("send failed: {e}"));
                        }
                    }
                    Ok(None) | Err(_) => {
                        // RFC 6455 §7.1.2: start the closing handshake, then
                        // keep reading until the server's Close arrives.
                        stdin_open = false;
                        let close = Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, "")));
                        if let Err(e) = ws.send(close).await {
                            return fail(1, &format!("close failed: {e}"));
                        }
                        deadline = Some(tokio::time::Instant::now() + CLOSE_WAIT);
                    }
                }
                continue;
            }
            () = sleep_until(deadline) => return fail(1, "timed out waiting for the server's Close"),
            message = ws.recv() => message,
        };
        match received {
            Some(Ok(Message::Text(text))) => print_line(text.as_str()),
            Some(Ok(Message::Binary(data))) => print_line(&hex(&data)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(frame))) => return closed(frame.as_ref()),
            Some(Err(e)) => {
                let code = e.close_code().map_or(String::new(), |c| format!(" ({c})"));
                return fail(1, &format!("connection failed{code}: {e}"));
            }
            None => return fail(1, "connection closed without a Close frame (1006)"),
        }
    }
}

/// The exit status for the peer's Close frame.
fn closed(frame: Option<&CloseFrame>) -> ExitCode {
    match frame {
        Some(frame) if matches!(frame.code, CloseCode::NORMAL | CloseCode::GOING_AWAY) => {
            ExitCode::SUCCESS
        }
        // A Close without a status code ends the session normally too.
        None => ExitCode::SUCCESS,
        Some(frame) => fail(
            1,
            &format!(
                "closed with code {} reason {:?}",
                frame.code.0, frame.reason
            ),
        ),
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn hex(data: &[u8]) -> String {
    use std::fmt::Write as _;
    data.iter()
        .fold(String::with_capacity(data.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
