//! The rooms' behaviour, without sockets: joins, names, fan-out, slow
//! consumers.

use std::future::Future;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::history::Limits;
use super::names::MAX_NAME_CHARS;
use super::protocol::ErrorCode;
use super::queue::{Outbox, QUEUE_BYTES, QUEUE_CAPACITY};
use super::registry::Rooms;
use super::resume::Resume;
use crate::metrics::Metrics;

/// A registry without Redis, and the counters it writes.
fn rooms() -> (Rooms, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    (
        Rooms::new(Arc::clone(&metrics), None, Limits::default(), None),
        metrics,
    )
}

/// A join without `since`, with the default backlog.
const FRESH: Resume = Resume {
    since: None,
    epoch: None,
    backlog: None,
};

fn next(outbox: &mut Outbox) -> serde_json::Value {
    let frame = outbox.try_recv().expect("a queued frame");
    serde_json::from_str(frame.as_str()).unwrap()
}

fn empty(outbox: &mut Outbox) -> bool {
    outbox.try_recv().is_none()
}

#[test]
fn names_are_unique_and_guests_numbered() {
    let (rooms, _) = rooms();
    let a = rooms.join("r", Some("ann"), &FRESH, false);
    let b = rooms.join("r", Some("ann"), &FRESH, false);
    let c = rooms.join("r", Some("ann"), &FRESH, false);
    let g = rooms.join("r", None, &FRESH, false);
    let elsewhere = rooms.join("s", Some("ann"), &FRESH, false);
    assert_eq!(a.membership.name(), "ann");
    assert_eq!(b.membership.name(), "ann-2");
    assert_eq!(c.membership.name(), "ann-3");
    assert_eq!(g.membership.name(), "guest-1");
    assert_eq!(elsewhere.membership.name(), "ann");
    let long = "x".repeat(MAX_NAME_CHARS);
    let l1 = rooms.join("r", Some(&long), &FRESH, false);
    let l2 = rooms.join("r", Some(&long), &FRESH, false);
    assert_eq!(l1.membership.name(), long);
    assert_eq!(l2.membership.name().chars().count(), MAX_NAME_CHARS);
    assert!(l2.membership.name().ends_with("-2"));
}

#[test]
fn welcome_first_then_join_leave_to_the_others() {
    let (rooms, m) = rooms();
    let mut a = rooms.join("r", Some("ann"), &FRESH, false);
    let welcome = next(&mut a.outbox);
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["users"], serde_json::json!(["ann"]));
    let mut b = rooms.join("r", Some("bob"), &FRESH, false);
    assert_eq!(
        next(&mut b.outbox)["users"],
        serde_json::json!(["ann", "bob"])
    );
    assert_eq!(
        next(&mut a.outbox),
        serde_json::json!({"type": "join", "room": "r", "name": "bob"})
    );
    assert!(empty(&mut b.outbox), "no join for oneself");
    b.membership.leave(&rooms);
    assert_eq!(
        next(&mut a.outbox),
        serde_json::json!({"type": "leave", "room": "r", "name": "bob"})
    );
    assert_eq!(rooms.len(), 1);
    a.membership.leave(&rooms);
    assert_eq!(rooms.len(), 0, "the last one out removes the room");
    assert_eq!(m.chat_rooms.load(Relaxed), 0);
    assert_eq!(m.chat_members.load(Relaxed), 0);
}

#[test]
fn messages_and_directs() {
    let (rooms, _) = rooms();
    let mut a = rooms.join("r", Some("ann"), &FRESH, false);
    let mut b = rooms.join("r", Some("bob"), &FRESH, false);
    let mut c = rooms.join("r", Some("cy"), &FRESH, false);
    for o in [&mut a.outbox, &mut b.outbox, &mut c.outbox] {
        while !empty(o) {}
    }
    a.membership.say("hi", None);
    for o in [&mut a.outbox, &mut b.outbox, &mut c.outbox] {
        let msg = next(o);
        assert_eq!(msg["type"], "message");
        assert_eq!(msg["from"], "ann");
        assert_eq!(msg["text"], "hi");
        assert!(msg["ts"].is_u64());
    }
    a.membership.direct("bob", "psst").unwrap();
    assert_eq!(next(&mut b.outbox)["type"], "direct");
    assert_eq!(next(&mut a.outbox)["to"], "bob");
    assert!(empty(&mut c.outbox));
    let refusal = a.membership.direct("nobody", "x").unwrap_err();
    assert_eq!(refusal.code, ErrorCode::UnknownUser);
    a.membership.who();
    assert_eq!(
        next(&mut a.outbox)["users"],
        serde_json::json!(["ann", "bob", "cy"])
    );
}

#[test]
fn a_full_queue_is_dropped_and_kicked() {
    let (rooms, m) = rooms();
    let mut fast = rooms.join("r", Some("fast"), &FRESH, false);
    let slow = rooms.join("r", Some("slow"), &FRESH, false);
    let mut seen = Vec::new();
    for _ in 0..=QUEUE_CAPACITY {
        fast.membership.say("x", None);
        seen.extend(std::iter::from_fn(|| fast.outbox.try_recv()));
    }
    // The slow member's queue (QUEUE_CAPACITY messages; its welcome is
    // not in the bounded queue) was full.
    assert_eq!(m.chat_slow_consumers.load(Relaxed), 1);
    let leave = r#"{"type":"leave","room":"r","name":"slow"}"#;
    assert_eq!(seen.iter().filter(|f| f.as_str() == leave).count(), 1);
    // The kick is stored for the session to pick up.
    let mut kicked = std::pin::pin!(slow.kicked.notified());
    let waker = std::task::Waker::noop();
    assert!(
        kicked
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker))
            .is_ready()
    );
    // Leaving after being dropped changes nothing.
    slow.membership.leave(&rooms);
    assert_eq!(m.chat_members.load(Relaxed), 1);
}

