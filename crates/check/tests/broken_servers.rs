//! The checker fails what Autobahn fails: six echo servers, each correct
//! but for one flaw, and the verdicts Autobahn's rules give them.

mod broken;

use broken::Flaw;
use ws_check::{Report, Suite, Timeouts, Verdict};

async fn check(flaw: Flaw, cases: &str) -> Report {
    let addr = broken::start(flaw).await;
    Suite::new()
        .cases(cases)
        .timeouts(Timeouts::relaxed())
        .run_against_server(&format!("ws://{addr}/"))
        .await
        .unwrap()
}

fn verdicts(report: &Report, id: &str) -> (Verdict, Verdict) {
    let c = report.case(id).unwrap();
    (c.behavior, c.behavior_close)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_ping_fails_the_ping_cases() {
    let r = check(Flaw::NoPong, "1.1.1,2.1,2.10,5.6").await;
    assert_eq!(verdicts(&r, "1.1.1"), (Verdict::Ok, Verdict::Ok));
    for id in ["2.1", "2.10", "5.6"] {
        assert_eq!(verdicts(&r, id), (Verdict::Failed, Verdict::Ok), "{id}");
    }
    assert_eq!(r.summary(false), "1 passed, 3 failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_ignores_rsv_bits_fails_section_3() {
    let r = check(Flaw::EchoesRsv, "1.1.1,3.1,3.5").await;
    assert_eq!(verdicts(&r, "1.1.1"), (Verdict::Ok, Verdict::Ok));
    // It echoes the frame with RSV set: the checker sees the echo (so the
    // events differ from the expected none) and fails the connection
    // itself (so the wrong side closed).
    for id in ["3.1", "3.5"] {
        assert_eq!(verdicts(&r, id), (Verdict::Failed, Verdict::Failed), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_checks_utf8_fails_section_6() {
    let r = check(Flaw::NoUtf8Check, "6.2.3,6.3.1,6.4.1,6.8.1").await;
    assert_eq!(verdicts(&r, "6.2.3"), (Verdict::Ok, Verdict::Ok));
    for id in ["6.3.1", "6.4.1", "6.8.1"] {
        assert_eq!(verdicts(&r, id), (Verdict::Failed, Verdict::Failed), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_checks_utf8_only_at_the_end_is_not_fail_fast() {
    let r = check(Flaw::Utf8AtMessageEnd, "6.3.1,6.4.1,6.4.3").await;
    // Caught, but only when the whole message is there: after both
    // pauses, which Autobahn calls NON-STRICT (a failure with --strict).
    assert_eq!(verdicts(&r, "6.3.1"), (Verdict::Ok, Verdict::Ok));
    for id in ["6.4.1", "6.4.3"] {
        assert_eq!(verdicts(&r, id), (Verdict::NonStrict, Verdict::Ok), "{id}");
    }
    assert_eq!((r.failed(false), r.failed(true)), (0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_answers_close_with_the_wrong_code_fails_the_close_cases() {
    let r = check(Flaw::WrongCloseCode, "1.1.1,7.1.1,7.7.1").await;
    assert_eq!(verdicts(&r, "1.1.1"), (Verdict::Ok, Verdict::WrongCode));
    // Section 7 turns a wrong code into a failed case.
    assert_eq!(verdicts(&r, "7.1.1"), (Verdict::Failed, Verdict::WrongCode));
    assert_eq!(verdicts(&r, "7.7.1"), (Verdict::Failed, Verdict::WrongCode));
    assert_eq!(r.failed(false), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_drops_tcp_instead_of_closing_is_unclean() {
    let r = check(Flaw::DropsOnClose, "1.1.1,7.3.1").await;
    assert_eq!(verdicts(&r, "1.1.1"), (Verdict::Ok, Verdict::Unclean));
    assert_eq!(verdicts(&r, "7.3.1"), (Verdict::Ok, Verdict::Unclean));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_permessage_deflate_gets_unimplemented() {
    let r = check(Flaw::NoPong, "12.1.1,13.7.1").await;
    for id in ["12.1.1", "13.7.1"] {
        assert_eq!(
            verdicts(&r, id),
            (Verdict::Unimplemented, Verdict::Ok),
            "{id}"
        );
    }
    assert_eq!(r.failed(true), 0);
}
