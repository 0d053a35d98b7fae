//! Drives the Autobahn|Testsuite fuzzingserver: runs every case against this
//! crate's client, echoing each message back, then asks for the report.
//!
//! ```text
//! cargo run --release -p ws-tokio --example autobahn_client -- ws://127.0.0.1:9001
//! ```
//!
//! The base URL comes from the first argument, else `AUTOBAHN_URL`.

use std::process::ExitCode;

use ws_tokio::ws_frame::deflate::DeflateConfig;
use ws_tokio::{Config, ConnectOptions, Message};

const AGENT: &str = "ws-tokio";

fn options() -> ConnectOptions {
    // Autobahn 9.x sends messages of up to 16 MiB, in frames of up to 16 MiB.
    let config = Config {
        max_frame_size: 64 << 20,
        max_message_size: 64 << 20,
        // Sections 12 and 13 test permessage-deflate (RFC 7692).
        deflate: Some(DeflateConfig::default()),
        ..Config::default()
    };
    ConnectOptions {
        config,
        ..ConnectOptions::default()
    }
}

/// Echoes every data message until the connection ends.
async fn run_case(url: &str) -> Result<(), ws_tokio::Error> {
    let (mut ws, _) = ws_tokio::connect_with(url, options()).await?;
    while let Some(message) = ws.recv().await {
        if let message @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(message).await?;
        }
    }
    Ok(())
}

async fn case_count(base: &str) -> Result<u32, Box<dyn std::error::Error>> {
    let (mut ws, _) = ws_tokio::connect_with(&format!("{base}/getCaseCount"), options()).await?;
    let mut count = None;
    while let Some(message) = ws.recv().await {
        if let Message::Text(text) = message? {
            count = Some(text.as_str().trim().parse()?);
        }
    }
    count.ok_or_else(|| "no case count received".into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(base) = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("AUTOBAHN_URL").ok())
    else {
        eprintln!("usage: autobahn_client ws://HOST:PORT (or set AUTOBAHN_URL)");
        return ExitCode::from(2);
    };
    let base = base.trim_end_matches('/');
    let count = match case_count(base).await {
        Ok(count) => count,
        Err(e) => {
            eprintln!("getCaseCount failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("running {count} cases");
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={AGENT}");
        if let Err(e) = run_case(&url).await {
            eprintln!("case {case}: {e}");
        }
    }
    let url = format!("{base}/updateReports?agent={AGENT}");
    match run_case(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("updateReports failed: {e}");
            ExitCode::FAILURE
        }
    }
}