#[test]
fn a_queue_full_of_bytes_is_slow_too() {
    let (rooms, m) = rooms();
    let mut fast = rooms.join("r", Some("fast"), &FRESH, false);
    let _slow = rooms.join("r", Some("slow"), &FRESH, false);
    let text = "x".repeat(4000);
    let mut said = 0;
    while m.chat_slow_consumers.load(Relaxed) == 0 {
        fast.membership.say(&text, None);
        while fast.outbox.try_recv().is_some() {}
        said += 1;
        assert!(
            said < QUEUE_CAPACITY,
            "dropped by bytes, long before the count"
        );
    }
    assert!(said * 4000 > QUEUE_BYTES * 9 / 10, "{said}");
}

#[test]
fn a_newcomer_hears_of_a_slow_member_dropped_by_its_join() {
    let (rooms, m) = rooms();
    let mut fast = rooms.join("r", Some("fast"), &FRESH, false);
    let _slow = rooms.join("r", Some("slow"), &FRESH, false);
    // Fill the slow member's queue.
    for _ in 0..QUEUE_CAPACITY {
        fast.membership.say("x", None);
        while fast.outbox.try_recv().is_some() {}
    }
    assert_eq!(m.chat_slow_consumers.load(Relaxed), 0);
    let no_backlog = Resume {
        backlog: Some(0),
        ..FRESH
    };
    let mut new = rooms.join("r", Some("new"), &no_backlog, false);
    assert_eq!(m.chat_slow_consumers.load(Relaxed), 1);
    let welcome = next(&mut new.outbox);
    assert_eq!(welcome["users"], serde_json::json!(["fast", "slow", "new"]));
    assert_eq!(
        next(&mut new.outbox),
        serde_json::json!({"type": "leave", "room": "r", "name": "slow"})
    );
}

#[test]
fn ids_are_acknowledged_and_a_room_with_history_outlives_its_members() {
    let (rooms, m) = rooms();
    let mut a = rooms.join("r", Some("ann"), &FRESH, false);
    assert_eq!(next(&mut a.outbox)["type"], "welcome");
    a.membership.say("hi", Some("x"));
    let message = next(&mut a.outbox);
    assert_eq!((&message["seq"], &message["id"]), (&1.into(), &"x".into()));
    assert_eq!(
        next(&mut a.outbox),
        serde_json::json!({"type": "ack", "id": "x", "seq": 1})
    );
    a.membership.say("hi", Some("x"));
    assert_eq!(next(&mut a.outbox)["type"], "ack", "only the ack");
    assert!(empty(&mut a.outbox));
    assert_eq!(m.chat_deduplicated.load(Relaxed), 1);
    a.membership.leave(&rooms);
    assert_eq!(rooms.len(), 1, "kept for its history");
    rooms.reap(std::time::Instant::now());
    assert_eq!(rooms.len(), 1, "not expired yet");
    rooms.reap(std::time::Instant::now() + Limits::default().ttl);
    assert_eq!(rooms.len(), 0, "reaped once its history expired");
    assert_eq!(m.chat_rooms.load(Relaxed), 0);
}

#[test]
fn a_slow_connection_of_a_member_is_dropped_alone() {
    let (rooms, m) = rooms();
    let mut other = rooms.join("r", Some("bob"), &FRESH, false);
    let mut tab1 = rooms.join("r", Some("ann"), &FRESH, true);
    let tab2 = rooms.join("r", Some("ann"), &FRESH, true);
    assert_eq!(tab1.membership.name(), "ann");
    assert_eq!(tab2.membership.name(), "ann", "never ann-2");
    assert_eq!(
        m.chat_members.load(Relaxed),
        2,
        "one member, two connections"
    );
    // tab2 never reads: it alone is dropped, ann stays.
    for _ in 0..=QUEUE_CAPACITY {
        other.membership.say("x", None);
        while other.outbox.try_recv().is_some() {}
        while tab1.outbox.try_recv().is_some() {}
    }
    assert_eq!(m.chat_slow_consumers.load(Relaxed), 1);
    assert!(tab1.membership.is_current());
    assert!(!tab2.membership.is_current());
    assert_eq!(m.chat_members.load(Relaxed), 2);
    // Its last connection gone, ann leaves.
    tab1.membership.leave(&rooms);
    let leave = r#"{"type":"leave","room":"r","name":"ann"}"#;
    assert!(std::iter::from_fn(|| other.outbox.try_recv()).any(|f| f.as_str() == leave));
    assert_eq!(m.chat_members.load(Relaxed), 1);
}

#[test]
fn the_users_lists_keep_the_join_order_through_leaves_and_returns() {
    let (rooms, _) = rooms();
    let names = ["zed", "amy", "mo", "kai", "bea", "lu"];
    let mut joined: Vec<_> = names
        .iter()
        .map(|n| rooms.join("r", Some(n), &FRESH, false))
        .collect();
    // "mo" and "bea" leave, "mo" comes back: last in the order now.
    let bea = joined.remove(4);
    bea.membership.leave(&rooms);
    let mo = joined.remove(2);
    mo.membership.leave(&rooms);
    let mut back = rooms.join("r", Some("mo"), &FRESH, false);
    let welcome = next(&mut back.outbox);
    let order = serde_json::json!(["zed", "amy", "kai", "lu", "mo"]);
    assert_eq!(welcome["users"], order);
    let first = &mut joined[0];
    while !empty(&mut first.outbox) {}
    first.membership.who();
    assert_eq!(next(&mut first.outbox)["users"], order);
}
