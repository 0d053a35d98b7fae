//! TLS for `https://` and `wss://` (`--tls-cert`, `--tls-key`), with rustls,
//! offering `h2` and `http/1.1` by ALPN.

use std::io;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};

use crate::startup::StartError;

/// Loads a PEM certificate chain and private key into an acceptor. Every
/// failure names the file and the option it came from.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, StartError> {
    let cert_problem = |problem: String| StartError::TlsFile {
        option: "--tls-cert",
        path: cert.to_owned(),
        problem,
    };
    let key_problem = |problem: String| StartError::TlsFile {
        option: "--tls-key",
        path: key.to_owned(),
        problem,
    };
    let certs = rustls_pemfile::certs(&mut open(cert).map_err(&cert_problem)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_problem(format!("malformed PEM: {e}")))?;
    if certs.is_empty() {
        return Err(cert_problem(
            "no certificate in it (expected a PEM `BEGIN CERTIFICATE` block)".to_owned(),
        ));
    }
    let key_der = rustls_pemfile::private_key(&mut open(key).map_err(&key_problem)?)
        .map_err(|e| key_problem(format!("malformed PEM: {e}")))?
        .ok_or_else(|| {
            key_problem(
                "no private key in it (expected a PEM `BEGIN PRIVATE KEY` block)".to_owned(),
            )
        })?;
    let pair_problem = |e: rustls::Error| StartError::TlsPair {
        cert: cert.to_owned(),
        key: key.to_owned(),
        problem: match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                "the key does not belong to the certificate".to_owned()
            }
            other => other.to_string(),
        },
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(pair_problem)?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(pair_problem)?;
    // RFC 7301 ALPN: HTTP/2 first, so that browsers open their WebSockets
    // as streams of the page's connection (RFC 8441); HTTP/1.1 otherwise.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Opens `path` for reading, the error saying why in words.
fn open(path: &Path) -> Result<io::BufReader<std::fs::File>, String> {
    std::fs::File::open(path)
        .map(io::BufReader::new)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => "no such file".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => e.to_string(),
        })
}
