//! Exit statuses: one per way a session can end, so that a script can tell
//! a typo in the host name from a server that refused the upgrade without
//! reading stderr. The table is printed by `--help` ([`HELP`]) and is part of
//! the interface (`docs/server-interface.md` §9).

use std::process::ExitCode;

/// How the program ends. The discriminant is the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// The peer closed with 1000 or 1001 (or a Close without a code), or we
    /// closed after stdin EOF / `--max-messages` and the peer answered.
    Normal = 0,
    /// The connection was open and ended otherwise: another close code, no
    /// Close at all (1006), a protocol error, no Close answer within 5 s.
    Abnormal = 1,
    /// The command line is wrong (clap uses 2 as well).
    Usage = 2,
    /// The host name does not resolve (DNS).
    Dns = 3,
    /// No TCP connection: refused, unreachable, reset; or `--listen` cannot
    /// bind.
    Connect = 4,
    /// TLS failed: untrusted, mismatched or expired certificate, or another
    /// TLS handshake failure.
    Tls = 5,
    /// The server answered the upgrade with something other than a valid
    /// 101 (RFC 6455 §4.1).
    Handshake = 6,
    /// Connect and opening handshake together took longer than `--timeout`.
    Timeout = 7,
    /// `--http2`: the server offers no WebSocket over HTTP/2 (no `h2` by
    /// ALPN, or no `SETTINGS_ENABLE_CONNECT_PROTOCOL`, RFC 8441 §3).
    NoHttp2 = 8,
}

/// The `EXIT STATUS` section of `--help`.
pub(crate) const HELP: &str = "\
EXIT STATUS:
  0  normal close: the peer closed with 1000 or 1001 (or without a code), also
     after our own Close on stdin EOF or --max-messages/--once
  1  abnormal close: another close code (code and reason on stderr), the
     connection lost without a Close (1006), a protocol error, or no Close
     answer within 5 s
  2  usage error: bad option, URL, --header or unreadable --ca file
  3  DNS failure: the host name does not resolve
  4  connection failed: refused or unreachable (with --listen: cannot bind)
  5  TLS failure: the certificate is untrusted, for another name, or expired
     (which one and why on stderr), or the TLS handshake failed
  6  handshake refused: the server did not answer 101 Switching Protocols
     (with --http2: 200) (its status line and the first line of its body on
     stderr)
  7  timeout: no connection and opening handshake within --timeout seconds
  8  no HTTP/2 (--http2): the server did not offer h2 by TLS ALPN, or did not
     enable WebSockets over it (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441)";

/// A session that ended other than normally: the status and what to tell
/// the person (one line on stderr, prefixed `ws-client: `).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: Status,
    pub(crate) message: String,
    /// Printed on its own line before the message (an HTTP status line).
    pub(crate) status_line: Option<String>,
}

impl Failure {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            status_line: None,
        }
    }

    pub(crate) fn with_status_line(mut self, line: String) -> Self {
        self.status_line = Some(line);
        self
    }

    /// Writes the failure to stderr and gives the exit status.
    pub(crate) fn report(&self) -> ExitCode {
        if let Some(line) = &self.status_line {
            eprintln!("{line}");
        }
        eprintln!("ws-client: {}", self.message);
        self.status.code()
    }
}

impl Status {
    pub(crate) fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}
