//! Certificates made by a test: a CA, and a certificate for `localhost`
//! signed by it, written as PEM files for `--tls-cert` and `--tls-key`.

use std::path::PathBuf;

/// What [`localhost_certificate`] made.
pub struct Certificate {
    /// The CA's certificate, as PEM: what a client must trust.
    pub ca_pem: String,
    /// The server's certificate chain file.
    pub cert_path: PathBuf,
    /// The server's private key file.
    pub key_path: PathBuf,
    /// The directory holding both files (the test removes it).
    pub dir: PathBuf,
}

/// A new CA and a `localhost` certificate signed by it, in a directory
/// of its own named after `dir_name` and this process.
pub fn localhost_certificate(dir_name: &str) -> Certificate {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("{dir_name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    Certificate {
        ca_pem: ca.pem(),
        cert_path,
        key_path,
        dir,
    }
}
