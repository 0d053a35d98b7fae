//! Sans-IO WebSocket opening handshake (RFC 6455 §4). Work in progress.
#![forbid(unsafe_code)]
