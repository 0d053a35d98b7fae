//! `wss_server` and `wss_client`: an echo over TLS with a certificate made
//! here, from a CA the client is told to trust, and a refusal when the
//! client trusts another CA.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::Program;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

/// A fresh CA, and a certificate for `localhost` signed by it, written to
/// `dir`: `ca.pem`, `cert.pem`, `key.pem`.
fn make_certificates(dir: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    dir
}

fn start_server(dir: &std::path::Path) -> Program {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let args = [cert.to_str().unwrap(), key.to_str().unwrap(), "127.0.0.1:0"];
    Program::start(env!("CARGO_BIN_EXE_wss_server"), &args)
}

/// `wss://localhost:PORT/`: the name the certificate was made for.
fn url(server: &Program) -> String {
    assert!(server.url.starts_with("wss://127.0.0.1:"), "{}", server.url);
    let port = server.addr().rsplit_once(':').unwrap().1;
    format!("wss://localhost:{port}/")
}

#[test]
fn the_client_trusting_the_ca_gets_its_echo_over_tls() {
    let dir = make_certificates("wss-trusted");
    let server = start_server(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_wss_client"))
        .args([&url(&server), dir.join("ca.pem").to_str().unwrap()])
        .args(["hello", "over TLS"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "hello\nover TLS\n");
}

#[test]
fn a_client_trusting_another_ca_refuses_the_certificate() {
    let dir = make_certificates("wss-server");
    let other = make_certificates("wss-other-ca");
    let server = start_server(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_wss_client"))
        .args([
            &url(&server),
            other.join("ca.pem").to_str().unwrap(),
            "hello",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("wss_client: TLS"), "{stderr}");
    // Both CAs have the same (default) name, so it is the signature that fails.
    assert!(stderr.contains("invalid peer certificate"), "{stderr}");
}

#[test]
fn the_server_names_a_missing_certificate_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_wss_server"))
        .args([
            "/nonexistent/cert.pem",
            "/nonexistent/key.pem",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("wss_server: /nonexistent/cert.pem: "),
        "{stderr}"
    );
}
