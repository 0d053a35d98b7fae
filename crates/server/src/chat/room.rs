//! One room: its members behind one lock, and a member's place in it
//! ([`Membership`]: what a session does there).
//!
//! ```text
//!   session ──say──► Room (one mutex) ──serialize once──► Utf8Bytes
//!                      │                                    │ clone (a refcount)
//!                      │            ┌───────────────────────┼──────────────┐
//!                      ▼            ▼                       ▼              ▼
//!                  members   [queue 2048] ─► writer   [queue 2048]    [queue full]
//!                                                                      └─► removed, kicked (1008),
//!                                                                          `leave` to the others
//! ```
//!
//! Every event of a room (join, leave, message, direct) is sequenced and
//! queued while that room's lock is held, so all members see one order. The
//! lock is never held across an `.await`: queueing never waits (see
//! `fanout`), and the room never waits for anyone.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

use ws_tokio::Utf8Bytes;

use super::fanout::{Recipients, Relay};
use super::history::{History, Limits};
pub(crate) use super::member::{Entry, Member};
use super::presence::{Batching, Pending};
use super::protocol::{Event, Refusal, now_ms};
use super::queue::Outbox;
use super::registry::Rooms;
use super::remote::Waiting;
pub(crate) use super::seat::{Conn, Kick, Seat};
use crate::metrics::Metrics;

/// What every room of a registry shares: where it counts, and with
/// `--redis` where the `leave`s of slow consumers go.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) relay: Option<Relay>,
    /// How much history each room keeps.
    pub(crate) limits: Limits,
    /// When rooms batch their presence (`None`: never, as with `--redis`).
    pub(crate) batching: Option<Batching>,
}

/// One room.
#[derive(Debug)]
pub(crate) struct Room {
    name: Arc<str>,
    context: Arc<Context>,
    /// The room itself, for the timer of a batched `presence`.
    me: Weak<Self>,
    state: Mutex<State>,
}

/// A room's members and bookkeeping, behind the room's lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) members: HashMap<Arc<str>, Member>,
    /// The members' names by their place in the join order: every `welcome`
    /// lists the room in that order, and walking this costs O(n) where
    /// sorting the members for each join cost O(n log n).
    pub(crate) order: BTreeMap<u64, Arc<str>>,
    /// Join order, for the `users` lists.
    pub(crate) next_seq: u64,
    /// The last member left and the room is (being) removed from the
    /// registry: a joiner that still found it there must make a new one.
    pub(crate) closed: bool,
    /// With `--redis`: joiners waiting for their `join`'s sequence number.
    pub(crate) pending: HashMap<u64, Waiting>,
    /// The numbered `message`s: kept while the room lives, even empty.
    pub(crate) history: History,
    /// Names whose change the next `presence` carries (large rooms).
    pub(crate) presence: Pending,
}

/// A room with its lock held: everything that reads or changes members.
pub(crate) struct Locked<'a> {
    pub(crate) room: &'a Room,
    pub(crate) state: MutexGuard<'a, State>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Room {
    /// A room called `name`; `me` is the `Arc` it is made in
    /// ([`Arc::new_cyclic`]).
    pub(crate) fn new(name: Arc<str>, context: Arc<Context>, me: Weak<Self>) -> Self {
        Self {
            name,
            context,
            me,
            state: Mutex::new(State::default()),
        }
    }

    /// The room's name.
    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Where the room counts.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.context.metrics
    }

    /// How much history the room keeps.
    pub(crate) fn limits(&self) -> &Limits {
        &self.context.limits
    }

    /// When this room batches its presence.
    pub(crate) fn batching(&self) -> Option<Batching> {
        self.context.batching
    }

    /// The room, weakly (a timer must not keep it alive).
    pub(crate) fn me(&self) -> Weak<Self> {
        self.me.clone()
    }

    /// With `--redis`: where slow consumers' `leave`s go.
    pub(crate) fn relay(&self) -> Option<&Relay> {
        self.context.relay.as_ref()
    }

    /// Takes the room's lock.
    pub(crate) fn lock(&self) -> Locked<'_> {
        Locked {
            room: self,
            state: lock(&self.state),
        }
    }
}

impl Locked<'_> {
    /// Whether connection `id` is in the room as `name`.
    pub(crate) fn is_member(&self, name: &str, id: u64) -> bool {
        self.state
            .members
            .get(name)
            .is_some_and(|m| m.conns.iter().any(|c| c.id == id))
    }

    /// The `welcome` for `name`, listing `others` (in join order) and then
    /// `name`, with where the room's numbering stands.
    pub(crate) fn welcome<'a>(
        &'a self,
        name: &'a str,
        others: Vec<&'a str>,
        recovered: bool,
    ) -> Utf8Bytes {
        let history = &self.state.history;
        self.welcome_at(name, others, (history.epoch(), history.last()), recovered)
    }

    /// The `welcome` for `name` with a numbering (epoch, last seq) kept
    /// elsewhere (with `--redis`, in Redis).
    pub(crate) fn welcome_at<'a>(
        &'a self,
        name: &'a str,
        mut others: Vec<&'a str>,
        (epoch, seq): (&'a str, u64),
        recovered: bool,
    ) -> Utf8Bytes {
        others.push(name);
        Event::Welcome {
            room: self.room.name(),
            name,
            users: others,
            epoch,
            seq,
            recovered,
        }
        .encode()
    }

    /// Whether nothing keeps the room: no member, nobody joining, no
    /// history. Such a room is closed and removed from the registry.
    pub(crate) fn is_idle(&self) -> bool {
        let state = &self.state;
        state.members.is_empty() && state.pending.is_empty() && state.history.is_empty()
    }

    /// Names in join order.
    pub(crate) fn users(&self) -> Vec<&str> {
        self.state.order.values().map(|name| &**name).collect()
    }
}

