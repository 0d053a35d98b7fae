//! The fan-out policy, written once: offer a frame to every recipient,
//! collect the members whose queue is full, and drop them as slow
//! consumers. Every event a room sends, to all or to one, goes through
//! [`Locked::fan_out`].
//!
//! A slow consumer is removed at once, its session is kicked (and closes
//! with 1008), and the others hear its `leave`, which may find more full
//! queues; the room never waits for anyone. With `--redis` the `leave`
//! goes through Redis instead ([`Relay`]), so that every node hears it in
//! the room's order.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use tokio::sync::mpsc;
use ws_tokio::Utf8Bytes;

use super::frame::Frame;
use super::protocol::Event;
use super::queue::Offer;
use super::remote::Target;
use super::room::{Conn, Locked, Member};

/// A connection whose queue was full: dropped once the offer is done.
#[derive(Debug)]
struct Slow {
    name: Arc<str>,
    id: u64,
}

/// Who in the room gets a frame.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Recipients<'a> {
    /// Every member.
    All,
    /// Every member but the one with this id (a `join`, to the others).
    AllBut(u64),
    /// The members of these names that are here, each on all its
    /// connections (a `direct`).
    Named(&'a [&'a str]),
    /// One connection of the member called this (an `ack`, an `error`).
    Conn(&'a str, u64),
    /// The members of `Target` to whom the event numbered `seq` is new
    /// (an event that came through Redis).
    Remote(u64, &'a Target),
}

/// With `--redis`: a slow consumer dropped while Redis is up is not
/// announced locally; its `leave` goes through Redis (to every node, in
/// the room's order) by this channel.
#[derive(Clone, Debug)]
pub(crate) struct Relay {
    /// Whether Redis is usable now (else everything stays local).
    pub(crate) up: Arc<AtomicBool>,
    /// Members dropped as slow consumers, for their `leave`.
    pub(crate) dropped: mpsc::UnboundedSender<Dropped>,
}

/// A connection dropped by this node, as a slow consumer or removed
/// through the API (see [`Relay`]): its holder leaves the member's
/// presence entry, and the member's `leave` goes out if that was its last
/// connection anywhere.
#[derive(Debug)]
pub(crate) struct Dropped {
    pub(crate) room: Arc<str>,
    pub(crate) name: Arc<str>,
    /// The connection's id.
    pub(crate) id: u64,
    /// It was the member's last connection on this node.
    pub(crate) last: bool,
}

impl Locked<'_> {
    // ANCHOR: fan_out
    /// Queues `frame` for each of `to`, then drops the slow ones. Every
    /// recipient gets the same [`Frame`], so it is compressed at most once
    /// per window size, whoever is in the room (see `frame`).
    pub(crate) fn fan_out(&mut self, frame: &Utf8Bytes, to: Recipients<'_>) {
        let mut slow = Vec::new();
        self.offer(&Frame::from(frame.clone()), to, &mut slow);
        self.drop_slow(slow);
    }
    // ANCHOR_END: fan_out

    /// Offers `frame` to each connection of each of `to`; a connection
    /// whose queue is full goes on `slow` (once).
    fn offer(&self, frame: &Frame, to: Recipients<'_>, slow: &mut Vec<Slow>) {
        let members = &self.state.members;
        let mut offer_to = |name: &Arc<str>, conn: &Conn| {
            if conn.inbox.offer(frame, self.room.metrics()) == Offer::Full
                && !slow.iter().any(|s| s.id == conn.id)
            {
                slow.push(Slow {
                    name: Arc::clone(name),
                    id: conn.id,
                });
            }
        };
        let offer = |(name, member): (&Arc<str>, &Member)| {
            member.conns.iter().for_each(|conn| offer_to(name, conn));
        };
        match to {
            Recipients::All => members.iter().for_each(offer),
            Recipients::AllBut(id) => {
                for (name, member) in members {
                    member
                        .conns
                        .iter()
                        .filter(|c| c.id != id)
                        .for_each(|conn| offer_to(name, conn));
                }
            }
            Recipients::Named(names) => named(members, names).for_each(offer),
            Recipients::Conn(name, id) => {
                if let Some((name, member)) = members.get_key_value(name) {
                    member
                        .conns
                        .iter()
                        .filter(|c| c.id == id)
                        .for_each(|conn| offer_to(name, conn));
                }
            }
            Recipients::Remote(seq, target) => {
                for (name, member) in members {
                    if target.includes(name, member.identified) {
                        member
                            .conns
                            .iter()
                            .filter(|c| seq > c.since)
                            .for_each(|conn| offer_to(name, conn));
                    }
                }
            }
        }
    }

    // ANCHOR: drop_slow
    /// Disconnects slow consumers: each connection is removed and kicked
    /// (its session closes with 1008) alone; a member whose last
    /// connection that was is removed, and the others get `leave` (which
    /// may find more full queues).
    fn drop_slow(&mut self, mut slow: Vec<Slow>) {
        let room = self.room;
        while let Some(Slow { name, id }) = slow.pop() {
            let Some(member) = self.state.members.get_mut(&name) else {
                continue;
            };
            let Some(at) = member.conns.iter().position(|c| c.id == id) else {
                continue;
            };
            let conn = member.conns.remove(at);
            room.metrics().chat_slow_consumers.fetch_add(1, Relaxed);
            conn.kick.slow();
            let last = member.conns.is_empty();
            let relay = room.relay().filter(|relay| relay.up.load(Relaxed));
            if let Some(relay) = relay {
                // Its holder leaves the presence entry; the member's
                // `leave`, if it has no connection left anywhere, goes
                // through Redis, to every node in order.
                let _ = relay.dropped.send(Dropped {
                    room: Arc::clone(room.name()),
                    name: Arc::clone(&name),
                    id,
                    last,
                });
            }
            if !last {
                continue;
            }
            let Some(member) = self.state.members.remove(&name) else {
                continue;
            };
            self.state.order.remove(&member.seq);
            room.metrics().chat_members.fetch_sub(1, Relaxed);
            if relay.is_some() {
                continue;
            }
            let leave = Event::Leave {
                room: room.name(),
                name: &name,
            }
            .encode();
            self.offer(&Frame::from(leave), Recipients::All, &mut slow);
        }
    }
    // ANCHOR_END: drop_slow
}

/// The members called `names` that are here, each once (a `direct` to
/// oneself is one frame).
fn named<'m>(
    members: &'m HashMap<Arc<str>, Member>,
    names: &'m [&'m str],
) -> impl Iterator<Item = (&'m Arc<str>, &'m Member)> {
    names
        .iter()
        .enumerate()
        .filter(|&(i, name)| !names[..i].contains(name))
        .filter_map(|(_, name)| members.get_key_value(*name))
}
