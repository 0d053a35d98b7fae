//! The client's opening handshake (RFC 6455 §4.1), and the
//! permessage-deflate the server's answer settles (RFC 7692 §7.1).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use ws_frame::Role;
use ws_frame::deflate::{DeflateConfig, EXTENSION_NAME, PerMessageDeflate};
use ws_handshake::{ClientRequest, Limits, Response, Url};

use super::BoxStream;

/// Connects (with TLS for `wss://`, RFC 6455 §4.1 item 5) and performs
/// the opening handshake (§4.1).
pub(super) async fn open(
    url: &Url,
    tls: Option<&TlsConnector>,
    request: &ClientRequest,
) -> Result<ClientOpened, String> {
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("cannot connect to {}:{}: {e}", url.host, url.port))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut stream: BoxStream = match (url.secure, tls) {
        (false, _) => Box::new(tcp),
        (true, Some(tls)) => {
            let name = crate::tls::server_name(&url.host)?;
            Box::new(
                tls.connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS handshake failed: {e}"))?,
            )
        }
        (true, None) => return Err("wss:// without a TLS configuration".into()),
    };
    stream
        .write_all(&request.encode())
        .await
        .map_err(|e| e.to_string())?;
    let limits = Limits::default();
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        match request.parse_response(&buf, &limits) {
            Ok(Some((response, used))) => {
                let head = String::from_utf8_lossy(&buf[..used]).into_owned();
                let deflate = accepted_deflate(&response)?;
                return Ok((stream, buf[used..].to_vec(), head, deflate));
            }
            Ok(None) => {}
            Err(e) => return Err(format!("invalid handshake response: {e}")),
        }
    }
}

/// What the client handshake yields: the stream, bytes read past the
/// handshake, the response head, and the extension the server accepted.
type ClientOpened = (BoxStream, Vec<u8>, String, Option<PerMessageDeflate>);

/// The permessage-deflate the server accepted, if any (RFC 7692 §7.1:
/// the parameters of its answer decide both directions).
fn accepted_deflate(response: &Response) -> Result<Option<PerMessageDeflate>, String> {
    let Some(ext) = response
        .extensions()
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(EXTENSION_NAME))
    else {
        return Ok(None);
    };
    let params = ws_frame::deflate::parse_answer(&ext.params)
        .map_err(|e| format!("invalid permessage-deflate answer from the server: {e}"))?;
    Ok(Some(PerMessageDeflate::new(
        Role::Client,
        &params,
        &checker_deflate_config(),
    )))
}

/// The checker's own permessage-deflate settings, in both modes.
///
/// Every message is compressed (`min_size = 0`), as Autobahn does. The
/// level is 1, not the default 6: the verdicts of sections 12–13 depend only
/// on what the peer under test decompresses and echoes, never on how small
/// the checker's own frames are (RFC 7692 §7.2.1 leaves the compression level
/// to the sender), and at level 6 the checker's `longest_match` was most of
/// its CPU in those sections (issue 14: 12.1.10 went from 3.65 s to ~1.4 s
/// of checker CPU), so a full run was limited by the checker, not the server.
pub(crate) fn checker_deflate_config() -> DeflateConfig {
    let mut config = DeflateConfig::default();
    config.min_size = 0;
    config.level = 1;
    config
}
