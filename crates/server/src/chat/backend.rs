//! What a backend does in the rooms through the HTTP API
//! (`docs/server-interface.md` §7): publish a room message, list the
//! members, read the history, remove a member. Each is one step under the
//! room's lock, like a member's own commands, so a published message is
//! numbered, kept and fanned out in the order every member sees.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use ws_tokio::Utf8Bytes;

use super::fanout::{Dropped, Recipients};
use super::history::{History, new_epoch};
use super::protocol::{Event, now_ms};
use super::registry::Rooms;

/// A room's kept history, as the API returns it.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) epoch: Arc<str>,
    /// The `message` events, each already JSON.
    pub(crate) messages: Vec<Utf8Bytes>,
}

impl Rooms {
    /// Posts `text` from `from` to `room` (made if need be, so that an
    /// empty room keeps it in its history); returns its `seq`. An `id` the
    /// history still holds is not delivered again: its first `seq` is
    /// returned.
    pub(crate) fn publish(&self, room: &str, from: &str, text: &str, id: Option<&str>) -> u64 {
        self.with_live_room(room, |room, mut locked| {
            let now = Instant::now();
            let limits = room.limits();
            locked.state.history.trim(now, limits);
            if locked.is_idle() {
                // As a join does: an emptied room whose history expired
                // starts a new numbering.
                locked.state.history = History::default();
            }
            if let Some(id) = id
                && let Some(seq) = locked.state.history.placed(id)
            {
                room.metrics().chat_deduplicated.fetch_add(1, Relaxed);
                return seq;
            }
            let name = room.name();
            let (seq, frame) = locked.state.history.append(id, now, limits, |seq| {
                Event::Message {
                    room: name,
                    from,
                    text,
                    ts: now_ms(),
                    seq,
                    id,
                }
                .encode()
            });
            room.metrics().chat_messages.fetch_add(1, Relaxed);
            locked.fan_out(&frame, Recipients::All);
            seq
        })
    }

    /// The members of `room` on this node, in join order (none if there
    /// is no such room).
    pub(crate) fn members_of(&self, room: &str) -> Vec<String> {
        self.get(room).map_or_else(Vec::new, |room| {
            room.lock().users().into_iter().map(str::to_owned).collect()
        })
    }

    /// The kept messages of `room` after `since`, at most `limit`. A room
    /// that does not exist has no history; its epoch is a fresh one (a
    /// room made later numbers anew anyway).
    pub(crate) fn page(&self, room: &str, since: u64, limit: usize) -> Page {
        let Some(room) = self.get(room) else {
            return Page {
                epoch: new_epoch(),
                messages: Vec::new(),
            };
        };
        let mut locked = room.lock();
        locked.state.history.trim(Instant::now(), room.limits());
        Page {
            epoch: Arc::from(locked.state.history.epoch()),
            messages: locked.state.history.since(since, limit),
        }
    }

    /// Removes `name` from `room`: each of its connections is kicked (and
    /// closes with 4003), and the others get `leave` (with `--redis`,
    /// through Redis, like a slow consumer's). `false` if no such member
    /// is here.
    pub(crate) fn remove_member(&self, room: &str, name: &str) -> bool {
        let Some(room) = self.get(room) else {
            return false;
        };
        let mut locked = room.lock();
        let Some((name, member)) = locked.state.members.remove_entry(name) else {
            return false;
        };
        locked.state.order.remove(&member.seq);
        room.metrics().chat_members.fetch_sub(1, Relaxed);
        for conn in &member.conns {
            conn.kick.remove();
        }
        if let Some(relay) = room.relay()
            && relay.up.load(Relaxed)
        {
            // Each connection's holder leaves the presence entry; the
            // last one anywhere publishes the `leave`.
            for (i, conn) in member.conns.iter().enumerate() {
                let _ = relay.dropped.send(Dropped {
                    room: Arc::clone(room.name()),
                    name: Arc::clone(&name),
                    id: conn.id,
                    last: i + 1 == member.conns.len(),
                });
            }
            return true;
        }
        locked.announce_leave(&name);
        true
    }
}
