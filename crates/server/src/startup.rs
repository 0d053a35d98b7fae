//! Why the server could not start, said so that the person running it can
//! fix it: what failed, the option it came from, and the cause. Each kind
//! of failure has its own exit status, listed in `ws-server --help` and in
//! `docs/server-interface.md` §1, so that a script or a service manager can
//! tell a port that is taken from a certificate that is missing.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure to start: nothing was served.
#[derive(Debug)]
pub enum StartError {
    /// `--listen`: the address could not be bound (taken, not local,
    /// not permitted).
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// `--tls-cert` or `--tls-key`: the file could not be read, holds no
    /// PEM certificate (or key), or its PEM is malformed.
    TlsFile {
        /// `--tls-cert` or `--tls-key`.
        option: &'static str,
        /// The file named by the option.
        path: PathBuf,
        /// Why it could not be used.
        problem: String,
    },
    /// `--tls-cert` with `--tls-key`: both files read, but rustls refuses
    /// the pair (most often: the key is not the certificate's key).
    TlsPair {
        /// The certificate chain file.
        cert: PathBuf,
        /// The private key file.
        key: PathBuf,
        /// What rustls said.
        problem: String,
    },
    /// `--redis`: the value is not a Redis URL. (A Redis that is down is
    /// not a start failure: the node starts degraded and says so.)
    Redis {
        /// The URL, its password hidden.
        url: String,
        /// Why it does not parse.
        problem: String,
    },
    /// The tokio runtime could not be built (`--threads`).
    Runtime(io::Error),
    /// `--auth-public-key` is unreadable or not a usable public key, or
    /// `--auth-secret` is empty.
    AuthKey {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl StartError {
    /// The process exit status for this failure. 2 is left to the command
    /// line parser (an unknown option, a value that does not parse) and 1
    /// to a failure after the start.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Listen { .. } => 3,
            Self::TlsFile { .. } | Self::TlsPair { .. } => 4,
            Self::Redis { .. } => 5,
            Self::Runtime(_) => 6,
            Self::AuthKey { .. } => 2,
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Listen { addr, source } => {
                write!(f, "cannot listen on {addr} (--listen): {source}")?;
                match source.kind() {
                    io::ErrorKind::AddrInUse => {
                        write!(
                            f,
                            "; another program has that port, pick another with --listen"
                        )
                    }
                    io::ErrorKind::AddrNotAvailable => {
                        write!(f, "; that address is not one of this machine's")
                    }
                    io::ErrorKind::PermissionDenied => {
                        write!(f, "; ports below 1024 need privileges")
                    }
                    _ => Ok(()),
                }
            }
            Self::TlsFile {
                option,
                path,
                problem,
            } => write!(f, "cannot use {} ({option}): {problem}", path.display()),
            Self::TlsPair { cert, key, problem } => write!(
                f,
                "cannot use the certificate {} with the key {} (--tls-cert, --tls-key): {problem}",
                cert.display(),
                key.display()
            ),
            Self::Redis { url, problem } => {
                write!(f, "cannot use {url} (--redis): {problem}")
            }
            Self::Runtime(source) => write!(f, "cannot start the runtime (--threads): {source}"),
            Self::AuthKey { option, problem } => write!(f, "cannot use {option}: {problem}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Listen { source, .. } | Self::Runtime(source) => Some(source),
            _ => None,
        }
    }
}

/// `url` with its password (and user name) replaced by `***`: a URL goes
/// into error messages and logs, its credentials never do.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn credentials_never_reach_a_message() {
        assert_eq!(
            redact_url("redis://user:secret@host:6379/0"),
            "redis://***@host:6379/0"
        );
        assert_eq!(redact_url("redis://:secret@host"), "redis://***@host");
        assert_eq!(redact_url("redis://host:6379"), "redis://host:6379");
        assert_eq!(redact_url("redis://host/a@b"), "redis://host/a@b");
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
