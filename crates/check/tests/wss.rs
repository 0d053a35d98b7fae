//! `wss://` in server mode: the same cases over TLS, against ws-server
//! with a certificate from a test CA.

mod common;

use ws_check::{Suite, Timeouts, Trust};

/// A CA and a `localhost` certificate signed by it: (CA PEM, cert file, key file).
fn certificate() -> (String, std::path::PathBuf, std::path::PathBuf) {
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
    let dir = std::env::temp_dir().join(format!("ws-check-wss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (ca.pem(), cert_path, key_path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_runs_the_cases_over_tls_with_a_trusted_ca() {
    let (ca, cert, key) = certificate();
    let addr = common::start_ws_server_with(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let url = format!("wss://localhost:{}/echo", addr.port());
    let cases = "1.1.*,2.*,5.1,6.4.1,7.1.1,12.1.1";
    let expected = common::autobahn_expected();
    for trust in [Trust::Ca(ca.clone().into_bytes()), Trust::Anything] {
        let report = Suite::new()
            .cases(cases)
            .trust(trust)
            .timeouts(Timeouts::relaxed())
            .run_against_server(&url)
            .await
            .unwrap();
        assert_eq!(report.cases.len(), 8 + 11 + 4);
        for c in &report.cases {
            let (behavior, close) = &expected[&c.id];
            assert_eq!(
                (c.behavior.as_str(), c.behavior_close.as_str()),
                (behavior.as_str(), close.as_str()),
                "{}: {}",
                c.id,
                c.result
            );
        }
    }
    // Without the CA the certificate is refused: every case fails to open.
    let report = Suite::new()
        .cases("1.1.1")
        .run_against_server(&url)
        .await
        .unwrap();
    let c = report.case("1.1.1").unwrap();
    assert_eq!(c.behavior.as_str(), "FAILED");
    assert!(c.result.contains("TLS"), "{}", c.result);
    // A CA file with no certificate in it: the run cannot be made.
    let err = Suite::new()
        .trust(Trust::Ca(b"not a certificate".to_vec()))
        .run_against_server(&url)
        .await
        .unwrap_err();
    assert!(matches!(err, ws_check::Error::Tls(_)), "{err}");
}
