//! Command-line options: `docs/server-interface.md` §1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ws_tokio::ws_frame::deflate::DeflateConfig;

/// `ws-server`: the echo and chat WebSocket server.
#[derive(Clone, Debug, Parser)]
#[command(name = "ws-server", version, about, after_help = EXIT_STATUS)]
pub struct Options {
    /// TCP address to serve HTTP and WebSocket on (one port for both).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// PEM certificate chain: serve `https://` and `wss://` (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Reject upgrades whose `Origin` header is present and not listed (HTTP 403). Repeatable.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Largest reassembled message in bytes; larger: close 1009.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_message: usize,
    /// Largest single frame payload in bytes; larger: close 1009.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub max_frame: usize,
    /// Open WebSockets at most; further upgrades get HTTP 503.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_connections: usize,
    /// Send a Ping after this many seconds of silence from the peer.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub ping_interval: u64,
    /// Close with 1001 after this many seconds without any frame from the peer.
    #[arg(long, default_value_t = 90, value_name = "SECS")]
    pub idle_timeout: u64,
    /// Disconnect a client that has not completed its HTTP request within this many seconds.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub handshake_timeout: u64,
    /// Tokio worker threads (default: number of cores); 1 runs a current-thread runtime.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Share rooms with other nodes through Redis: `redis://HOST:PORT[/DB]`
    /// (docs/redis.md). Off: rooms are local to this process.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// With --redis: a node that stops refreshing its presence for this
    /// long is considered gone, and its members leave on the other nodes
    /// (within about 4/3 of this).
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub redis_presence_ttl: u64,
    /// Room messages kept per room, for resumes, backlogs and `id`
    /// deduplication (0: no history, no resume).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub history: usize,
    /// A kept room message older than this many seconds is forgotten.
    #[arg(long, default_value_t = 3600, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub history_ttl: u64,
    /// Bytes of encoded messages a room's history keeps at most (the
    /// oldest go first).
    #[arg(long, default_value_t = 8 << 20, value_name = "BYTES")]
    pub history_bytes: usize,
    /// A room with more members than this (counting the one joining or
    /// leaving) sends one `presence` event per interval instead of a
    /// `join`/`leave` per change (docs/chat.md); 0: never. Off with --redis.
    #[arg(long, default_value_t = 2048, value_name = "N")]
    pub presence_batch_above: usize,
    /// How long a large room collects joins and leaves before its
    /// `presence` event goes out.
    #[arg(long, default_value_t = 100, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub presence_interval_ms: u64,
    /// Decline permessage-deflate (RFC 7692), which is otherwise accepted
    /// when a client offers it (every browser does).
    #[arg(long)]
    pub no_deflate: bool,
    /// permessage-deflate on `/chat` (docs/chat.md): `shared` answers with
    /// server_no_context_takeover and client_no_context_takeover (RFC 7692
    /// §7.1.1) and compresses each room message once for every member;
    /// `own` gives each member its own compressor with context takeover
    /// (better ratio, about 300 KiB of server memory per member); `off`
    /// declines it. `/echo` keeps the full RFC 7692 defaults whatever this
    /// says; --no-deflate turns both off.
    #[arg(long, value_enum, default_value_t = ChatDeflate::Shared, value_name = "MODE")]
    pub chat_deflate: ChatDeflate,
    /// Chat joins need `?token=JWT` signed with this HMAC secret (HS256).
    #[arg(long, value_name = "SECRET", conflicts_with = "auth_public_key")]
    pub auth_secret: Option<String>,
    /// Chat joins need `?token=JWT` signed by this public key's private
    /// half: RS256 for an RSA key, ES256 for a P-256 key. A PEM file, or
    /// the PEM text itself.
    #[arg(long, value_name = "PEM", allow_hyphen_values = true)]
    pub auth_public_key: Option<String>,
    /// Enables the HTTP API (`/api/rooms/...`) for requests with
    /// `Authorization: Bearer KEY`. Repeatable.
    #[arg(long = "api-key", value_name = "KEY")]
    pub api_keys: Vec<String>,
    /// Open WebSockets per peer address at most; further upgrades get
    /// HTTP 429 (0: no limit; behind a proxy every client has its address).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub max_connections_per_ip: usize,
    /// Serve over io_uring instead of epoll (Linux; a build with the
    /// `io-uring` feature): `/echo` and the plain HTTP routes, one ring
    /// per --threads. The chat, TLS and the HTTP API stay on the default
    /// transport, so their options are refused with this one.
    #[arg(long, conflicts_with_all = ["tls_cert", "redis", "auth_secret", "auth_public_key", "api_keys"])]
    pub io_uring: bool,
    /// Tracing filter (RUST_LOG is honoured too).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log: String,
    /// How log lines are written to stderr: `text` for people (coloured
    /// only on a terminal, and never with NO_COLOR set), `json` for log
    /// collectors (one object per line).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event: `timestamp`, `level`, `target`, `fields`.
    Json,
}

