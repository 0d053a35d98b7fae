//! ws-check against our own server: every implemented case must give the
//! verdict Autobahn gives ws-server's /echo (conformance/expected-server.json).

mod common;

use ws_check::{Suite, Timeouts, case_ids};

#[test]
fn the_catalogue_lists_autobahns_case_ids() {
    let ours = case_ids();
    let mut theirs: Vec<String> = common::autobahn_expected().into_keys().collect();
    let key = |s: &String| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap())
            .collect::<Vec<_>>()
    };
    theirs.sort_by_key(key);
    assert_eq!(ours, theirs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_server_echo_gets_autobahns_verdicts_in_sections_1_to_10() {
    let addr = common::start_ws_server();
    let url = format!("ws://{addr}/echo");
    // Section 9 apart: its 16 MiB messages keep a debug server's threads
    // busy for seconds, which would blur the one-second pauses of 6.4.
    let mut report = Suite::new()
        .exclude("9.*,12.*,13.*")
        .jobs(32)
        .timeouts(Timeouts::relaxed())
        .run_against_server(&url)
        .await
        .unwrap();
    let big = Suite::new()
        .cases("9.*")
        .jobs(8)
        .timeouts(Timeouts::relaxed())
        .run_against_server(&url)
        .await
        .unwrap();
    report.cases.extend(big.cases);
    let expected = common::autobahn_expected();
    assert_eq!(report.cases.len(), 301);
    let mut differences = Vec::new();
    for c in &report.cases {
        let (behavior, close) = &expected[&c.id];
        if c.behavior.as_str() != behavior || c.behavior_close.as_str() != close {
            differences.push(format!(
                "{}: Autobahn {behavior}/{close}, ws-check {}/{} ({}; {})",
                c.id, c.behavior, c.behavior_close, c.result, c.result_close
            ));
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(report.failed(true), 0);
    assert_eq!(report.summary(false), "301 passed, 0 failed");
}

#[tokio::test]
async fn bad_runs_are_refused_with_a_reason() {
    let addr = common::start_ws_server();
    let err = Suite::new()
        .cases("1.[")
        .run_against_server(&format!("ws://{addr}/echo"))
        .await
        .unwrap_err();
    assert!(matches!(err, ws_check::Error::Pattern(_)), "{err}");
    let err = Suite::new()
        .run_against_server("http://example.invalid/")
        .await
        .unwrap_err();
    assert!(matches!(err, ws_check::Error::Url(_)), "{err}");
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Suite::new()
        .run_against_server(&format!("ws://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(err, ws_check::Error::Unreachable(_)), "{err}");
}

/// Sections 12 and 13 with their smallest size (16 bytes, every corpus
/// and every offer): the larger ones take minutes in a debug build (the
/// compressor is unoptimised) and belong to release runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_server_echo_gets_autobahns_verdicts_in_permessage_deflate() {
    let addr = common::start_ws_server();
    let report = Suite::new()
        .cases("12.*.1,13.*.1")
        .jobs(16)
        .timeouts(Timeouts::relaxed())
        .run_against_server(&format!("ws://{addr}/echo"))
        .await
        .unwrap();
    assert_eq!(report.cases.len(), 5 + 7);
    let expected = common::autobahn_expected();
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
