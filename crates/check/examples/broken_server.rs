//! One of the deliberately broken echo servers of the tests, on its own,
//! so that Autobahn can be run against it too (scripts/check-vs-autobahn.sh).
//!
//!     cargo run -p ws-check --example broken_server -- FLAW [ADDR]
//!
//! FLAW is one of no-pong, echoes-rsv, no-utf8-check, wrong-close-code,
//! drops-on-close, utf8-at-message-end, accepts-unmasked. Prints
//! `listening on ws://ADDR` and serves until killed.

#![forbid(unsafe_code)]

#[path = "../tests/broken/mod.rs"]
mod broken;

use broken::Flaw;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_default();
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let Some((_, flaw)) = Flaw::ALL.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = Flaw::ALL.iter().map(|(n, _)| *n).collect();
        eprintln!(
            "usage: broken_server FLAW [ADDR]; FLAW: {}",
            names.join(", ")
        );
        std::process::exit(2);
    };
    let local = broken::start_on(*flaw, &addr).await;
    println!("listening on ws://{local}");
    std::future::pending::<()>().await;
}
