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
//! Start with [`Connection`]. Every type is exported here, at the crate
//! root, and nowhere else; only permessage-deflate, a separate RFC with its
//! own vocabulary, has a module of its own ([`deflate`]).
//!
//! | concept | RFC 6455 | items |
//! |---|---|---|
//! | the state machine: fragments, control frames, closing handshake | §5.4, §5.5, §7 | [`Connection`], [`Config`], [`Event`], [`Fragment`], [`State`], [`Role`] |
//! | messages and frame types | §5.2, §5.6, §11.8 | [`MessageKind`], [`OpCode`] |
//! | the 2–14 byte frame header | §5.2 | [`Header`], [`bits`], [`MAX_CONTROL_PAYLOAD`] |
//! | client-to-server masking | §5.3, §10.3 | [`apply_mask`] |
//! | close codes and reasons | §5.5.1, §7.1.5, §7.4 | [`CloseCode`], [`CloseFrame`], [`PeerClose`], [`MAX_REASON_LEN`] |
//! | incremental, fail-fast UTF-8 validation | §5.6, §8.1 | [`Utf8Bytes`], [`Utf8Validator`], [`validate_utf8`] |
//! | what the peer did wrong, and what the program may not do | §7.4.1 | [`Error`] (with its close code), [`SendError`] |
//! | the hook for extensions | §9 | [`Extension`] |
//! | permessage-deflate | RFC 7692 | [`deflate`] |
//!
//! Inside, each concept is a private module (`connection`, `header`,
//! `mask`, `close`, `close_code`, `utf8`, `error`, …); the book's "How the
//! code is laid out" page maps them to RFC sections. Imports point one way:
//! the leaves (`opcode`, `close_code`, `error`, `role`, `message`, `utf8`,
//! `mask`, `header`, `close`, `extension`, `deflate`) never import from
//! `connection`, which sits on top of them.
#![forbid(unsafe_code)]

mod close;
mod close_code;
mod connection;
pub mod deflate;
mod error;
mod extension;
mod header;
mod mask;
mod message;
mod opcode;
mod role;
mod transmit;
mod utf8;

pub use close::{CloseFrame, MAX_REASON_LEN, PeerClose};
pub use close_code::CloseCode;
pub use connection::{Borrowed, Config, Connection, Event, Fragment, SharedSend, State, Transport};
pub use error::{Error, SendError};
pub use extension::Extension;
pub use header::{Header, MAX_CONTROL_PAYLOAD, bits};
pub use mask::apply_mask;
pub use message::MessageKind;
pub use opcode::OpCode;
pub use role::Role;
pub use utf8::{Utf8Bytes, Utf8Validator, validate_utf8};
