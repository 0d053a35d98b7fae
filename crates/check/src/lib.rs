//! ws-check: the Autobahn|Testsuite conformance catalogue rebuilt in Rust.
//!
//! It plays Autobahn's fuzzing client against a WebSocket server: every
//! case opens its own connection, sends frames (malformed ones on
//! purpose), watches what comes back and how the connection ends, and
//! gives Autobahn's verdicts (`OK`, `NON-STRICT`, `FAILED`,
//! `INFORMATIONAL`, `UNIMPLEMENTED`, and `behaviorClose`) by Autobahn's
//! rules, with the same case ids in the same order and the same
//! `index.json`.
//!
//! ```text
//!   Suite ──► catalogue (ids) ──► cases/* (Plan: steps, expected events, expected close)
//!     │                                 │
//!     └──► engine (one TCP connection per case) ──► session (client protocol state)
//!                                       │
//!                              judge (verdicts) ──► report (index.json, Markdown)
//! ```
#![forbid(unsafe_code)]

mod cases;
mod catalogue;
mod corpus;
mod engine;
mod fuzzing_server;
mod judge;
mod pattern;
mod plan;
mod report;
mod session;
mod suite;
mod tls;
mod transcript;
mod verdict;
mod wire;

pub use catalogue::{case_ids, extra_case_ids};
pub use engine::Timeouts;
pub use fuzzing_server::serve_clients;
pub use pattern::{PatternError, Patterns};
pub use report::{CaseReport, Report};
pub use suite::{DEFAULT_MEMORY_BUDGET, Error, Suite};
pub use tls::Trust;
pub use transcript::{Dir, Line, MAX_LINES, Transcript};
pub use verdict::Verdict;
