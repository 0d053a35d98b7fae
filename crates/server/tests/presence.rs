//! Batched presence in large rooms (docs/chat.md, "Presence in large
//! rooms"), checked against the real binary with a small threshold: above
//! it, `presence` diffs applied to a `welcome`'s list give exactly the
//! room's members; at or below it, `join` and `leave` are as they were;
//! bad values of the options are refused with exit status 2.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::Server;
use common::chat::{Ws, join, next, say, users};
use serde_json::Value;

/// A member's view of the room: its `welcome`'s list, then every `join`,
/// `leave` and `presence` applied to it.
struct View {
    names: BTreeSet<String>,
}

impl View {
    fn of(welcome: &Value) -> Self {
        Self {
            names: users(welcome).into_iter().map(String::from).collect(),
        }
    }

    /// Applies `event` if it is about presence; returns its type and, for
    /// a `join` or `leave`, the name (`"join b"`).
    fn apply(&mut self, event: &Value) -> String {
        let kind = event["type"].as_str().expect("a type").to_owned();
        let names = |key: &str| -> Vec<String> {
            event[key]
                .as_array()
                .unwrap_or_else(|| panic!("{key} in {event}"))
                .iter()
                .map(|n| n.as_str().expect("a name").to_owned())
                .collect()
        };
        match kind.as_str() {
            "join" => {
                self.names
                    .insert(event["name"].as_str().unwrap().to_owned());
            }
            "leave" => {
                self.names.remove(event["name"].as_str().unwrap());
            }
            "presence" => {
                for name in names("joins") {
                    self.names.insert(name);
                }
                for name in names("leaves") {
                    self.names.remove(&name);
                }
            }
            _ => {}
        }
        match event["name"].as_str() {
            Some(name) if kind == "join" || kind == "leave" => format!("{kind} {name}"),
            _ => kind,
        }
    }

    /// Reads and applies events up to this member's own message `marker`
    /// (said after every change, so every change is before it); returns the
    /// types seen.
    async fn until(&mut self, ws: &mut Ws, marker: &str) -> Vec<String> {
        let mut kinds = Vec::new();
        loop {
            let event = next(ws).await;
            if event["type"] == "message" && event["text"] == marker {
                return kinds;
            }
            kinds.push(self.apply(&event));
        }
    }
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[tokio::test]
async fn above_the_threshold_presence_diffs_give_exactly_the_members() {
    // Batches above 3 members, every 200 ms: long enough that joins land
    // in the same interval as a later `welcome`.
    let server = Server::start(&[
        "--presence-batch-above",
        "3",
        "--presence-interval-ms",
        "200",
    ]);
    let (mut a, welcome_a) = join(&server, "big", Some("a")).await;
    let mut view_a = View::of(&welcome_a);
    let mut members = Vec::new();
    for name in ["b", "c", "d", "e", "f"] {
        members.push(join(&server, "big", Some(name)).await);
    }
    // "g" joins mid-interval (its welcome lists whoever is in), then two
    // members that were in its welcome leave, and "h" joins and leaves.
    let (mut g, welcome_g) = join(&server, "big", Some("g")).await;
    let mut view_g = View::of(&welcome_g);
    let (b, _) = members.remove(0);
    drop(b);
    let (c, _) = members.remove(0);
    drop(c);
    let (h, _) = join(&server, "big", Some("h")).await;
    drop(h);
    // The last changes are in a diff that comes within an interval; a
    // message said after it (and after the flush) closes the reading. The
    // room stays above 3 members throughout, so `presence` comes.
    let expected = set(&["a", "d", "e", "f", "g"]);
    let mut kinds = BTreeSet::new();
    for _ in 0..50 {
        say(&mut a, "mark").await;
        kinds.extend(view_a.until(&mut a, "mark").await);
        if view_a.names == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(view_a.names, expected);
    assert!(kinds.contains("presence"), "{kinds:?}");
    // Up to 3 members, `join` as always; from the 4th on, `presence` only.
    let joins: Vec<&String> = kinds.iter().filter(|k| k.starts_with("join")).collect();
    assert_eq!(joins, ["join b", "join c"], "{kinds:?}");
    assert!(!kinds.iter().any(|k| k.starts_with("leave")), "{kinds:?}");
    for _ in 0..50 {
        say(&mut g, "mark-g").await;
        view_g.until(&mut g, "mark-g").await;
        if view_g.names == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(view_g.names, expected, "the mid-interval joiner converges");
}

#[tokio::test]
async fn at_or_below_the_threshold_join_and_leave_are_unchanged() {
    let server = Server::start(&["--presence-batch-above", "3"]);
    let (mut a, _) = join(&server, "small", Some("a")).await;
    let (b, _) = join(&server, "small", Some("b")).await;
    let (_c, _) = join(&server, "small", Some("c")).await;
    drop(b);
    // Everything up to b's `leave` (a closed socket's leave comes when
    // the server sees the close, so the read waits for it).
    let events: Vec<Value> = {
        let mut events = Vec::new();
        loop {
            let event = next(&mut a).await;
            let done = event["type"] == "leave";
            events.push(event);
            if done {
                break events;
            }
        }
    };
    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let want =
        [("join", "b"), ("join", "c"), ("leave", "b")].map(|(t, n)| (t.to_owned(), n.to_owned()));
    assert_eq!(seen, want);
    assert_eq!(events[0]["room"], "small");
}

#[test]
fn bad_presence_options_exit_2_naming_the_option() {
    for args in [
        ["--presence-batch-above", "many"],
        ["--presence-batch-above", "1.5"],
        ["--presence-interval-ms", "0"],
        ["--presence-interval-ms", "x"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ws-server"))
            .args(args)
            .output()
            .expect("run ws-server");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
