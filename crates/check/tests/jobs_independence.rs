//! ws-check's verdicts do not depend on how many cases run at once: the
//! same cases against ws-server's /echo, one at a time and sixteen at
//! once, give every case the same `behavior` and `behaviorClose`.

mod common;

use std::collections::BTreeMap;

use ws_check::{Suite, Timeouts, Verdict};

/// Sections 1 to 7 without the slow ones, but with the cases whose
/// verdicts are about when the peer reacts: the fail-fast UTF-8 cases
/// 6.4.x, 5.19 and 5.20 (pauses between fragments) and the closing
/// handshake of section 7 (who drops TCP first, and when).
const CASES: &str = "1.1.*,2.*,3.*,4.*,5.*,6.3.*,6.4.*,7.*";

/// Autobahn's own timers (the pauses of 6.4.x and 5.19/5.20 are one
/// second), so that the serial run stays short; the waits for a peer's
/// answer are the relaxed ones, so that a loaded machine does not turn a
/// late answer into a different verdict.
fn timeouts() -> Timeouts {
    Timeouts {
        scale: 1,
        ..Timeouts::relaxed()
    }
}

async fn verdicts(url: &str, jobs: usize) -> BTreeMap<String, (Verdict, Verdict)> {
    let report = Suite::new()
        .cases(CASES)
        .jobs(jobs)
        .timeouts(timeouts())
        .run_against_server(url)
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for c in report.cases {
        let previous = out.insert(c.id.clone(), (c.behavior, c.behavior_close));
        assert!(previous.is_none(), "jobs {jobs}: {} reported twice", c.id);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_are_the_same_with_one_job_and_with_sixteen() {
    let addr = common::start_ws_server();
    let url = format!("ws://{addr}/echo");
    // One run after the other, so that neither competes with the other
    // for the server.
    let serial = verdicts(&url, 1).await;
    let parallel = verdicts(&url, 16).await;

    let serial_ids: Vec<&String> = serial.keys().collect();
    let parallel_ids: Vec<&String> = parallel.keys().collect();
    assert_eq!(serial_ids, parallel_ids, "the runs chose different cases");
    for id in ["5.19", "5.20", "6.4.1", "6.4.2", "6.4.3", "6.4.4", "7.1.6"] {
        assert!(serial.contains_key(id), "{id} is not in the subset");
    }

    let differences: Vec<String> = serial
        .iter()
        .filter(|(id, v)| parallel[*id] != **v)
        .map(|(id, (b, c))| {
            let (pb, pc) = parallel[id];
            format!("{id}: jobs 1 {b}/{c}, jobs 16 {pb}/{pc}")
        })
        .collect();
    assert!(differences.is_empty(), "{differences:#?}");
}
