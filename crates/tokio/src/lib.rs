//! Async WebSocket over tokio. Work in progress.
#![forbid(unsafe_code)]
