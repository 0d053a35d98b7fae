//! The `ws-check` binary through its interface: arguments, reports,
//! summary line and exit status.

mod broken;
mod common;

use std::process::{Command, Output};

fn ws_check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ws-check"))
        .args(args)
        .output()
        .unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ws-check-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_passing_run_writes_autobahns_index_and_exits_0() {
    let addr = common::start_ws_server();
    let out = temp_dir("pass");
    let url = format!("ws://{addr}/echo");
    let o = ws_check(&[
        "server",
        &url,
        "--cases",
        "1.1.*,2.1",
        "--out",
        out.to_str().unwrap(),
        "--agent",
        "my agent",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("9 passed, 0 failed"));
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    let case = &index["my agent"]["2.1"];
    assert_eq!(case["behavior"], "OK");
    assert_eq!(case["behaviorClose"], "OK");
    assert_eq!(case["remoteCloseCode"], 1000);
    assert!(case["duration"].is_u64());
    let report = case["reportfile"].as_str().unwrap();
    assert!(out.join(report).exists(), "{report}");
    let page = std::fs::read_to_string(out.join("index.md")).unwrap();
    assert!(page.contains("| OK | OK |"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_run_exits_1() {
    let addr = broken::start(broken::Flaw::NoPong).await;
    let out = temp_dir("fail");
    let url = format!("ws://{addr}/");
    let o = tokio::task::spawn_blocking(move || {
        ws_check(&[
            "server",
            &url,
            "--cases",
            "2.1,2.2",
            "--out",
            out.to_str().unwrap(),
        ])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("0 passed, 2 failed"));
}

#[test]
fn a_run_that_cannot_be_made_exits_2_with_the_reason() {
    let o = ws_check(&["server", "ws://127.0.0.1:9/", "--cases", "1.x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pattern"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = ws_check(&[
        "server",
        &format!("ws://127.0.0.1:{port}/"),
        "--cases",
        "1.1.1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot reach"));
    let o = ws_check(&["server", "not a url"]);
    assert_eq!(o.status.code(), Some(2));
}
