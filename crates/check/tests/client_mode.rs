//! Client mode: ws-check as Autobahn's fuzzing server, driven by a
//! ws-tokio client that speaks Autobahn's URL protocol, must give the
//! verdicts Autobahn gives that client (conformance/expected-client.json).

use std::collections::BTreeMap;

use tokio::net::TcpListener;
use ws_check::{Suite, Timeouts, serve_clients};
use ws_tokio::ws_frame::deflate::DeflateConfig;
use ws_tokio::{Config, ConnectOptions, Message};

const AGENT: &str = "ws-tokio";

fn options() -> ConnectOptions {
    let config = Config {
        max_frame_size: 64 << 20,
        max_message_size: 64 << 20,
        deflate: Some(DeflateConfig::default()),
        ..Config::default()
    };
    ConnectOptions {
        config,
        ..ConnectOptions::default()
    }
}

/// Connects and echoes every data message until the connection ends;
/// returns the text messages received.
async fn echo(url: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let Ok((mut ws, _)) = ws_tokio::connect_with(url, options()).await else {
        return texts;
    };
    while let Some(Ok(message)) = ws.recv().await {
        if let Message::Text(t) = &message {
            texts.push(t.as_str().to_owned());
        }
        if let message @ (Message::Text(_) | Message::Binary(_)) = message
            && ws.send(message).await.is_err()
        {
            break;
        }
    }
    texts
}

fn autobahn_client_expected() -> BTreeMap<String, (String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/expected-client.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json.as_object()
        .unwrap()
        .iter()
        .map(|(id, r)| {
            (
                id.clone(),
                (
                    r["behavior"].as_str().unwrap().to_owned(),
                    r["behaviorClose"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ws_tokio_client_gets_autobahns_verdicts_through_the_fuzzing_server_urls() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("ws://{}", listener.local_addr().unwrap());
    let suite = Suite::new()
        .cases("1.*,2.*,3.*,4.*,5.*,6.1.*,6.3.*,7.*,10.*,12.1.1")
        .timeouts(Timeouts::relaxed());
    let server =
        tokio::spawn(async move { serve_clients(&suite, listener, std::future::pending()).await });
    let count: usize = echo(&format!("{base}/getCaseCount")).await[0]
        .parse()
        .unwrap();
    assert_eq!(count, 16 + 11 + 7 + 10 + 20 + 3 + 2 + 37 + 1 + 1);
    let info = echo(&format!("{base}/getCaseInfo?case=1")).await;
    assert!(info[0].contains("\"id\":\"1.1.1\""), "{info:?}");
    for case in 1..=count {
        echo(&format!("{base}/runCase?case={case}&agent={AGENT}")).await;
    }
    let status = echo(&format!("{base}/getCaseStatus?case=1&agent={AGENT}")).await;
    assert_eq!(status, [r#"{"behavior":"OK"}"#]);
    echo(&format!("{base}/updateReports?agent={AGENT}")).await;
    let report = server.await.unwrap().unwrap();
    assert_eq!(report.agent, AGENT);
    assert_eq!(report.cases.len(), count);
    let expected = autobahn_client_expected();
    let differences: Vec<String> = report
        .cases
        .iter()
        .filter(|c| {
            let (b, bc) = &expected[&c.id];
            c.behavior.as_str() != b || c.behavior_close.as_str() != bc
        })
        .map(|c| {
            format!(
                "{}: {}/{} ({}; {})",
                c.id, c.behavior, c.behavior_close, c.result, c.result_close
            )
        })
        .collect();
    assert!(differences.is_empty(), "{differences:#?}");
}
