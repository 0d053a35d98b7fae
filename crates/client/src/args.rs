//! The command line (clap). Every option is listed in README.md next to
//! websocat's equivalent and in `docs/server-interface.md` §9.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use ws_tokio::ws_frame::deflate::DeflateConfig;

use crate::exit;
use crate::input::Mode;
use crate::output::{Format, Output};
use crate::session::CLOSE_WAIT;

/// Command-line WebSocket client: each stdin line is sent as one message,
/// each message received is written to stdout. With --listen it is a server
/// instead.
#[derive(Debug, Parser)]
#[command(name = "ws-client", version, about, after_help = exit::HELP)]
pub(crate) struct Args {
    /// `ws://` or `wss://` URL to connect to (not with --listen).
    #[arg(required_unless_present = "listen", conflicts_with = "listen")]
    pub(crate) url: Option<String>,
    /// Be a server: accept WebSocket connections on ADDR (`127.0.0.1:0`
    /// picks a free port), print what every peer sends, send each stdin line
    /// to every peer. `listening on ws://ADDR` (the bound address) is the
    /// first line on stderr.
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
    /// With --listen: peers served at once; a connection beyond that is
    /// closed at once (a line on stderr says so).
    #[arg(long, value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_peers: u64,
    /// PEM file of a CA to trust (instead of the built-in web roots) for wss://.
    #[arg(long, value_name = "PEM", conflicts_with = "listen")]
    pub(crate) ca: Option<PathBuf>,
    /// wss:// without any certificate check (a warning goes to stderr).
    /// For test servers only: anyone in the path can read and change the
    /// traffic.
    #[arg(long, conflicts_with_all = ["ca", "listen"])]
    pub(crate) insecure: bool,
    /// Extra request header, `Name: value`. Repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE", conflicts_with = "listen")]
    pub(crate) headers: Vec<String>,
    /// The Origin header to send (browsers always send one).
    #[arg(long, value_name = "URL", conflicts_with = "listen")]
    pub(crate) origin: Option<String>,
    /// Subprotocol to offer. Repeatable.
    #[arg(long = "protocol", value_name = "NAME")]
    pub(crate) protocols: Vec<String>,
    /// Open the WebSocket as a stream of an HTTP/2 connection (RFC 8441
    /// extended CONNECT; wss:// only, TLS ALPN h2). Exit status 8 when the
    /// server offers no WebSocket over HTTP/2.
    #[arg(long, conflicts_with = "listen")]
    pub(crate) http2: bool,
    /// Offer permessage-deflate (RFC 7692) with the default parameters.
    #[arg(long)]
    pub(crate) deflate: bool,
    /// Send stdin as binary messages: one per line (without its newline),
    /// or with --raw one per chunk read.
    #[arg(long)]
    pub(crate) binary: bool,
    /// Write received binary messages to stdout as they are (no hex, no
    /// newline); with --binary, send stdin chunks as they arrive.
    #[arg(long)]
    pub(crate) raw: bool,
    /// One JSON object per event on stdout (open, text, binary as hex,
    /// close, error) instead of plain lines.
    #[arg(long, conflicts_with = "raw")]
    pub(crate) jsonl: bool,
    /// The largest message, sent or received (after reassembly and
    /// decompression): a bigger one from the peer closes the connection
    /// with 1009; a longer stdin line ends the session.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20,
          value_parser = clap::value_parser!(u64).range(1..=(1 << 40)))]
    pub(crate) max_message: u64,
    /// Send a Ping every SECS seconds (0: never); with --show the round
    /// trip of each is reported.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0,
        conflicts_with = "listen"
    )]
    pub(crate) ping_interval: u64,
    /// Close with 1000 and exit 0 after N messages were received.
    #[arg(long, value_name = "N", conflicts_with = "listen",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_messages: Option<u64>,
    /// The same as --max-messages 1.
    #[arg(long, conflicts_with_all = ["max_messages", "listen"])]
    pub(crate) once: bool,
    /// Give up when TCP connect, TLS and the opening handshake together
    /// take longer than SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) timeout: u64,
    /// On stderr: each received message's kind and length, close codes and
    /// reasons, Ping/Pong round trips, and what was negotiated (stdout is
    /// unchanged).
    #[arg(long, short = 'v')]
    pub(crate) show: bool,
    /// Report the negotiated subprotocol and extensions on stderr.
    #[arg(long)]
    pub(crate) verbose: bool,
}

impl Args {
    /// The message count after which we close, if any.
    pub(crate) fn max_messages(&self) -> Option<u64> {
        if self.once {
            Some(1)
        } else {
            self.max_messages
        }
    }

    /// The limits and timers of every connection.
    pub(crate) fn config(&self) -> ws_tokio::Config {
        let defaults = ws_tokio::Config::default();
        // Bounded to 2^40 by the parser: fits a usize on 64-bit targets;
        // elsewhere the address space bounds it anyway.
        let max_message = usize::try_from(self.max_message).unwrap_or(usize::MAX);
        ws_tokio::Config {
            max_message_size: max_message,
            // RFC 6455 §5.4: a message is one frame or more, so no frame
            // needs to be larger than the largest message.
            max_frame_size: defaults.max_frame_size.min(max_message),
            close_timeout: CLOSE_WAIT,
            handshake_timeout: Duration::from_secs(self.timeout),
            deflate: self.deflate.then(DeflateConfig::default),
            ..defaults
        }
    }

    /// How stdin is cut into messages.
    pub(crate) fn input_mode(&self) -> Mode {
        match (self.binary, self.raw) {
            (false, _) => Mode::TextLines,
            (true, false) => Mode::BinaryLines,
            (true, true) => Mode::BinaryChunks,
        }
    }

    /// How events are written.
    pub(crate) fn output(&self) -> Output {
        Output {
            format: if self.jsonl {
                Format::Jsonl
            } else {
                Format::Lines { raw: self.raw }
            },
            show: self.show,
            verbose: self.verbose,
            peer: None,
        }
    }

    /// The keepalive period, if any.
    pub(crate) fn ping_interval(&self) -> Option<Duration> {
        (self.ping_interval > 0).then(|| Duration::from_secs(self.ping_interval))
    }
}
