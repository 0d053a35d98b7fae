//! What the ws-check tests share: ws-server in-process and the committed
//! Autobahn results.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use clap::Parser;

/// Starts `ws-server` on a free port in a background runtime.
pub fn start_ws_server() -> SocketAddr {
    start_ws_server_with(&[])
}

/// Starts `ws-server` with extra command-line options.
pub fn start_ws_server_with(extra: &[&str]) -> SocketAddr {
    let args = ["ws-server", "--listen", "127.0.0.1:0"]
        .into_iter()
        .chain(extra.iter().copied());
    let options = ws_server::Options::parse_from(args);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let server = ws_server::Server::bind(options).await.unwrap();
            tx.send(server.local_addr().unwrap()).unwrap();
            server.run(std::future::pending()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// `conformance/expected-server.json`: case id → (behavior, behaviorClose)
/// as Autobahn gave them to ws-server's /echo.
pub fn autobahn_expected() -> BTreeMap<String, (String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/expected-server.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json.as_object()
        .unwrap()
        .iter()
        .map(|(id, r)| {
            let s = |k: &str| r[k].as_str().unwrap().to_owned();
            (id.clone(), (s("behavior"), s("behaviorClose")))
        })
        .collect()
}
