//! The example programs that tutorials build, written on this workspace's
//! crates. Each is a binary in `src/bin/`, short enough to read in one
//! sitting, and run by a test in `tests/` that starts it on a free port and
//! checks what a client sees. The book's chapter 12 walks through them.
//!
//! | program | what it teaches |
//! |---|---|
//! | `echo_server` | accept, receive, send back (ws-tokio's own example, built here too) |
//! | `broadcast` | the set of connected clients, one bounded queue each |
//! | `counter` | state shared by every page: JSON messages, a page and a WebSocket on one port |
//! | `router` | routes with path parameters, a plain 404 instead of an upgrade |
//! | `wss_server`, `wss_client` | `wss://` from a PEM certificate and key; a client trusting one CA |
//! | `chat` | group chat with direct messages; refusing a handshake (400, 409) |
//! | `handshake_by_hand` | the opening handshake and frames over `std::net`, without tokio |
//! | `hyper_server` | ws-tokio inside hyper: echo and broadcast over HTTP/1.1 and HTTP/2 (RFC 8441) |
//! | `axum_server` | the same in axum, with ws-axum's `WebSocketUpgrade` extractor |
//!
//! Every server takes its listen address as its first argument (after the
//! certificate and key for `wss_server`) and prints `listening on ws://ADDR`
//! with the address it bound, so `127.0.0.1:0` works.
//!
//! The library itself is empty: it exists to carry this index.
#![forbid(unsafe_code)]
