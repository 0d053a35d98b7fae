//! The example programs that tutorials build, written on this workspace's
//! crates: each is a binary in `src/bin/`, short enough to read in one
//! sitting, and run by a test in `tests/`. The book's chapter "Examples"
//! walks through them.
//!
//! | program | what it teaches |
//! |---|---|
//! | `echo_server` | accept, receive, send back (ws-tokio's own example, built here too) |
//! | `broadcast` | the set of connected clients, one bounded queue each |
//!
//! The library itself is empty: it exists to carry this index.
#![forbid(unsafe_code)]
