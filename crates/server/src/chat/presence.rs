//! Batched presence for large rooms (docs/chat.md, "Presence in large
//! rooms"): above `--presence-batch-above` members, a room does not send
//! one `join` or `leave` per change to every member (a fill of n members
//! is then n²/2 deliveries) but collects the names that changed for
//! `--presence-interval-ms` and sends one `presence` event, encoded once
//! and shared by every member.
//!
//! The event carries each touched name's state *when it is sent*
//! (`joins`: here now, `leaves`: gone now), not the history of the
//! interval. So whatever snapshot a member holds from within the interval
//! (a `welcome` that came mid-interval, or the previous diff applied),
//! adding `joins` and removing `leaves` gives exactly the room's members:
//! a name that changed after the snapshot is in the diff with its final
//! state, and a name that did not change is right in the snapshot.
//!
//! With `--redis` batching is off: there every node delivers each `join`
//! and `leave` in the order Redis numbered them (`remote`), and a diff
//! would need that order across nodes (see docs/chat.md).

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::fanout::Recipients;
use super::protocol::Event;
use super::room::{Locked, Room};

/// `--presence-batch-above 0`: every change goes out on its own.
pub(crate) const OFF: usize = 0;

/// When a room batches its presence.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Batching {
    /// A room batches when, counting the member that joins or leaves, it
    /// has more than this many members ([`OFF`]: never).
    pub(crate) above: usize,
    /// How long changes are collected before their `presence` goes out.
    pub(crate) interval: Duration,
}

impl Batching {
    /// `Some` when rooms batch at all (`above` is not [`OFF`]).
    pub(crate) fn enabled(self) -> Option<Self> {
        (self.above != OFF).then_some(self)
    }
}

/// The names touched since the last `presence` of a room.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    touched: BTreeSet<Arc<str>>,
    /// A flush is on its way (one timer per room and interval).
    scheduled: bool,
}

impl Locked<'_> {
    /// Whether a change in a room of `size` members (counting the one
    /// that joins or leaves) is batched.
    fn batches(&self, size: usize) -> Option<Batching> {
        self.room.batching().filter(|b| size > b.above)
    }

    /// Tells the others that `name` (connection `id`, already admitted)
    /// joined: a `join` to each, or a place in the next `presence`.
    pub(crate) fn announce_join(&mut self, name: &Arc<str>, id: u64) {
        let size = self.state.members.len();
        if let Some(batching) = self.batches(size) {
            self.touch(name, batching);
            return;
        }
        let join = Event::Join {
            room: self.room.name(),
            name,
        }
        .encode();
        self.fan_out(&join, Recipients::AllBut(id));
    }

    /// Tells everyone that `name` (already removed) left: a `leave` to
    /// each, or a place in the next `presence`.
    pub(crate) fn announce_leave(&mut self, name: &str) {
        let size = self.state.members.len() + 1;
        if let Some(batching) = self.batches(size) {
            self.touch(&Arc::from(name), batching);
            return;
        }
        let leave = Event::Leave {
            room: self.room.name(),
            name,
        }
        .encode();
        self.fan_out(&leave, Recipients::All);
    }

    /// Notes that `name` changed, and makes sure a flush is coming.
    fn touch(&mut self, name: &Arc<str>, batching: Batching) {
        let pending = &mut self.state.presence;
        pending.touched.insert(Arc::clone(name));
        if !pending.scheduled {
            pending.scheduled = true;
            schedule(self.room.me(), batching.interval);
        }
    }

    /// Sends the collected changes as one `presence` event to every
    /// member, each name with its state now.
    pub(crate) fn flush_presence(&mut self) {
        let pending = std::mem::take(&mut self.state.presence);
        if pending.touched.is_empty() {
            return;
        }
        let members = &self.state.members;
        let (joins, leaves): (Vec<&str>, Vec<&str>) = pending
            .touched
            .iter()
            .map(|name| &**name)
            .partition(|name| members.contains_key(*name));
        let frame = Event::Presence {
            room: self.room.name(),
            joins,
            leaves,
        }
        .encode();
        self.fan_out(&frame, Recipients::All);
    }
}

/// Flushes the room's presence after `interval` (if the room still
/// exists; a removed room has nobody to tell).
fn schedule(room: Weak<Room>, interval: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(interval).await;
        if let Some(room) = room.upgrade() {
            room.lock().flush_presence();
        }
    });
}
