//! Section 14, beyond Autobahn: the server's opening handshake (RFC 6455
//! §4.2.1, §4.2.2, §4.4). ws-server passes it; a server that upgrades
//! anything fails every refusal case, one with a wrong
//! Sec-WebSocket-Accept fails every acceptance case.

mod broken;
mod common;

use broken::Flaw;
use ws_check::{Suite, Timeouts, Verdict, extra_case_ids};

async fn run(url: &str) -> ws_check::Report {
    Suite::new()
        .cases("14.*")
        .timeouts(Timeouts::relaxed())
        .run_against_server(url)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_server_passes_the_opening_handshake_section() {
    let addr = common::start_ws_server();
    let report = run(&format!("ws://{addr}/echo")).await;
    assert_eq!(report.cases.len(), extra_case_ids().len());
    for c in &report.cases {
        assert_eq!(
            (c.behavior, c.behavior_close),
            (Verdict::Ok, Verdict::Ok),
            "{}: {} | {}",
            c.id,
            c.result,
            c.http_response
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_upgrades_anything_fails_every_refusal() {
    let addr = broken::start(Flaw::UpgradesAnything).await;
    let report = run(&format!("ws://{addr}/")).await;
    for c in &report.cases {
        let want = if c.id.starts_with("14.1.") {
            Verdict::Failed
        } else {
            Verdict::Ok
        };
        assert_eq!(c.behavior, want, "{}: {}", c.id, c.result);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_a_wrong_accept_fails_every_upgrade() {
    let addr = broken::start(Flaw::WrongAccept).await;
    let report = run(&format!("ws://{addr}/")).await;
    for c in &report.cases {
        // The refusals pass: its handshake code refuses as it should.
        let want = if c.id.starts_with("14.2.") {
            Verdict::Failed
        } else {
            Verdict::Ok
        };
        assert_eq!(c.behavior, want, "{}: {}", c.id, c.result);
        if c.id.starts_with("14.2.") {
            assert!(c.result.contains("Sec-WebSocket-Accept"), "{}", c.result);
        }
    }
}

#[tokio::test]
async fn the_extra_section_is_not_in_autobahns_selection() {
    let all = Suite::new().selected().unwrap();
    assert_eq!(all.len(), 517);
    let with = Suite::new().cases("*,14.*").selected().unwrap();
    assert_eq!(with.len(), 517 + extra_case_ids().len());
    assert_eq!(&with[517..], &extra_case_ids()[..]);
}
