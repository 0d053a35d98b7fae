//! What the nodes write into Redis: key names, presence entries, and the
//! events on a room's channel.
//!
//! | key or channel | what it holds |
//! |---|---|
//! | `ws:chat:{room}` | the room's channel: one message per event |
//! | `ws:room:{room}:seq` | the room's counter: the last event's number |
//! | `ws:room:{room}:members` | hash `name → "seq node:conn …"`: the member's `join` number, then each of its connections on every node |
//! | `ws:node:{id}` | a node's presence, with the TTL |
//! | `ws:room:{room}:history` | stream of the kept messages, ID `seq-0` (`history.lua`) |
//! | `ws:room:{room}:history-meta` | hash: `epoch`, `last` message seq, `bytes` kept |
//! | `ws:room:{room}:ids` | hash `id → seq` of the kept messages sent with one |
//!
//! An event on a channel is `seq\nkind\nnode\nto\nfrom\nframe`: its number,
//! `J`, `L`, `M` or `D`, the node it came from (`-` for a `leave` of a
//! vanished node's member, published by `reap.lua`), the target of a
//! `direct`, the member it is about, and the JSON frame. Names hold no
//! control characters and JSON frames no raw newline, so the fields split
//! on `\n`. A `leave` carries no frame: the receiving node builds it, so
//! that the `leave` JSON has one author whichever node or script
//! published it.

use super::super::protocol::Event;
use super::super::remote::{RemoteEvent, Target};

/// Every room's channel: `ws:chat:{room}`.
pub(crate) const CHANNELS: &str = "ws:chat:*";
/// Before the room's name in its channel.
const CHANNEL_PREFIX: &str = "ws:chat:";
/// Node keys: `ws:node:{id}`, with the presence TTL.
pub(crate) const NODE_PREFIX: &str = "ws:node:";

/// The channel of `room`.
pub(crate) fn channel(room: &str) -> String {
    format!("{CHANNEL_PREFIX}{room}")
}

/// The room of a channel, if it is one of the rooms'.
pub(crate) fn room_of_channel(channel: &str) -> Option<&str> {
    channel.strip_prefix(CHANNEL_PREFIX)
}

/// The counter of `room`.
pub(crate) fn seq_key(room: &str) -> String {
    format!("ws:room:{room}:seq")
}

/// The keys of `room`'s history: its meta hash, its stream, its ids.
pub(crate) fn history_keys(room: &str) -> [String; 3] {
    [
        format!("ws:room:{room}:history-meta"),
        format!("ws:room:{room}:history"),
        format!("ws:room:{room}:ids"),
    ]
}

/// The presence hash of `room`.
pub(crate) fn members_key(room: &str) -> String {
    format!("ws:room:{room}:members")
}

/// The presence key of `node`.
pub(crate) fn node_key(node: &str) -> String {
    format!("{NODE_PREFIX}{node}")
}

/// A connection's holder in a presence entry: `"node:conn"`.
pub(crate) fn holder(node: &str, conn: u64) -> String {
    format!("{node}:{conn}")
}

/// The kinds of event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Join,
    Leave,
    Message,
    Direct,
    /// `DELETE /api/rooms/{room}/users/{to}`: every node removes its
    /// connections of `to` (nothing is delivered).
    Remove,
}

impl Kind {
    const fn letter(self) -> &'static str {
        match self {
            Self::Join => "J",
            Self::Leave => "L",
            Self::Message => "M",
            Self::Direct => "D",
            Self::Remove => "R",
        }
    }

    fn parse(letter: &str) -> Option<Self> {
        [
            Self::Join,
            Self::Leave,
            Self::Message,
            Self::Direct,
            Self::Remove,
        ]
        .into_iter()
        .find(|kind| kind.letter() == letter)
    }
}

/// An event as published, without its number (the script prepends it):
/// `kind\nnode\nto\nfrom\nframe`. `to` is empty but for a `direct`.
pub(crate) fn event(kind: Kind, node: &str, to: &str, from: &str, frame: &str) -> String {
    format!("{}\n{node}\n{to}\n{from}\n{frame}", kind.letter())
}

