//! TLS for `wss://` (RFC 6455 §4.1 item 5): the rustls client configuration
//! (web roots, a `--ca` file, or no checks at all with `--insecure`) and a
//! sentence a person understands when the server's certificate is refused.

use std::sync::{Arc, Mutex};

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::{WebPkiServerVerifier, verify_server_name};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// Which certificates to trust.
pub(crate) enum Trust<'a> {
    /// The public web roots (webpki-roots).
    WebRoots,
    /// The CA certificates of this PEM file's contents.
    Ca(&'a [u8]),
    /// Anything (`--insecure`).
    Anything,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
}

/// The names a refused certificate holds (its subjectAltName entries), as
/// the verifier saw them; `None` until a certificate was refused.
#[derive(Clone, Debug, Default)]
pub(crate) struct Refused(Arc<Mutex<Option<Vec<String>>>>);

impl Refused {
    fn record(&self, names: Vec<String>) {
        if let Ok(mut seen) = self.0.lock() {
            *seen = Some(names);
        }
    }

    fn names(&self) -> Option<Vec<String>> {
        self.0.lock().ok().and_then(|seen| seen.clone())
    }
}

/// The client configuration for `trust`, asking for the application
/// protocol `alpn` (RFC 7301: `http/1.1`, or `h2` for RFC 8441), and where its verifier records
/// the names of a certificate it refused.
///
/// # Errors
/// A sentence for the CA file that holds no usable certificate.
pub(crate) fn client_config(
    trust: &Trust<'_>,
    alpn: &[u8],
) -> Result<(Arc<ClientConfig>, Refused), String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let roots = match trust {
        Trust::Anything => None,
        Trust::WebRoots => Some(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
        Trust::Ca(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in rustls_pemfile::certs(&mut &pem[..]) {
                let cert = cert.map_err(|e| format!("not a PEM certificate: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("not a usable CA certificate: {e}"))?;
            }
            if roots.is_empty() {
                return Err("no certificate in it".to_owned());
            }
            Some(roots)
        }
    };
    let refused = Refused::default();
    let verifier: Arc<dyn ServerCertVerifier> = match roots {
        None => Arc::new(AcceptAnything(provider())),
        Some(roots) => Arc::new(Recording {
            inner: WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| e.to_string())?,
            refused: refused.clone(),
        }),
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    Ok((Arc::new(config), refused))
}

/// The server name rustls checks the certificate against (and sends as SNI).
///
/// # Errors
/// The host is neither a DNS name nor an IP address.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_owned())
        .map_err(|e| format!("{host:?} is not a TLS server name: {e}"))
}

/// Why the TLS handshake with `peer` (host:port) failed, in words: for a
/// refused certificate, which one and what is wrong with it.
pub(crate) fn describe(
    error: &std::io::Error,
    host: &str,
    peer: &str,
    refused: &Refused,
) -> String {
    let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return format!("TLS handshake with {peer} failed: {error}");
    };
    let rustls::Error::InvalidCertificate(reason) = tls else {
        return format!("TLS handshake with {peer} failed: {tls}");
    };
    let why = match reason {
        CertificateError::UnknownIssuer => "it is not signed by a trusted CA (unknown issuer: \
             self-signed, or its CA is not in the trust store; --ca PEM trusts a private CA)"
            .to_owned(),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("it is not valid for the name {host:?} (name mismatch)")
        }
        CertificateError::ExpiredContext { time, not_after } => format!(
            "it expired {} ago",
            ago(time.as_secs().saturating_sub(not_after.as_secs()))
        ),
        CertificateError::Expired => "it has expired".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "it is not valid yet (for another {})",
            ago(not_before.as_secs().saturating_sub(time.as_secs()))
        ),
        CertificateError::NotValidYet => "it is not valid yet".to_owned(),
        CertificateError::Revoked => "it has been revoked".to_owned(),
        CertificateError::BadSignature => "its signature does not verify".to_owned(),
        // A self-signed certificate made with `CA:TRUE` (openssl's default
        // for `req -x509`) presented as the server's own.
        CertificateError::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
            "it is a CA certificate used as the server's own (self-signed with CA:TRUE); \
             issue a server certificate from that CA, or use --insecure for a test server"
                .to_owned()
        }
        other => other.to_string(),
    };
    let names = match refused.names() {
        Some(names) if names.is_empty() => " (it names no host)".to_owned(),
        Some(names) => format!(" (issued for {})", names.join(", ")),
        None => String::new(),
    };
    format!("TLS: the certificate of {peer}{names} was refused: {why}")
}

/// Whether the server ended the TLS handshake because it speaks none of
/// the protocols we asked for by ALPN (RFC 7301 §3.2:
/// `no_application_protocol`).
pub(crate) fn no_common_protocol(error: &std::io::Error) -> bool {
    matches!(
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::AlertReceived(
            rustls::AlertDescription::NoApplicationProtocol
        ))
    )
}

/// A span of seconds in the largest unit that fits.
fn ago(seconds: u64) -> String {
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7200 => format!("{} minutes", seconds / 60),
        7200..172_800 => format!("{} hours", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    }
}

/// The names `cert` holds. webpki lists them when a name does not match,
/// so a name no certificate may hold (RFC 2606 `.invalid`) is asked for.
fn names_of(cert: &CertificateDer<'_>) -> Vec<String> {
    let (Ok(parsed), Ok(probe)) = (
        ParsedCertificate::try_from(cert),
        ServerName::try_from("ws-client.invalid"),
    ) else {
        return Vec::new();
    };
    let Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
        presented,
        ..
    })) = verify_server_name(&parsed, &probe)
    else {
        return Vec::new();
    };
    presented
        .iter()
        .map(|name| {
            // `DnsName("localhost")`, `IpAddress(127.0.0.1)`: the name alone.
            let inner = name
                .split_once('(')
                .map_or(name.as_str(), |(_, rest)| rest.trim_end_matches(')'));
            inner.trim_matches('"').to_owned()
        })
        .collect()
}

/// rustls' own verifier (the web roots or `--ca`), which also records the
/// names of a certificate it refuses, for [`describe`].
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    refused: Refused,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if verdict.is_err() {
            self.refused.record(names_of(end_entity));
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--insecure`: every certificate is accepted. The handshake signatures
/// are still checked (the server holds the key of the certificate it sent),
/// which proves nothing about who it is.
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