/// A session's place in a room: what it needs to speak there. Dropping it
/// does not leave the room; call [`Membership::leave`].
#[derive(Debug)]
pub(crate) struct Membership {
    pub(crate) room: Arc<Room>,
    pub(crate) id: u64,
    pub(crate) name: Arc<str>,
}

/// What a session gets when it joins.
#[derive(Debug)]
pub(crate) struct Joined {
    /// Its place in the room.
    pub(crate) membership: Membership,
    /// Its outbound queue, starting with `welcome`.
    pub(crate) outbox: Outbox,
    /// Notified when the room dropped it as a slow consumer.
    pub(crate) kicked: Arc<Kick>,
}

impl Membership {
    /// The name this member was given.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Its member id (unique on this node).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The room's name.
    pub(crate) fn room(&self) -> &Arc<str> {
        &self.room.name
    }

    /// Whether it is still in the room (not dropped as a slow consumer).
    pub(crate) fn is_current(&self) -> bool {
        self.room.lock().is_member(&self.name, self.id)
    }

    /// The room locked, if this member is still in it.
    fn lock_if_current(&self) -> Option<Locked<'_>> {
        let room = self.room.lock();
        room.is_member(&self.name, self.id).then_some(room)
    }

    // ANCHOR: say
    /// Sends a room message to every member, this one included: numbered
    /// and kept in the history, in the same step as its fan-out, so that
    /// the history's order is the order every member saw. With an `id`,
    /// the sender gets `ack`; an `id` the history still holds is not
    /// delivered again, only acknowledged with its first `seq`.
    pub(crate) fn say(&self, text: &str, id: Option<&str>) {
        let Some(mut room) = self.lock_if_current() else {
            return;
        };
        let metrics = self.room.metrics();
        let now = Instant::now();
        // An `id` is recognised while its message is kept, not longer.
        room.state.history.trim(now, self.room.limits());
        if let Some(id) = id
            && let Some(seq) = room.state.history.placed(id)
        {
            metrics.chat_deduplicated.fetch_add(1, Relaxed);
            let ack = Event::Ack { id, seq }.encode();
            room.fan_out(&ack, self.alone());
            return;
        }
        let (seq, frame) = room
            .state
            .history
            .append(id, now, self.room.limits(), |seq| {
                Event::Message {
                    room: &self.room.name,
                    from: &self.name,
                    text,
                    ts: now_ms(),
                    seq,
                    id,
                }
                .encode()
            });
        metrics.chat_messages.fetch_add(1, Relaxed);
        room.fan_out(&frame, Recipients::All);
        if let Some(id) = id {
            let ack = Event::Ack { id, seq }.encode();
            room.fan_out(&ack, self.alone());
        }
    }
    // ANCHOR_END: say

    /// Sends a direct message to `to` and its copy back to this member.
    ///
    /// # Errors
    /// `unknown_user` if nobody in the room is called `to`.
    pub(crate) fn direct(&self, to: &str, text: &str) -> Result<(), Refusal> {
        let Some(mut room) = self.lock_if_current() else {
            return Ok(());
        };
        let Some((target, _)) = room.state.members.get_key_value(to) else {
            return Err(Refusal::unknown_user(to));
        };
        let target = Arc::clone(target);
        let frame = Event::Direct {
            from: &self.name,
            to: &target,
            text,
            ts: now_ms(),
        }
        .encode();
        self.room.metrics().chat_directs.fetch_add(1, Relaxed);
        room.fan_out(&frame, Recipients::Named(&[&target, &self.name]));
        Ok(())
    }

    /// Queues the `users` list for this member.
    pub(crate) fn who(&self) {
        let Some(mut room) = self.lock_if_current() else {
            return;
        };
        let frame = Event::Users {
            room: &self.room.name,
            users: room.users(),
        }
        .encode();
        room.fan_out(&frame, self.alone());
    }

    /// Queues a frame (an `error`, a `users` list) for this connection
    /// alone.
    pub(crate) fn reply(&self, frame: &Utf8Bytes) {
        if let Some(mut room) = self.lock_if_current() {
            room.fan_out(frame, self.alone());
        }
    }

    /// This connection alone (an answer to what it sent: `ack`, `error`,
    /// `users`), not the member's other connections.
    fn alone(&self) -> Recipients<'_> {
        Recipients::Conn(&self.name, self.id)
    }

    /// Leaves the room (if the room has not dropped this member already):
    /// the others get `leave`; the last one out removes the room, unless
    /// it has history (then the reaper removes it once that has expired).
    pub(crate) fn leave(self, rooms: &Rooms) {
        let _ = self.leave_with(rooms, true);
    }

    /// Leaves the room without telling the others here (with `--redis`,
    /// its `leave` comes back from Redis). `None` if the room had already
    /// dropped this connection; else whether it was the member's last
    /// connection here.
    pub(crate) fn leave_quietly(self, rooms: &Rooms) -> Option<bool> {
        self.leave_with(rooms, false)
    }

    fn leave_with(self, rooms: &Rooms, announce: bool) -> Option<bool> {
        let mut room = self.room.lock();
        let current = room.is_member(&self.name, self.id);
        if current {
            room.remove(&self.name, self.id, announce);
        }
        let current = current.then(|| !room.state.members.contains_key(&*self.name));
        let empty = room.is_idle() && !room.state.closed;
        if empty {
            room.state.closed = true;
        }
        drop(room);
        if empty {
            rooms.forget(&self.room);
        }
        current
    }
}
