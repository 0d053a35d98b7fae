//! The minimal chat protocol every peer broadcast server speaks, so that
//! `ws-bench fanout` can load a peer exactly as it loads our `/chat/{room}`:
//!
//! ```text
//!  GET /chat/{room}?name=N   upgrade        (another path: 404)
//!  server → member           {"type":"welcome","room":R,"name":N}
//!  member → server           {"type":"message","text":T}
//!  server → every member     {"type":"message","room":R,"from":N,"text":T,"ts":MS}
//!                            (the sender too, one serialization for all)
//! ```
//!
//! What our chat does beyond this (presence `join`/`leave`, the `users`
//! list in `welcome`, rate limits, history) the peers leave out: the
//! comparison measures moving one frame to many sockets, and
//! docs/benchmarks.md says so next to the room fill times.
//!
//! The Rust peers share this module so that parsing and serializing cost
//! them the same; the Python and Node peers (`crates/bench/peers/`) do the
//! same steps with their runtime's own JSON.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Outbound frames a member may have queued before it is a slow consumer
/// and is dropped (our chat: 2048 frames or 512 KiB, whichever first).
pub const QUEUE_FRAMES: usize = 2048;

/// Who joined which room, from the request target `/chat/{room}?name=N`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The room (1–64 characters of `[A-Za-z0-9_-]`, as ours accepts).
    pub room: String,
    /// The `name` query parameter as sent (the generator sends `m{i}`),
    /// or `guest` when there is none.
    pub name: String,
}

impl Member {
    /// Reads a request target; `None` for anything but a valid
    /// `/chat/{room}` (the peers answer 404 then).
    pub fn from_target(path: &str, query: Option<&str>) -> Option<Self> {
        let room = path.strip_prefix("/chat/")?;
        let valid = (1..=64).contains(&room.len())
            && room
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return None;
        }
        let name = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|kv| kv.strip_prefix("name="))
            .filter(|n| !n.is_empty())
            .unwrap_or("guest");
        Some(Self {
            room: room.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The `welcome` frame, the first the member gets.
    pub fn welcome(&self) -> String {
        // Written by hand, `type` first and compact, as our chat writes it:
        // `ws-bench fanout` tells frames apart by their first bytes, and
        // serde_json's `json!` would sort the keys.
        format!(
            r#"{{"type":"welcome","room":{},"name":{}}}"#,
            Value::from(self.room.as_str()),
            Value::from(self.name.as_str())
        )
    }

    /// The room frame for a text frame this member sent, or `None` if it
    /// is not a `message` command with a string `text` (ours would answer
    /// `bad_request`; the peers ignore it).
    pub fn relay(&self, frame: &str) -> Option<String> {
        let command: Value = serde_json::from_str(frame).ok()?;
        if command.get("type")?.as_str()? != "message" {
            return None;
        }
        let text = command.get("text")?.as_str()?;
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Some(format!(
            r#"{{"type":"message","room":{},"from":{},"text":{},"ts":{ts}}}"#,
            Value::from(self.room.as_str()),
            Value::from(self.name.as_str()),
            Value::from(text)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_room_and_name() {
        let m = Member::from_target("/chat/bench", Some("x=1&name=m7")).unwrap();
        assert_eq!((m.room.as_str(), m.name.as_str()), ("bench", "m7"));
        let guest = Member::from_target("/chat/a-b_C", None).unwrap();
        assert_eq!(guest.name, "guest");
        assert_eq!(Member::from_target("/chat/", None), None);
        assert_eq!(Member::from_target("/chat/a/b", None), None);
        assert_eq!(Member::from_target("/echo", None), None);
    }

    #[test]
    fn relays_messages_only() {
        let m = Member::from_target("/chat/r", Some("name=ann")).unwrap();
        let out: Value =
            serde_json::from_str(&m.relay(r#"{"type":"message","text":"3:12345"}"#).unwrap())
                .unwrap();
        assert_eq!(out["type"], "message");
        assert_eq!(out["room"], "r");
        assert_eq!(out["from"], "ann");
        assert_eq!(out["text"], "3:12345");
        assert!(out["ts"].as_u64().unwrap() > 0);
        assert_eq!(m.relay(r#"{"type":"who"}"#), None);
        assert_eq!(m.relay(r#"{"type":"message","text":5}"#), None);
        assert_eq!(m.relay("not json"), None);
        let welcome: Value = serde_json::from_str(&m.welcome()).unwrap();
        assert_eq!(welcome["type"], "welcome");
    }
}
