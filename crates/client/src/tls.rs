//! TLS for `wss://` (RFC 6455 §4.1 item 5): the rustls client configuration
//! (web roots, a `--ca` file, or no checks at all with `--insecure`) and a
//! sentence a person understands when the server's certificate is refused.

use std::sync::Arc;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
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

/// The client configuration for `trust`.
///
/// # Errors
/// A sentence for the CA file that holds no usable certificate.
pub(crate) fn client_config(trust: &Trust<'_>) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let mut config = match trust {
        Trust::Anything => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider())))
            .with_no_client_auth(),
        Trust::WebRoots => builder
            .with_root_certificates(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
            .with_no_client_auth(),
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
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    // The WebSocket handshake is HTTP/1.1 (RFC 6455 §4.1).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
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
pub(crate) fn describe(error: &std::io::Error, host: &str, peer: &str) -> String {
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
            format!("it is not valid for the name {host:?} (name mismatch): {reason}")
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            format!("it has expired: {reason}")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            format!("it is not valid yet: {reason}")
        }
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
    format!("the certificate presented by {peer} for {host:?} was refused: {why}")
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
