//! The client side of the opening handshake (RFC 6455 §4.1) over a stream,
//! and [`connect`], which also opens the TCP (and TLS) connection.
//!
//! ```text
//!  connect(url) ──► Url::parse ──► TCP (nodelay) ──► TLS for wss:// (SNI = host)
//!                                                        │
//!  client(stream, request) ──► write request ──► read the answer (timeout, limits)
//!                                                        │ 101, validated (§4.1)
//!                                                        ▼
//!                                 WebSocket (+ bytes read past the head)
//! ```

use std::sync::{Arc, OnceLock};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use ws_frame::Role;
use ws_handshake::{ClientRequest, Response, Url};

use crate::websocket::Negotiated;
use crate::{Config, Error, MaybeTlsStream, WebSocket};

/// Options for [`connect_with`]: what the opening handshake offers (RFC 6455
/// §4.1) and how TLS is set up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Limits, buffers and timers of the connection.
    pub config: Config,
    /// Subprotocols to offer, in order of preference (RFC 6455 §4.1 item 10).
    pub protocols: Vec<String>,
    /// Extra header lines for the request (e.g. `Authorization`).
    pub headers: Vec<(String, String)>,
    /// The `Origin` header to send (§4.1 item 8; browsers always send one).
    pub origin: Option<String>,
    /// For `wss://`: trust the CA certificate(s) in this PEM instead of the
    /// public web roots (for private CAs and tests).
    pub ca_pem: Option<Vec<u8>>,
}

/// Connects to a `ws://` or `wss://` URL with default options.
///
/// # Cancel safety
/// Not cancel-safe: the connection is lost if the future is dropped.
///
/// # Errors
/// As [`connect_with`].
pub async fn connect(url: &str) -> Result<(WebSocket<MaybeTlsStream>, Response), Error> {
    connect_with(url, ConnectOptions::default()).await
}

/// Connects to a `ws://` or `wss://` URL (RFC 6455 §3): opens TCP (with
/// `TCP_NODELAY`), TLS for `wss://` (server name = the URL's host), and runs
/// the opening handshake (§4.1). Each of the connect and the handshake is
/// bounded by [`Config::handshake_timeout`].
///
/// # Cancel safety
/// Not cancel-safe: the connection is lost if the future is dropped.
///
/// # Errors
/// [`Error::Handshake`] for a bad URL, a non-101 answer
/// ([`ws_handshake::Error::Status`] keeps its status and headers) or an
/// invalid 101; [`Error::Tls`] for TLS failures (untrusted certificate, bad
/// `ca_pem`); [`Error::Timeout`]; [`Error::Io`] (e.g. connection refused).
pub async fn connect_with(
    url: &str,
    options: ConnectOptions,
) -> Result<(WebSocket<MaybeTlsStream>, Response), Error> {
    let url = Url::parse(url)?;
    let ConnectOptions {
        config,
        protocols,
        headers,
        origin,
        ca_pem,
    } = options;
    let tls = if url.secure {
        Some(tls_config(ca_pem.as_deref())?)
    } else {
        None
    };
    let stream = timeout(config.handshake_timeout, async {
        let tcp = TcpStream::connect((url.host.as_str(), url.port)).await?;
        tcp.set_nodelay(true)?;
        let Some(tls) = tls else {
            return Ok(MaybeTlsStream::Plain(tcp));
        };
        // RFC 6455 §4.1 item 5: "perform a TLS handshake over the
        // connection ... using the /host/ as the server name (SNI)".
        let name = ServerName::try_from(url.host.clone()).map_err(|e| Error::Tls(e.to_string()))?;
        let stream = TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| Error::Tls(e.to_string()))?;
        Ok::<_, Error>(MaybeTlsStream::Tls(Box::new(stream)))
    })
    .await??;
    let mut request = ClientRequest::new(&url);
    if let Some(origin) = &origin {
        request = request.origin(origin);
    }
    for protocol in &protocols {
        request = request.protocol(protocol);
    }
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    // RFC 7692 §5: offer permessage-deflate when the config asks for it.
    if let Some(offer) = config
        .deflate
        .as_ref()
        .and_then(ws_frame::deflate::client_offer)
    {
        for offer in ws_handshake::parse_extensions(&offer)? {
            request = request.extension(offer);
        }
    }
    client(stream, request, config).await
}

/// Runs the client side of the opening handshake on a connected stream
/// (RFC 6455 §4.1): writes `request`, reads and validates the answer within
/// [`Config::handshake_timeout`] and [`Config::handshake_limits`]. Bytes that
/// arrived after the 101 head are kept as the first frames.
///
/// # Cancel safety
/// Not cancel-safe: the handshake is lost if the future is dropped.
///
/// # Errors
/// [`Error::Handshake`] for a non-101 answer ([`ws_handshake::Error::Status`])
/// or one that fails §4.1 validation; [`Error::Timeout`]; [`Error::Io`],
/// including `UnexpectedEof` if the server closes first.
pub async fn client<S>(
    mut stream: S,
    request: ClientRequest,
    config: Config,
) -> Result<(WebSocket<S>, Response), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits = config.handshake_limits;
    let (response, leftover) = timeout(config.handshake_timeout, async {
        stream.write_all(&request.encode()).await?;
        stream.flush().await?;
        let mut buf = BytesMut::new();
        loop {
            if buf.capacity() - buf.len() < 1024 {
                buf.reserve(4096);
            }
            let n = stream.read_buf(&mut buf).await?;
            match request.parse_response(&buf, &limits)? {
                Some((response, consumed)) => {
                    buf.advance(consumed);
                    return Ok::<_, Error>((response, buf));
                }
                None if n == 0 => return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into())),
                None => {}
            }
        }
    })
    .await??;
    let negotiated =
        Negotiated::from_server_answer(response.protocol(), response.extensions(), &config)?;
    let socket = WebSocket::from_parts(stream, Role::Client, config, leftover, negotiated);
    Ok((socket, response))
}

/// The TLS client configuration: the public web roots (built once), or the
/// given CA.
fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<ClientConfig>, Error> {
    static WEB_ROOTS: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let Some(pem) = ca_pem else {
        if let Some(config) = WEB_ROOTS.get() {
            return Ok(Arc::clone(config));
        }
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = build_tls_config(roots)?;
        return Ok(Arc::clone(WEB_ROOTS.get_or_init(|| config)));
    };
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &pem[..]) {
        let cert = cert.map_err(|e| Error::Tls(format!("reading the CA PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| Error::Tls(format!("adding the CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(Error::Tls("no certificate in the CA PEM".to_owned()));
    }
    build_tls_config(roots)
}

fn build_tls_config(roots: RootCertStore) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // The WebSocket handshake is HTTP/1.1 (RFC 6455 §4.1).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
