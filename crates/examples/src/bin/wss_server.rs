//! A `wss://` echo server: the same echo as `echo_server`, inside TLS.
//!
//! ```text
//! cargo run -p ws-examples --bin wss_server -- cert.pem key.pem 127.0.0.1:9443
//! ```
//!
//! `cert.pem` holds the certificate chain (the server's certificate first),
//! `key.pem` its private key (PKCS#8, PKCS#1 or SEC1), both PEM.
//!
//! TLS is a layer *under* WebSocket (RFC 6455 §3: `wss://` is WebSocket
//! over TLS): the server first completes the TLS handshake on the TCP
//! stream, then runs the opening handshake inside it. ws-tokio accepts any
//! stream that is `AsyncRead + AsyncWrite`, so the TLS stream goes to
//! [`ws_tokio::accept`] exactly as a `TcpStream` would.

use std::io::{self, BufReader};
use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{ServerConfig, crypto::ring::default_provider};

// ANCHOR: acceptor
/// Loads the certificate chain and key into a TLS acceptor.
fn acceptor(cert_path: &str, key_path: &str) -> io::Result<TlsAcceptor> {
    let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidData, message);
    let open = |path: &str| {
        let file = std::fs::File::open(path).map_err(|e| invalid(format!("{path}: {e}")))?;
        Ok::<_, io::Error>(BufReader::new(file))
    };
    let certs = rustls_pemfile::certs(&mut open(cert_path)?).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(invalid(format!("{cert_path}: no certificate")));
    }
    let key = rustls_pemfile::private_key(&mut open(key_path)?)?
        .ok_or_else(|| invalid(format!("{key_path}: no private key")))?;
    let config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| invalid(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
// ANCHOR_END: acceptor

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, cert, key, rest @ ..] = args.as_slice() else {
        eprintln!("usage: wss_server CERT.pem KEY.pem [ADDR]");
        return ExitCode::from(2);
    };
    let addr = rest.first().map_or("127.0.0.1:9443", String::as_str);
    match run(cert, key, addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wss_server: {e}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: serve
async fn run(cert: &str, key: &str, addr: &str) -> io::Result<()> {
    let tls = acceptor(cert, key)?;
    let listener = TcpListener::bind(addr).await?;
    println!("listening on wss://{}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let tls = tls.clone();
        tokio::spawn(async move {
            // First TLS, then the WebSocket handshake inside it.
            let stream = match tls.accept(tcp).await {
                Ok(stream) => stream,
                Err(e) => return eprintln!("{peer}: TLS handshake failed: {e}"),
            };
            let Ok(mut ws) = ws_tokio::accept(stream).await else {
                return;
            };
            while let Some(Ok(message)) = ws.recv().await {
                if message.is_data() && ws.send(message).await.is_err() {
                    break;
                }
            }
        });
    }
}
// ANCHOR_END: serve
