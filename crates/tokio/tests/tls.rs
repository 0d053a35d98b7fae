//! `wss://` (RFC 6455 §3, §4.1 item 5): our client against a rustls server
//! with a private CA, trusted through `ConnectOptions::ca_pem`.

mod common;

use std::sync::Arc;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use ws_tokio::{CloseCode, ConnectOptions, Error, Message};

/// A TLS echo server for `localhost`; returns its port and the CA's PEM.
async fn tls_echo_server() -> (u16, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut ws) = ws_tokio::accept(tls).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.recv().await {
                    if message.is_data() && ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, ca.pem())
}

#[tokio::test]
async fn wss_echo_with_a_private_ca() {
    let (port, ca_pem) = tls_echo_server().await;
    let options = ConnectOptions {
        ca_pem: Some(ca_pem.into_bytes()),
        ..ConnectOptions::default()
    };
    let (mut ws, _) = ws_tokio::connect_with(&format!("wss://localhost:{port}/"), options)
        .await
        .unwrap();
    assert!(ws.with_stream(|s| matches!(s, ws_tokio::MaybeTlsStream::Tls(_))));
    for len in [0, 10, 70_000, 1 << 20] {
        let data = vec![0xA5u8; len];
        ws.send(Message::binary(data.clone())).await.unwrap();
        assert_eq!(next(&mut ws).await.unwrap().unwrap(), Message::binary(data));
    }
    ws.close(CloseCode::NORMAL, "").await.unwrap();
}

#[tokio::test]
async fn wss_with_an_untrusted_certificate_fails() {
    let (port, _) = tls_echo_server().await;
    // The public web roots do not know our private CA.
    match ws_tokio::connect(&format!("wss://localhost:{port}/")).await {
        Err(Error::Tls(message)) => assert!(!message.is_empty()),
        other => panic!("expected a TLS error, got {:?}", other.map(|_| ())),
    }
    let options = ConnectOptions {
        ca_pem: Some(b"not a pem".to_vec()),
        ..ConnectOptions::default()
    };
    assert!(matches!(
        ws_tokio::connect_with(&format!("wss://localhost:{port}/"), options).await,
        Err(Error::Tls(_))
    ));
}