/// `--chat-deflate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ChatDeflate {
    /// One compression per room message, shared by every member; no zlib
    /// state kept per member between messages.
    Shared,
    /// Each member compresses for itself, with context takeover.
    Own,
    /// No permessage-deflate on `/chat`.
    Off,
}

/// The exit statuses, for `--help` (`docs/server-interface.md` §1).
const EXIT_STATUS: &str = "\
Exit status:
  0  stopped by SIGINT or SIGTERM after closing every WebSocket
  1  failed while serving
  2  bad command line (unknown option, a value that does not parse, an
     empty --auth-secret, an --auth-public-key that is not an RSA or P-256
     public key)
  3  --listen: the address cannot be bound (in use, not local, not permitted)
  4  --tls-cert / --tls-key: a file is missing, unreadable or not PEM, or the
     key does not belong to the certificate
  5  --redis: not a Redis URL (an unreachable Redis is not an error: the node
     starts degraded, warns, and retries)
  6  the runtime cannot start (--threads; with --io-uring: io_uring is
     unavailable, or this build has no `io-uring` feature)";

impl Options {
    /// The WebSocket configuration these options describe.
    pub fn socket_config(&self) -> ws_tokio::Config {
        ws_tokio::Config {
            max_frame_size: self.max_frame,
            max_message_size: self.max_message,
            keepalive_interval: (self.ping_interval > 0)
                .then(|| Duration::from_secs(self.ping_interval)),
            idle_timeout: (self.idle_timeout > 0).then(|| Duration::from_secs(self.idle_timeout)),
            handshake_timeout: Duration::from_secs(self.handshake_timeout),
            deflate: (!self.no_deflate).then(DeflateConfig::default),
            ..ws_tokio::Config::default()
        }
    }

    /// The WebSocket configuration of `/chat`: [`Options::socket_config`]
    /// with the deflate policy of `--chat-deflate`.
    pub fn chat_socket_config(&self) -> ws_tokio::Config {
        let mut config = self.socket_config();
        if config.deflate.is_some() {
            config.deflate = match self.chat_deflate {
                ChatDeflate::Shared => Some(shared_deflate()),
                ChatDeflate::Own => Some(DeflateConfig::default()),
                ChatDeflate::Off => None,
            };
        }
        config
    }
}

/// `--chat-deflate shared`: RFC 7692 §7.1.1.1, the server answers
/// `server_no_context_takeover` unasked, so one compression of a message
/// serves every member; §7.1.1.2, it asks the client for
/// `client_no_context_takeover`, so no member's decompressor is needed
/// between its messages and it is freed (an idle member holds no zlib
/// state at all).
fn shared_deflate() -> DeflateConfig {
    let mut config = DeflateConfig::default();
    config.server_no_context_takeover = true;
    config.client_no_context_takeover = true;
    config.free_after_message = true;
    config
}
