//! Sans-IO WebSocket framing: RFC 6455 §5–§8 for both roles.
//!
//! This crate turns bytes into WebSocket events and commands into bytes. It
//! does no IO and knows nothing of sockets or async runtimes, so any runtime
//! (ours is `ws-tokio`) and any test can drive it.
//!
//! ```text
//!  wire bytes ──► Header::parse ──► unmask (§5.3) ──► UTF-8 check (§8.1)
//!                 (§5.2)                                    │
//!                                          message assembly (§5.4)
//!                                                           │
//!                          Connection::poll_event ◄─────────┘
//!                          (Text, Binary, Ping, Pong, Close)
//! ```
//!
//! Start with [`Connection`]; the modules name the concepts of the RFC:
//!
//! | module | RFC 6455 | what it does |
//! |---|---|---|
//! | [`opcode`] | §5.2, §11.8 | frame types |
//! | [`header`] | §5.2 | the 2–14 byte frame header |
//! | [`mask`] | §5.3, §10.3 | client-to-server masking |
//! | [`close`] | §5.5.1, §7.4 | close codes and reasons |
//! | [`utf8`] | §5.6, §8.1 | incremental, fail-fast UTF-8 validation |
//! | [`connection`] | §5.4, §5.5, §7 | the state machine: fragments, control frames, closing handshake |
//! | [`extension`] | §9 | the hook for permessage-deflate |
//! | [`deflate`] | RFC 7692 | permessage-deflate: negotiation and the extension |
//! | [`error`] | §7.4.1 | every violation and its close code |
//!
//! Imports point one way: the leaves (`opcode`, `close_code`, `error`, `role`,
//! `message`, `utf8`, `mask`, `header`, `close`, `extension`, `deflate`) never
//! import from [`connection`], which sits on top of them.
#![forbid(unsafe_code)]

pub mod close;
mod close_code;
pub mod connection;
pub mod deflate;
pub mod error;
pub mod extension;
pub mod header;
pub mod mask;
mod message;
pub mod opcode;
mod role;
mod transmit;
pub mod utf8;

pub use close::{CloseCode, CloseFrame, PeerClose};
pub use connection::{Config, Connection, Event, Fragment, State};
pub use error::{Error, SendError};
pub use extension::Extension;
pub use header::Header;
pub use message::MessageKind;
pub use opcode::OpCode;
pub use role::Role;
pub use utf8::Utf8Bytes;
