//! Every way a connection can fail to come about has its own exit status
//! and a message that says what went wrong (`ws-client --help`, EXIT
//! STATUS; docs/server-interface.md §9).

mod common;

use std::net::TcpListener;

use common::*;

#[test]
fn a_name_that_does_not_resolve_exits_3() {
    let out = run_client(&["ws://no-such-host.invalid/"], b"");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains("cannot resolve \"no-such-host.invalid\""),
        "{err}"
    );
}

#[test]
fn a_refused_connection_exits_4() {
    // A port that was free a moment ago: nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run_client(&[&format!("ws://127.0.0.1:{port}/")], b"");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("connection refused"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[test]
fn an_untrusted_certificate_exits_5_and_says_unknown_issuer() {
    let certs = certs("unknown-issuer", &["localhost"], false);
    let addr = start_tls_server(&certs);
    // No --ca: the private CA is not among the web roots.
    let out = run_client(&[&format!("wss://localhost:{}/echo", addr.port())], b"hi\n");
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("unknown issuer"), "{err}");
    assert!(err.contains("issued for localhost"), "{err}");
    assert!(err.contains(&format!("localhost:{}", addr.port())), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_certificate_for_another_name_exits_5_and_names_both() {
    let certs = certs("name-mismatch", &["example.invalid"], false);
    let addr = start_tls_server(&certs);
    let out = run_client(
        &[
            &format!("wss://localhost:{}/echo", addr.port()),
            "--ca",
            certs.ca.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("name mismatch"), "{err}");
    assert!(err.contains("issued for example.invalid"), "{err}");
    assert!(err.contains("example.invalid"), "{err}");
}

#[test]
fn an_expired_certificate_exits_5_and_says_expired() {
    let certs = certs("expired", &["localhost"], true);
    let addr = start_tls_server(&certs);
    let out = run_client(
        &[
            &format!("wss://localhost:{}/echo", addr.port()),
            "--ca",
            certs.ca.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains("it expired") && err.contains("days ago"),
        "{err}"
    );
    assert!(err.contains("issued for localhost"), "{err}");
}

#[test]
fn the_trusted_ca_connects_over_wss() {
    let certs = certs("trusted", &["localhost"], false);
    let addr = start_tls_server(&certs);
    let out = run_client(
        &[
            &format!("wss://localhost:{}/echo", addr.port()),
            "--ca",
            certs.ca.to_str().unwrap(),
        ],
        b"over tls\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "over tls\n");
}

#[test]
fn insecure_skips_the_certificate_check_with_a_warning() {
    let certs = certs("insecure", &["localhost"], false);
    let addr = start_tls_server(&certs);
    let out = run_client(
        &[
            &format!("wss://localhost:{}/echo", addr.port()),
            "--insecure",
        ],
        b"unchecked\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "unchecked\n");
    assert!(
        stderr(&out).contains("warning: --insecure"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_upgrade_exits_6_with_the_status_line_and_the_body() {
    let addr = start_server(&[]);
    let out = run_client(&[&format!("ws://{addr}/nowhere")], b"");
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    let err = stderr(&out);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("HTTP/1.1 404"), "{err}");
    assert!(err.contains("its answer says"), "{err}");
}

#[test]
fn a_server_that_never_answers_exits_7_after_the_timeout() {
    // The kernel completes the TCP handshake from the backlog; nobody
    // ever reads the upgrade request.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let out = run_client(&[&format!("ws://{addr}/"), "--timeout", "1"], b"");
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("within 1 s"), "{err}");
    drop(listener);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--no-such-option", "ws://127.0.0.1:1/"][..],
        &["http://127.0.0.1:1/"],
        &["ws://127.0.0.1:1/", "--header", "no colon"],
        &["ws://127.0.0.1:1/", "--ca", "/nonexistent/ca.pem"],
        &["--listen", "127.0.0.1:0", "--once"],
        &["--listen", "127.0.0.1:0", "ws://127.0.0.1:1/"],
        &[],
    ] {
        let out = run_client(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_lists_every_exit_status() {
    let out = run_client(&["--help"], b"");
    assert!(out.status.success());
    let help = stdout(&out);
    assert!(help.contains("EXIT STATUS"), "{help}");
    for status in 0..=7 {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{status}  "))),
            "{status} missing: {help}"
        );
    }
}
