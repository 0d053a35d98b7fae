//! `ws-bench`: load generation and the peer comparison for the WebSocket
//! server.
//!
//! ```text
//!   ws-bench compare ──spawns──► server under test (taskset core 0, --threads 1)
//!        │                          ▲  ws://…/echo or /chat/{room}
//!        └──spawns──► ws-bench echo / idle (taskset core 1) ──┘
//!                       │ reads /proc/PID/stat (CPU) and /proc/PID/status (RSS)
//!                       └─► one JSON line per run ─► table of medians
//! ```
//!
//! | module | what it does |
//! |---|---|
//! | [`raw`] | the lean load client: hand-built masked frames, no allocation per message |
//! | [`echo`] | N connections × one message of S bytes in flight: msgs/s, MB/s, round trips |
//! | [`fanout`] | `/chat/{room}`: M members, K senders, deliveries/s and delivery latency |
//! | [`idle`] | RSS growth of a server over many idle connections |
//! | [`compare`] | runs our server and the peers interleaved and prints the table |
//! | [`fanout_compare`] | the same for chat fan-out: ours and the peer broadcast servers |
//! | [`peer_chat`] | the minimal chat protocol the Rust peer broadcast servers speak |
//! | [`chart`] | SVG charts from the fan-out comparison's raw JSON |
//! | [`window`] | the measured window of a load run and the clock that runs it |
//! | [`stats`] | latency histogram, percentiles, medians |
//! | [`procfs`] | CPU time and RSS of a process from `/proc` |
//!
//! The peer servers (`peer-tungstenite`, `peer-fastwebsockets`,
//! `peer-tokio-websockets`) are binaries of this crate; the peer libraries
//! appear nowhere else in the workspace.
#![forbid(unsafe_code)]

pub mod chart;
pub mod compare;
pub mod echo;
pub mod fanout;
pub mod fanout_compare;
pub mod idle;
pub mod peer_chat;
mod phase;
pub mod procfs;
pub mod raw;
pub mod stats;
pub mod window;

use std::io::Write;
use std::net::SocketAddr;

/// The `--listen ADDR` argument of a peer server (default `127.0.0.1:0`).
/// Other arguments (`--threads 1` and the like) are accepted and ignored:
/// every peer runs a current-thread runtime.
pub fn listen_arg() -> String {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--listen"
            && let Some(addr) = args.next()
        {
            return addr;
        }
        if let Some(addr) = arg.strip_prefix("--listen=") {
            return addr.to_owned();
        }
    }
    "127.0.0.1:0".to_owned()
}

/// Prints the line the comparison waits for: `listening on http://ADDR`.
pub fn print_listening(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on http://{addr}");
    let _ = out.flush();
}
