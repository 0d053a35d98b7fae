//! The knobs of a WebSocket connection, in one place (limits, buffers, timers).

use std::time::Duration;

/// Limits, buffer sizes and timers of a [`WebSocket`](crate::WebSocket):
/// RFC 6455 §10.4 limits, §5.5.2 keepalive, §7.1.1 closing deadlines.
///
/// Every field says its default and what it bounds. Build one with struct
/// update syntax:
///
/// ```
/// use std::time::Duration;
/// let config = ws_tokio::Config {
///     keepalive_interval: Some(Duration::from_secs(30)),
///     idle_timeout: Some(Duration::from_secs(90)),
///     ..Default::default()
/// };
/// assert_eq!(config.close_timeout, Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
// ANCHOR: config_struct
pub struct Config {
    /// The core's [`ws_frame::Config::max_frame_size`]: Close 1009 past it.
    /// Default 16 MiB.
    pub max_frame_size: usize,
    /// The core's [`ws_frame::Config::max_message_size`]: Close 1009 past
    /// it. Default 64 MiB.
    pub max_message_size: usize,
    /// Bytes of queued outgoing frames above which
    /// [`WebSocket::send`](crate::WebSocket::send) waits for the peer to read.
    /// Bounds the write buffer to this plus one message. Default 64 KiB.
    pub write_buffer_high_water: usize,
    /// Size of a read when nothing is buffered (at most 8 KiB are read into
    /// a stack buffer first, so an idle connection holds no read buffer at
    /// all); the buffer of a frame being received grows as its payload
    /// arrives, at most 64 KiB ahead of it, so a header alone cannot make
    /// us allocate the length it announces. Default 8 KiB.
    pub read_buffer_size: usize,
    /// The core's [`ws_frame::Config::keepalive_interval`]: a Ping after
    /// this much silence, its round trip in
    /// [`WebSocket::rtt`](crate::WebSocket::rtt). `None`: off (the default).
    pub keepalive_interval: Option<Duration>,
    /// The core's [`ws_frame::Config::idle_timeout`]: Close 1001 after this
    /// much silence. `None`: off (the default).
    pub idle_timeout: Option<Duration>,
    /// The core's [`ws_frame::Config::close_timeout`]: how long the closing
    /// handshake may take (§7.1.1). Default 5 s.
    pub close_timeout: Duration,
    /// How long the opening handshake may take, from the first byte of the
    /// HTTP request (or from connecting, for a client) to the end of the
    /// response. Default 10 s.
    pub handshake_timeout: Duration,
    /// Size limits on the HTTP head of the opening handshake (default 16 KiB,
    /// 100 header lines).
    pub handshake_limits: ws_handshake::Limits,
    /// permessage-deflate (RFC 7692): `Some` offers it (client) or accepts
    /// an offer (server) with this policy. `None` (the default): off. A
    /// connection that compresses holds a deflate state of roughly 400 KiB
    /// while it is in use (see `ws_frame::deflate`), so a server with many
    /// connections should weigh the bandwidth it saves against that memory.
    pub deflate: Option<ws_frame::deflate::DeflateConfig>,
}
// ANCHOR_END: config_struct

// ANCHOR: config_default
impl Default for Config {
    fn default() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            write_buffer_high_water: 64 << 10,
            read_buffer_size: 8 << 10,
            keepalive_interval: None,
            idle_timeout: None,
            close_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(10),
            handshake_limits: ws_handshake::Limits::default(),
            deflate: None,
        }
    }
}
// ANCHOR_END: config_default

impl Config {
    /// The part of the configuration the sans-IO core enforces: its limits
    /// and every protocol deadline (the keepalive, idle and closing timers
    /// run in `ws_frame::Connection`; only the opening handshake's timeout
    /// stays here, as the core starts after it). Public for IO layers
    /// outside this crate that drive `ws_frame::Connection` themselves
    /// (ws-server's io_uring transport), so the mapping exists once.
    pub fn frame_config(&self) -> ws_frame::Config {
        let mut config = ws_frame::Config::default();
        config.max_frame_size = self.max_frame_size;
        config.max_message_size = self.max_message_size;
        config.keepalive_interval = self.keepalive_interval;
        config.idle_timeout = self.idle_timeout;
        config.close_timeout = self.close_timeout;
        config
    }
}
