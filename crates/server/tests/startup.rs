//! What ws-server says to the person running it: a start that fails names
//! what failed, the option it came from and the cause, with its own exit
//! status (`docs/server-interface.md` §1); logs carry colour codes only on
//! a terminal, and `--log-format json` writes one JSON object per line.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use common::logs::Logged;

/// Runs the binary to its end (a failing start ends at once).
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ws-server"))
        .args(args)
        .output()
        .expect("run ws-server")
}

/// The exit status and stderr of a start that must fail.
fn refused(args: &[&str]) -> (i32, String) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().expect("an exit status, not a signal");
    assert_ne!(code, 0, "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing is listening, nothing is announced"
    );
    (code, stderr)
}

/// A directory of its own for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ws-server-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A self-signed certificate for `localhost` and its key, as PEM.
fn certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn a_taken_port_names_the_address_and_the_option() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = refused(&["--listen", &addr]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.starts_with("ws-server: cannot listen on "),
        "{stderr}"
    );
    assert!(stderr.contains(&addr), "{stderr}");
    assert!(stderr.contains("--listen"), "{stderr}");
    assert!(stderr.contains("Address already in use"), "{stderr}");
}

#[test]
fn a_missing_certificate_names_the_file_and_the_option() {
    let dir = scratch("missing-cert");
    let (_, key) = certificate();
    std::fs::write(dir.join("key.pem"), key).unwrap();
    let missing = dir.join("missing.pem");
    let (code, stderr) = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        missing.to_str().unwrap(),
        "--tls-key",
        dir.join("key.pem").to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    assert!(stderr.contains("no such file"), "{stderr}");
}

#[test]
fn a_file_without_pem_is_refused_with_the_reason() {
    let dir = scratch("bad-pem");
    let (cert, _) = certificate();
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), "this is not a key\n").unwrap();
    let (code, stderr) = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        dir.join("cert.pem").to_str().unwrap(),
        "--tls-key",
        dir.join("key.pem").to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
    assert!(stderr.contains("no private key in it"), "{stderr}");

    std::fs::write(dir.join("garbage.pem"), "hello\n").unwrap();
    let (code, stderr) = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        dir.join("garbage.pem").to_str().unwrap(),
        "--tls-key",
        dir.join("key.pem").to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    assert!(stderr.contains("no certificate in it"), "{stderr}");
}

#[test]
fn a_key_of_another_certificate_is_refused() {
    let dir = scratch("key-mismatch");
    let (cert, _) = certificate();
    let (_, other_key) = certificate();
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), other_key).unwrap();
    let (code, stderr) = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        dir.join("cert.pem").to_str().unwrap(),
        "--tls-key",
        dir.join("key.pem").to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("the key does not belong to the certificate"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cert.pem") && stderr.contains("key.pem"),
        "{stderr}"
    );
}

#[test]
fn a_redis_url_that_does_not_parse_is_refused_without_its_password() {
    let (code, stderr) = refused(&["--listen", "127.0.0.1:0", "--redis", "http://:hunter2@nope"]);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("--redis"), "{stderr}");
    assert!(stderr.contains("http://***@nope"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_bad_command_line_exits_2_and_help_lists_every_exit_status() {
    let (code, stderr) = refused(&["--listen", "not-an-address"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--listen"), "{stderr}");
    let help = run(&["--help"]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for line in [
        "0  stopped by SIGINT",
        "2  bad command line",
        "3  --listen",
        "4  --tls-cert",
        "5  --redis",
    ] {
        assert!(help.contains(line), "{line:?} missing from --help:\n{help}");
    }
    assert!(help.contains("--log-format"), "{help}");
}

#[test]
fn an_unreachable_redis_is_warned_about_with_its_address_and_the_retry() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let mut server = Logged::start(&["--listen", "127.0.0.1:0", "--redis", &url]);
    let line = server.wait_for("redis unreachable", Duration::from_secs(20));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.contains("retry_in"), "{line}");
}

#[test]
fn a_log_written_to_a_pipe_has_no_colour_codes() {
    // stderr is a pipe here, as under a service manager or `2> file`.
    let mut server = Logged::start(&["--listen", "127.0.0.1:0", "--log", "debug"]);
    server.wait_for("listening", Duration::from_secs(20));
    assert!(
        server.seen.iter().all(|line| !line.contains('\u{1b}')),
        "{:#?}",
        server.seen
    );
}

#[test]
fn log_format_json_writes_one_object_per_line() {
    let mut server = Logged::start(&[
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
        "--log",
        "debug",
    ]);
    let line = server.wait_for("listening", Duration::from_secs(20));
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON object");
    assert_eq!(event["level"], "INFO", "{line}");
    assert!(event["timestamp"].is_string(), "{line}");
    for line in &server.seen {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value.is_object(), "{line}");
    }
}
