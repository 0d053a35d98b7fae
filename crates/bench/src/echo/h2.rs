//! The HTTP/2 load (`--http2`): TLS with ALPN `h2`, then WebSockets opened
//! as streams of the connection by ws-tokio's `connect_http2` (RFC 8441).
//! `--streams K` puts K WebSockets on each connection (a browser puts all
//! of a page's on one), so the cost of HTTP/2 framing and of sharing one
//! TLS session can be told apart.

use std::io;
use std::sync::Arc;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_rustls::rustls::{self, pki_types::ServerName};
use ws_handshake::{ClientConnect, Url};
use ws_tokio::{Config, HyperWebSocket};

/// A handle on one HTTP/2 connection, for its streams.
pub(super) type Connection = SendRequest<Empty<Bytes>>;

/// Opens an HTTP/2 connection to `url`'s server (a `wss://` URL) trusting
/// `ca_pem`, and waits until its SETTINGS arrived (RFC 8441 §3: no
/// extended CONNECT before): one `GET /` answered, whatever its status.
///
/// # Errors
/// The URL is not `wss://`, TCP or TLS fails, the server does not choose
/// `h2`, or the first request fails.
pub(super) async fn connect(url: &str, ca_pem: &[u8]) -> io::Result<Connection> {
    let parsed = Url::parse(url).map_err(io::Error::other)?;
    if !parsed.secure {
        return Err(io::Error::other("--http2 needs a wss:// URL"));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &ca_pem[..]) {
        roots.add(cert?).map_err(io::Error::other)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect((parsed.host.as_str(), parsed.port)).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(parsed.host.clone()).map_err(io::Error::other)?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Err(io::Error::other("the server did not choose h2 by ALPN"));
    }
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .map_err(io::Error::other)?;
    tokio::spawn(connection);
    let warm_up = hyper::Request::get(format!("https://{}/", parsed.host_header()))
        .body(Empty::new())
        .map_err(io::Error::other)?;
    send.send_request(warm_up).await.map_err(io::Error::other)?;
    Ok(send)
}

/// Opens one WebSocket as a stream of `connection`, offering
/// permessage-deflate when `config` asks for it.
///
/// # Errors
/// The server refuses it or declines permessage-deflate, or the answer
/// breaks the negotiation rules.
pub(super) async fn open(
    connection: &mut Connection,
    url: &str,
    config: Config,
) -> io::Result<HyperWebSocket> {
    let parsed = Url::parse(url).map_err(io::Error::other)?;
    let deflate = config.deflate.is_some();
    let (ws, response) = ws_tokio::connect_http2(connection, ClientConnect::new(&parsed), config)
        .await
        .map_err(io::Error::other)?;
    if deflate && response.extensions().is_empty() {
        return Err(io::Error::other("the server declined permessage-deflate"));
    }
    Ok(ws)
}