/// An event received from a room's channel.
#[derive(Debug)]
pub(crate) struct Received<'a> {
    pub(crate) kind: Kind,
    /// The node it came from (`-`: a vanished node's member, reaped).
    pub(crate) origin: &'a str,
    /// What this node's members get.
    pub(crate) event: RemoteEvent,
}

/// Parses an event of `room`'s channel, as received by `node`.
pub(crate) fn parse<'a>(node: &str, room: &str, payload: &'a str) -> Option<Received<'a>> {
    let mut parts = payload.splitn(6, '\n');
    let seq = parts.next()?.parse().ok()?;
    let kind = Kind::parse(parts.next()?)?;
    let origin = parts.next()?;
    let to = parts.next()?;
    let from = parts.next()?;
    let frame = parts.next()?;
    let target = if matches!(kind, Kind::Direct | Kind::Remove) {
        Target::Direct {
            to: to.into(),
            from: from.into(),
            here: origin == node,
        }
    } else {
        Target::All
    };
    let frame = if kind == Kind::Leave {
        Event::Leave { room, name: from }.encode()
    } else {
        frame.into()
    };
    let event = RemoteEvent { seq, target, frame };
    Some(Received {
        kind,
        origin,
        event,
    })
}

/// The names of a `name, "seq node:conn …", …` list in join order.
pub(crate) fn join_order(live: &[String]) -> Vec<&str> {
    let mut users: Vec<(&str, u64)> = live
        .chunks_exact(2)
        .map(|pair| {
            let seq = pair[1]
                .split(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            (pair[0].as_str(), seq)
        })
        .collect();
    users.sort_by_key(|&(name, seq)| (seq, name));
    users.into_iter().map(|(name, _)| name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse() {
        let direct = parse("me", "r", "7\nD\nme\nbob\nann\n{\"type\":\"direct\"}").unwrap();
        assert_eq!(
            (direct.event.seq, direct.kind, direct.origin),
            (7, Kind::Direct, "me")
        );
        assert!(
            matches!(direct.event.target, Target::Direct { ref to, ref from, here: true } if &**to == "bob" && &**from == "ann")
        );
        assert_eq!(direct.event.frame.as_str(), "{\"type\":\"direct\"}");
        let other = parse("me", "r", "8\nD\nother\nbob\nann\n{}").unwrap();
        assert!(matches!(
            other.event.target,
            Target::Direct { here: false, .. }
        ));
        // The copy reaches the sender's other connections on this node
        // only if it is the same member (a token's `sub`).
        assert!(other.event.target.includes("ann", true));
        assert!(!other.event.target.includes("ann", false));
        assert!(other.event.target.includes("bob", false));
        let message = parse("me", "r", "9\nM\nx\n\nann\n{\"a\":\"b\\nc\"}").unwrap();
        assert_eq!(message.kind, Kind::Message);
        assert!(matches!(message.event.target, Target::All));
        assert!(parse("me", "r", "x\nM\n").is_none());
        assert!(parse("me", "r", "1\nQ\nx\n\nann\n{}").is_none());
    }

    #[test]
    fn a_leave_is_built_by_the_receiver() {
        let published = format!("3\n{}", event(Kind::Leave, "n", "", "a/b", ""));
        let leave = parse("me", "r", &published).unwrap();
        assert_eq!(
            leave.event.frame.as_str(),
            r#"{"type":"leave","room":"r","name":"a/b"}"#
        );
        let reaped = parse("me", "r", "4\nL\n-\n\nann\n").unwrap();
        assert_eq!(reaped.origin, "-");
        assert_eq!(
            reaped.event.frame.as_str(),
            r#"{"type":"leave","room":"r","name":"ann"}"#
        );
    }

    #[test]
    fn join_order_sorts_by_sequence() {
        let live: Vec<String> = ["bob", "9 n:2", "ann", "3 n:1 m:7", "cy", "0 m:5"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(join_order(&live), ["cy", "ann", "bob"]);
    }
}
