//! Rooms, their members and the fan-out.
//!
//! ```text
//!   session ──say──► Room (one mutex) ──serialize once──► Utf8Bytes
//!                      │                                    │ clone (a refcount)
//!                      │            ┌───────────────────────┼──────────────┐
//!                      ▼            ▼                       ▼              ▼
//!                  members    [queue 256] ─► writer    [queue 256]    [queue full]
//!                                                                      └─► removed, kicked (1008),
//!                                                                          `leave` to the others
//! ```
//!
//! Every event of a room (join, leave, message, direct) is sequenced and
//! queued while that room's lock is held, so all members see one order. The
//! lock is never held across an `.await`: queueing is `try_send`, and a
//! member whose bounded queue is full is a slow consumer: it is removed at
//! once and its session closes with 1008. The room never waits for anyone.
//!
//! The registry and a room are never locked together, so joins and leaves in
//! different rooms do not contend beyond a map lookup.
//!
//! With `--redis` (see `redis_layer.rs`), the same rooms hold this node's
//! members, but events come from Redis in the order Redis gave them
//! ([`Rooms::deliver`]): a joiner waits as a *pending* member until its own
//! `join` has a sequence number, and then receives only later events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use std::sync::atomic::AtomicBool;

use tokio::sync::{Notify, mpsc};
use ws_tokio::Utf8Bytes;

use super::protocol::{ErrorCode, Event, Refusal, truncate};
use crate::Metrics;

// ANCHOR: queue_capacity
/// Frames a member may have queued and not yet handed to its socket. One
/// more, and it is disconnected as a slow consumer. (Behind the queue sit
/// the socket's own write buffer, 64 KiB, and the kernel's.) Large enough
/// for the bursts of a busy room: 50 members sending their burst of 20 at
/// once queue 1000 frames for everyone.
pub(crate) const QUEUE_CAPACITY: usize = 2048;

/// Bytes a member may have queued (the frames are shared with the other
/// members, so this bounds how long one slow reader keeps them alive).
/// One frame is always accepted into an empty queue.
pub(crate) const QUEUE_BYTES: usize = 512 << 10;
// ANCHOR_END: queue_capacity

/// Longest member name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 32;

/// The receiving end of a member's outbound queue, drained by its writer.
#[derive(Debug)]
pub(crate) struct Outbox {
    frames: mpsc::Receiver<Utf8Bytes>,
    bytes: Arc<AtomicUsize>,
}

impl Outbox {
    /// The next frame; `None` once the room dropped the sending end.
    pub(crate) async fn recv(&mut self) -> Option<Utf8Bytes> {
        let frame = self.frames.recv().await?;
        self.bytes.fetch_sub(frame.len(), Relaxed);
        Some(frame)
    }

    /// The next frame if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<Utf8Bytes> {
        let frame = self.frames.try_recv().ok()?;
        self.bytes.fetch_sub(frame.len(), Relaxed);
        Some(frame)
    }
}

/// The sending end of a member's outbound queue, kept by the room.
#[derive(Debug)]
struct Inbox {
    frames: mpsc::Sender<Utf8Bytes>,
    bytes: Arc<AtomicUsize>,
}

/// What became of a frame offered to a member.
enum Offer {
    Queued,
    /// The queue is full (in frames or bytes): a slow consumer.
    Full,
    /// The session is ending and will leave in a moment.
    Gone,
}

impl Inbox {
    fn new() -> (Self, Outbox) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let bytes = Arc::new(AtomicUsize::new(0));
        let inbox = Self {
            frames: sender,
            bytes: Arc::clone(&bytes),
        };
        (
            inbox,
            Outbox {
                frames: receiver,
                bytes,
            },
        )
    }

    fn offer(&self, frame: &Utf8Bytes, metrics: &Metrics) -> Offer {
        // Counted before it is queued, so the writer never subtracts first.
        let before = self.bytes.fetch_add(frame.len(), Relaxed);
        if before > 0 && before + frame.len() > QUEUE_BYTES {
            self.bytes.fetch_sub(frame.len(), Relaxed);
            return Offer::Full;
        }
        match self.frames.try_send(frame.clone()) {
            Ok(()) => {
                metrics.chat_queued.fetch_add(1, Relaxed);
                Offer::Queued
            }
            Err(e) => {
                self.bytes.fetch_sub(frame.len(), Relaxed);
                match e {
                    mpsc::error::TrySendError::Full(_) => Offer::Full,
                    mpsc::error::TrySendError::Closed(_) => Offer::Gone,
                }
            }
        }
    }
}

/// Every room, by name. Rooms are created on first join and removed when the
/// last member leaves.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: Mutex<HashMap<Arc<str>, Arc<Room>>>,
    /// For `guest-N` names.
    guests: AtomicU64,
    /// Member ids, unique for the life of the server.
    ids: AtomicU64,
    /// With `--redis`: where slow consumers' leaves go.
    relay: Option<Relay>,
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

/// A member removed as a slow consumer (see [`Relay`]).
#[derive(Debug)]
pub(crate) struct Dropped {
    pub(crate) room: Arc<str>,
    pub(crate) name: Arc<str>,
    pub(crate) id: u64,
}

/// An event that came through Redis: its place in the room's order, who
/// gets it, and the frame (serialized by the node where it happened).
#[derive(Debug)]
pub(crate) struct RemoteEvent {
    /// From the room's counter in Redis: increases by one per event.
    pub(crate) seq: u64,
    pub(crate) target: Target,
    pub(crate) frame: Utf8Bytes,
}

/// The local recipients of a [`RemoteEvent`].
#[derive(Debug)]
pub(crate) enum Target {
    /// Every member (`join`, `leave`, `message`).
    All,
    /// A `direct`: the member called `to`, and the sender if it is here.
    Direct {
        to: Box<str>,
        from: Option<Box<str>>,
    },
}

impl Target {
    fn includes(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Direct { to, from } => **to == *name || from.as_deref() == Some(name),
        }
    }
}

/// A joiner waiting for its `join` to come back from Redis (see
/// [`Rooms::join_pending`]).
#[derive(Debug)]
pub(crate) struct PendingJoin {
    room: Arc<Room>,
    id: u64,
    outbox: Outbox,
    kicked: Arc<Notify>,
}

impl PendingJoin {
    /// The member id it will have.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

/// A member of this node, for the presence entries in Redis: its name,
/// id, and the sequence number of its `join`.
pub(crate) type LocalMember = (Arc<str>, u64, u64);

/// A pending joiner's place in the room: the events it must not miss.
#[derive(Debug)]
struct Waiting {
    inbox: Inbox,
    kick: Arc<Notify>,
    events: Vec<Arc<RemoteEvent>>,
}

/// One room.
#[derive(Debug)]
pub(crate) struct Room {
    name: Arc<str>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    members: HashMap<Arc<str>, Member>,
    /// Join order, for the `users` lists.
    next_seq: u64,
    /// The last member left and the room is (being) removed from the
    /// registry: a joiner that still found it there must make a new one.
    closed: bool,
    /// With `--redis`: joiners waiting for their `join`'s sequence number.
    pending: HashMap<u64, Waiting>,
    relay: Option<Relay>,
}

#[derive(Debug)]
struct Member {
    id: u64,
    seq: u64,
    inbox: Inbox,
    kick: Arc<Notify>,
    /// With `--redis`: Redis events up to this sequence number were
    /// already in the `welcome` (0: every event is new).
    since: u64,
    /// With `--redis`: the sequence number of its `join` (0 if it joined
    /// while Redis was away), for the join order across nodes.
    joined: u64,
}

/// A session's place in a room: what it needs to speak there. Dropping it
/// does not leave the room; call [`Membership::leave`].
#[derive(Debug)]
pub(crate) struct Membership {
    room: Arc<Room>,
    id: u64,
    name: Arc<str>,
}

/// What a session gets when it joins.
#[derive(Debug)]
pub(crate) struct Joined {
    /// Its place in the room.
    pub(crate) membership: Membership,
    /// Its outbound queue, starting with `welcome`.
    pub(crate) outbox: Outbox,
    /// Notified when the room dropped it as a slow consumer.
    pub(crate) kicked: Arc<Notify>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Rooms {
    /// Joins `room` (creating it) under `requested` or, if that is `None`, a
    /// `guest-N` name, made unique in the room with `-2`, `-3`, …. The
    /// outbox starts with `welcome`; the other members get `join`.
    pub(crate) fn join(&self, room: &str, requested: Option<&str>, metrics: &Metrics) -> Joined {
        let base = self.base_name(requested);
        self.join_as(room, &base, metrics)
    }

    /// Registries with a [`Relay`] (`--redis`).
    pub(crate) fn with_relay(relay: Relay) -> Self {
        Self {
            relay: Some(relay),
            ..Self::default()
        }
    }

    /// `requested`, or the next `guest-N`.
    pub(crate) fn base_name(&self, requested: Option<&str>) -> String {
        requested.map_or_else(
            || format!("guest-{}", self.guests.fetch_add(1, Relaxed) + 1),
            str::to_owned,
        )
    }

    /// The room called `room`, made if need be.
    fn get_or_make(&self, room: &str, metrics: &Metrics) -> Arc<Room> {
        let mut rooms = lock(&self.rooms);
        let room = rooms.entry(Arc::from(room)).or_insert_with_key(|name| {
            metrics.chat_rooms.fetch_add(1, Relaxed);
            Arc::new(Room {
                name: Arc::clone(name),
                state: Mutex::new(State {
                    relay: self.relay.clone(),
                    ..State::default()
                }),
            })
        });
        Arc::clone(room)
    }

    /// Joins `room` under `base`, made unique in the room.
    fn join_as(&self, room: &str, base: &str, metrics: &Metrics) -> Joined {
        let id = self.ids.fetch_add(1, Relaxed);
        let (inbox, outbox) = Inbox::new();
        let kick = Arc::new(Notify::new());
        self.with_live_room(room, metrics, |room, state| {
            let name = state.unique_name(base);
            let seq = state.next_seq;
            state.next_seq += 1;
            let mut users = state.users();
            users.push(&name);
            let welcome = Event::Welcome {
                room: &room.name,
                name: &name,
                users,
            }
            .encode();
            // The queue is new: it has room for the welcome.
            inbox.offer(&welcome, metrics);
            let join = Event::Join {
                room: &room.name,
                name: &name,
            }
            .encode();
            state.members.insert(
                Arc::clone(&name),
                Member {
                    id,
                    seq,
                    inbox,
                    kick: Arc::clone(&kick),
                    since: 0,
                    joined: 0,
                },
            );
            metrics.chat_members.fetch_add(1, Relaxed);
            // `join` to the others. The new member is already in: if this
            // finds a slow consumer, the new member hears its `leave` too.
            let mut slow = Vec::new();
            for (other, member) in &state.members {
                if member.id != id
                    && let Offer::Full = member.inbox.offer(&join, metrics)
                {
                    slow.push(Arc::clone(other));
                }
            }
            state.drop_slow(&room.name, slow, metrics);
            Joined {
                membership: Membership {
                    room: Arc::clone(room),
                    id,
                    name,
                },
                outbox,
                kicked: kick,
            }
        })
    }

    /// Runs `f` on the room called `room` (made if need be) with its state
    /// locked. A room found closed is on its way out (its last member is
    /// leaving): it is forgotten and a fresh one is made in its place.
    fn with_live_room<T>(
        &self,
        room: &str,
        metrics: &Metrics,
        f: impl FnOnce(&Arc<Room>, &mut State) -> T,
    ) -> T {
        loop {
            let live = self.get_or_make(room, metrics);
            let mut state = lock(&live.state);
            if state.closed {
                drop(state);
                self.forget(&live, metrics);
                continue;
            }
            return f(&live, &mut state);
        }
    }

    /// Removes a closed room from the registry (if it is still there).
    fn forget(&self, room: &Arc<Room>, metrics: &Metrics) {
        let mut rooms = lock(&self.rooms);
        if rooms.get(&room.name).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&room.name);
            metrics.chat_rooms.fetch_sub(1, Relaxed);
        }
    }

    // ANCHOR: join_pending
    /// With `--redis`: a place in `room` for a joiner whose name and
    /// `join` are being settled in Redis. Until [`Rooms::activate`], the
    /// events that reach the room are kept for it.
    pub(crate) fn join_pending(&self, room: &str, metrics: &Metrics) -> PendingJoin {
        let id = self.ids.fetch_add(1, Relaxed);
        let (inbox, outbox) = Inbox::new();
        let kick = Arc::new(Notify::new());
        self.with_live_room(room, metrics, |room, state| {
            state.pending.insert(
                id,
                Waiting {
                    inbox,
                    kick: Arc::clone(&kick),
                    events: Vec::new(),
                },
            );
            PendingJoin {
                room: Arc::clone(room),
                id,
                outbox,
                kicked: kick,
            }
        })
    }

    /// Makes a pending joiner a member called `name`, whose `join` had
    /// sequence number `since`, with `others` (in join order) already in
    /// the room: it gets `welcome`, then the events after its `join`.
    /// (The others get that `join` from Redis.)
    pub(crate) fn activate(
        &self,
        pending: PendingJoin,
        name: &str,
        since: u64,
        others: &[&str],
        metrics: &Metrics,
    ) -> Joined {
        let PendingJoin {
            room,
            id,
            outbox,
            kicked,
        } = pending;
        let mut state = lock(&room.state);
        let Some(waiting) = state.pending.remove(&id) else {
            unreachable!("a pending joiner is only removed by activate or cancel");
        };
        // Redis made the name unique; a member that joined while Redis was
        // away may still hold it here.
        let name = state.unique_name(name);
        let mut users = others.to_vec();
        users.retain(|u| *u != &*name);
        users.push(&name);
        let welcome = Event::Welcome {
            room: &room.name,
            name: &name,
            users,
        }
        .encode();
        waiting.inbox.offer(&welcome, metrics);
        let mut slow = false;
        for event in &waiting.events {
            if event.seq > since
                && event.target.includes(&name)
                && let Offer::Full = waiting.inbox.offer(&event.frame, metrics)
            {
                slow = true;
            }
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        state.members.insert(
            Arc::clone(&name),
            Member {
                id,
                seq,
                inbox: waiting.inbox,
                kick: waiting.kick,
                since,
                joined: since,
            },
        );
        metrics.chat_members.fetch_add(1, Relaxed);
        if slow {
            state.drop_slow(&room.name, vec![Arc::clone(&name)], metrics);
        }
        drop(state);
        Joined {
            membership: Membership { room, id, name },
            outbox,
            kicked,
        }
    }

    /// Gives up on a pending join (Redis failed): joins locally instead,
    /// as `base` made unique among this node's members.
    pub(crate) fn cancel(&self, pending: PendingJoin, base: &str, metrics: &Metrics) -> Joined {
        let mut state = lock(&pending.room.state);
        state.pending.remove(&pending.id);
        drop(state);
        self.join_as(&pending.room.name, base, metrics)
    }
    // ANCHOR_END: join_pending

    // ANCHOR: deliver
    /// Delivers an event that came through Redis to this node's members of
    /// `room` (pending joiners keep it for later).
    pub(crate) fn deliver(&self, room: &str, event: RemoteEvent, metrics: &Metrics) {
        let Some(room) = lock(&self.rooms).get(room).cloned() else {
            return;
        };
        let mut state = lock(&room.state);
        let mut slow = Vec::new();
        match &event.target {
            Target::All => {
                for (name, member) in &state.members {
                    if event.seq > member.since
                        && let Offer::Full = member.inbox.offer(&event.frame, metrics)
                    {
                        slow.push(Arc::clone(name));
                    }
                }
            }
            Target::Direct { to, from } => {
                for name in [Some(to), from.as_ref().filter(|f| *f != to)]
                    .into_iter()
                    .flatten()
                {
                    if let Some((name, member)) = state.members.get_key_value(&**name)
                        && event.seq > member.since
                        && let Offer::Full = member.inbox.offer(&event.frame, metrics)
                    {
                        slow.push(Arc::clone(name));
                    }
                }
            }
        }
        if !state.pending.is_empty() {
            let event = Arc::new(event);
            for waiting in state.pending.values_mut() {
                // A joiner is pending for one round trip to Redis; a room
                // that outpaces that by a whole queue drops the event.
                if waiting.events.len() < QUEUE_CAPACITY {
                    waiting.events.push(Arc::clone(&event));
                }
            }
        }
        state.drop_slow(&room.name, slow, metrics);
    }
    // ANCHOR_END: deliver

    /// After (re)subscribing to Redis, whose counters may have started
    /// afresh: every event that arrives from now on is new to every member.
    pub(crate) fn reset_since(&self) {
        let rooms: Vec<Arc<Room>> = lock(&self.rooms).values().cloned().collect();
        for room in rooms {
            for member in lock(&room.state).members.values_mut() {
                member.since = 0;
            }
        }
    }

    /// This node's members, room by room: (name, id, sequence number of
    /// the join), for the presence entries in Redis.
    pub(crate) fn snapshot(&self) -> Vec<(Arc<str>, Vec<LocalMember>)> {
        let rooms: Vec<Arc<Room>> = lock(&self.rooms).values().cloned().collect();
        rooms
            .into_iter()
            .map(|room| {
                let state = lock(&room.state);
                let members = state
                    .members
                    .iter()
                    .map(|(name, m)| (Arc::clone(name), m.id, m.joined))
                    .collect();
                drop(state);
                (Arc::clone(&room.name), members)
            })
            .collect()
    }

    /// Whether member `id` is still in `room` as `name`.
    pub(crate) fn is_member(&self, room: &str, name: &str, id: u64) -> bool {
        let Some(room) = lock(&self.rooms).get(room).cloned() else {
            return false;
        };
        lock(&room.state).is_member(name, id)
    }

    /// Sends `leave` for `name` to this node's members of `room` (a member
    /// that left while its `leave` could not go through Redis).
    pub(crate) fn announce_leave(&self, room: &str, name: &str, metrics: &Metrics) {
        let Some(room) = lock(&self.rooms).get(room).cloned() else {
            return;
        };
        let leave = Event::Leave {
            room: &room.name,
            name,
        }
        .encode();
        lock(&room.state).broadcast(&room.name, &leave, metrics);
    }

    /// The number of rooms.
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.rooms).len()
    }
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
        lock(&self.room.state).is_member(&self.name, self.id)
    }

    // ANCHOR: say
    /// Sends a room message to every member, this one included.
    pub(crate) fn say(&self, text: &str, metrics: &Metrics) {
        let mut state = lock(&self.room.state);
        if !state.is_member(&self.name, self.id) {
            return;
        }
        let frame = Event::Message {
            room: &self.room.name,
            from: &self.name,
            text,
            ts: now_ms(),
        }
        .encode();
        metrics.chat_messages.fetch_add(1, Relaxed);
        state.broadcast(&self.room.name, &frame, metrics);
    }
    // ANCHOR_END: say

    /// Sends a direct message to `to` and its copy back to this member.
    ///
    /// # Errors
    /// `unknown_user` if nobody in the room is called `to`.
    pub(crate) fn direct(&self, to: &str, text: &str, metrics: &Metrics) -> Result<(), Refusal> {
        let mut state = lock(&self.room.state);
        if !state.is_member(&self.name, self.id) {
            return Ok(());
        }
        let Some((target, _)) = state.members.get_key_value(to) else {
            return Err(Refusal {
                code: ErrorCode::UnknownUser,
                message: format!("nobody called {to:?} in this room"),
            });
        };
        let target = Arc::clone(target);
        let frame = Event::Direct {
            from: &self.name,
            to: &target,
            text,
            ts: now_ms(),
        }
        .encode();
        metrics.chat_directs.fetch_add(1, Relaxed);
        let mut slow = Vec::new();
        state.push(&target, &frame, &mut slow, metrics);
        if target != self.name {
            state.push(&self.name, &frame, &mut slow, metrics);
        }
        state.drop_slow(&self.room.name, slow, metrics);
        Ok(())
    }

    /// Queues the `users` list for this member.
    pub(crate) fn who(&self, metrics: &Metrics) {
        let mut state = lock(&self.room.state);
        if !state.is_member(&self.name, self.id) {
            return;
        }
        let frame = Event::Users {
            room: &self.room.name,
            users: state.users(),
        }
        .encode();
        self.push_locked(&mut state, &frame, metrics);
    }

    /// Queues a frame (an `error`) for this member alone.
    pub(crate) fn reply(&self, frame: &Utf8Bytes, metrics: &Metrics) {
        let mut state = lock(&self.room.state);
        if state.is_member(&self.name, self.id) {
            self.push_locked(&mut state, frame, metrics);
        }
    }

    fn push_locked(&self, state: &mut State, frame: &Utf8Bytes, metrics: &Metrics) {
        let mut slow = Vec::new();
        state.push(&self.name, frame, &mut slow, metrics);
        state.drop_slow(&self.room.name, slow, metrics);
    }

    /// Leaves the room (if the room has not dropped this member already):
    /// the others get `leave`; the last one out removes the room.
    pub(crate) fn leave(self, rooms: &Rooms, metrics: &Metrics) {
        self.leave_with(rooms, metrics, true);
    }

    /// Leaves the room without telling the others here (with `--redis`,
    /// its `leave` comes back from Redis). `false` if the room had already
    /// dropped it.
    pub(crate) fn leave_quietly(self, rooms: &Rooms, metrics: &Metrics) -> bool {
        self.leave_with(rooms, metrics, false)
    }

    fn leave_with(self, rooms: &Rooms, metrics: &Metrics, announce: bool) -> bool {
        let mut state = lock(&self.room.state);
        let current = state.is_member(&self.name, self.id);
        if current {
            state.remove(&self.room.name, &self.name, metrics, announce);
        }
        let empty = state.members.is_empty() && state.pending.is_empty() && !state.closed;
        if empty {
            state.closed = true;
        }
        drop(state);
        if empty {
            rooms.forget(&self.room, metrics);
        }
        current
    }
}

impl State {
    fn is_member(&self, name: &str, id: u64) -> bool {
        self.members.get(name).is_some_and(|m| m.id == id)
    }

    /// Names in join order.
    fn users(&self) -> Vec<&str> {
        let mut users: Vec<(&str, u64)> = self
            .members
            .iter()
            .map(|(name, m)| (&**name, m.seq))
            .collect();
        users.sort_unstable_by_key(|&(_, seq)| seq);
        users.into_iter().map(|(name, _)| name).collect()
    }

    /// `base`, or `base-2`, `base-3`, … (cut so the result has at most
    /// [`MAX_NAME_CHARS`] characters), whichever is free.
    fn unique_name(&self, base: &str) -> Arc<str> {
        if !self.members.contains_key(base) {
            return Arc::from(base);
        }
        (2_usize..)
            .map(|n| candidate(base, n))
            .find(|name| !self.members.contains_key(name.as_str()))
            .map(Arc::from)
            .unwrap_or_else(|| Arc::from(base))
    }

    /// Queues `frame` for the member called `name`; a full queue puts the
    /// name on `slow`.
    fn push(
        &self,
        name: &Arc<str>,
        frame: &Utf8Bytes,
        slow: &mut Vec<Arc<str>>,
        metrics: &Metrics,
    ) {
        let Some(member) = self.members.get(name) else {
            return;
        };
        if let Offer::Full = member.inbox.offer(frame, metrics) {
            slow.push(Arc::clone(name));
        }
    }

    // ANCHOR: broadcast
    /// Queues `frame` for every member, then drops the slow ones.
    fn broadcast(&mut self, room: &str, frame: &Utf8Bytes, metrics: &Metrics) {
        let mut slow = Vec::new();
        for (name, member) in &self.members {
            if let Offer::Full = member.inbox.offer(frame, metrics) {
                slow.push(Arc::clone(name));
            }
        }
        self.drop_slow(room, slow, metrics);
    }
    // ANCHOR_END: broadcast

    // ANCHOR: drop_slow
    /// Disconnects slow consumers: each is removed and kicked (its session
    /// closes with 1008), and the others get `leave` (which may find more
    /// full queues).
    fn drop_slow(&mut self, room: &str, mut slow: Vec<Arc<str>>, metrics: &Metrics) {
        while let Some(name) = slow.pop() {
            let Some(member) = self.members.remove(&name) else {
                continue;
            };
            metrics.chat_members.fetch_sub(1, Relaxed);
            metrics.chat_slow_consumers.fetch_add(1, Relaxed);
            member.kick.notify_one();
            if let Some(relay) = &self.relay
                && relay.up.load(Relaxed)
            {
                // Its `leave` goes through Redis, to every node in order.
                let _ = relay.dropped.send(Dropped {
                    room: Arc::from(room),
                    name,
                    id: member.id,
                });
                continue;
            }
            let leave = Event::Leave { room, name: &name }.encode();
            for (other, member) in &self.members {
                if let Offer::Full = member.inbox.offer(&leave, metrics)
                    && !slow.contains(other)
                {
                    slow.push(Arc::clone(other));
                }
            }
        }
    }
    // ANCHOR_END: drop_slow

    /// Removes a member that left; the others get `leave` if `announce`.
    fn remove(&mut self, room: &str, name: &str, metrics: &Metrics, announce: bool) {
        if self.members.remove(name).is_some() {
            metrics.chat_members.fetch_sub(1, Relaxed);
            if announce {
                let leave = Event::Leave { room, name }.encode();
                self.broadcast(room, &leave, metrics);
            }
        }
    }
}

/// The `n`th name to try for `base`: `base` itself, then `base-2`,
/// `base-3`, … (the base cut so that the result has at most
/// [`MAX_NAME_CHARS`] characters).
pub(crate) fn candidate(base: &str, n: usize) -> String {
    if n <= 1 {
        return base.to_owned();
    }
    let suffix = format!("-{n}");
    let stem = truncate(base, MAX_NAME_CHARS.saturating_sub(suffix.len()));
    format!("{}{suffix}", stem.trim_end())
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    fn next(outbox: &mut Outbox) -> serde_json::Value {
        let frame = outbox.try_recv().expect("a queued frame");
        serde_json::from_str(frame.as_str()).unwrap()
    }

    fn empty(outbox: &mut Outbox) -> bool {
        outbox.try_recv().is_none()
    }

    #[test]
    fn names_are_unique_and_guests_numbered() {
        let rooms = Rooms::default();
        let m = Metrics::default();
        let a = rooms.join("r", Some("ann"), &m);
        let b = rooms.join("r", Some("ann"), &m);
        let c = rooms.join("r", Some("ann"), &m);
        let g = rooms.join("r", None, &m);
        let elsewhere = rooms.join("s", Some("ann"), &m);
        assert_eq!(a.membership.name(), "ann");
        assert_eq!(b.membership.name(), "ann-2");
        assert_eq!(c.membership.name(), "ann-3");
        assert_eq!(g.membership.name(), "guest-1");
        assert_eq!(elsewhere.membership.name(), "ann");
        let long = "x".repeat(MAX_NAME_CHARS);
        let l1 = rooms.join("r", Some(&long), &m);
        let l2 = rooms.join("r", Some(&long), &m);
        assert_eq!(l1.membership.name(), long);
        assert_eq!(l2.membership.name().chars().count(), MAX_NAME_CHARS);
        assert!(l2.membership.name().ends_with("-2"));
    }

    #[test]
    fn welcome_first_then_join_leave_to_the_others() {
        let rooms = Rooms::default();
        let m = Metrics::default();
        let mut a = rooms.join("r", Some("ann"), &m);
        let welcome = next(&mut a.outbox);
        assert_eq!(welcome["type"], "welcome");
        assert_eq!(welcome["users"], serde_json::json!(["ann"]));
        let mut b = rooms.join("r", Some("bob"), &m);
        assert_eq!(
            next(&mut b.outbox)["users"],
            serde_json::json!(["ann", "bob"])
        );
        assert_eq!(
            next(&mut a.outbox),
            serde_json::json!({"type": "join", "room": "r", "name": "bob"})
        );
        assert!(empty(&mut b.outbox), "no join for oneself");
        b.membership.leave(&rooms, &m);
        assert_eq!(
            next(&mut a.outbox),
            serde_json::json!({"type": "leave", "room": "r", "name": "bob"})
        );
        assert_eq!(rooms.len(), 1);
        a.membership.leave(&rooms, &m);
        assert_eq!(rooms.len(), 0, "the last one out removes the room");
        assert_eq!(m.chat_rooms.load(Relaxed), 0);
        assert_eq!(m.chat_members.load(Relaxed), 0);
    }

    #[test]
    fn messages_and_directs() {
        let rooms = Rooms::default();
        let m = Metrics::default();
        let mut a = rooms.join("r", Some("ann"), &m);
        let mut b = rooms.join("r", Some("bob"), &m);
        let mut c = rooms.join("r", Some("cy"), &m);
        for o in [&mut a.outbox, &mut b.outbox, &mut c.outbox] {
            while !empty(o) {}
        }
        a.membership.say("hi", &m);
        for o in [&mut a.outbox, &mut b.outbox, &mut c.outbox] {
            let msg = next(o);
            assert_eq!(msg["type"], "message");
            assert_eq!(msg["from"], "ann");
            assert_eq!(msg["text"], "hi");
            assert!(msg["ts"].is_u64());
        }
        a.membership.direct("bob", "psst", &m).unwrap();
        assert_eq!(next(&mut b.outbox)["type"], "direct");
        assert_eq!(next(&mut a.outbox)["to"], "bob");
        assert!(empty(&mut c.outbox));
        let refusal = a.membership.direct("nobody", "x", &m).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::UnknownUser);
        a.membership.who(&m);
        assert_eq!(
            next(&mut a.outbox)["users"],
            serde_json::json!(["ann", "bob", "cy"])
        );
    }

    #[test]
    fn a_full_queue_is_dropped_and_kicked() {
        let rooms = Rooms::default();
        let m = Metrics::default();
        let mut fast = rooms.join("r", Some("fast"), &m);
        let slow = rooms.join("r", Some("slow"), &m);
        let mut seen = Vec::new();
        for _ in 0..QUEUE_CAPACITY {
            fast.membership.say("x", &m);
            seen.extend(std::iter::from_fn(|| fast.outbox.try_recv()));
        }
        // The slow member's queue (welcome + QUEUE_CAPACITY - 1 messages) was full.
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
        slow.membership.leave(&rooms, &m);
        assert_eq!(m.chat_members.load(Relaxed), 1);
    }

    #[test]
    fn a_queue_full_of_bytes_is_slow_too() {
        let rooms = Rooms::default();
        let m = Metrics::default();
        let mut fast = rooms.join("r", Some("fast"), &m);
        let _slow = rooms.join("r", Some("slow"), &m);
        let text = "x".repeat(4000);
        let mut said = 0;
        while m.chat_slow_consumers.load(Relaxed) == 0 {
            fast.membership.say(&text, &m);
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
        let rooms = Rooms::default();
        let m = Metrics::default();
        let mut fast = rooms.join("r", Some("fast"), &m);
        let _slow = rooms.join("r", Some("slow"), &m);
        // Fill the slow member's queue: its welcome and these.
        for _ in 0..QUEUE_CAPACITY - 1 {
            fast.membership.say("x", &m);
            while fast.outbox.try_recv().is_some() {}
        }
        assert_eq!(m.chat_slow_consumers.load(Relaxed), 0);
        let mut new = rooms.join("r", Some("new"), &m);
        assert_eq!(m.chat_slow_consumers.load(Relaxed), 1);
        let welcome = next(&mut new.outbox);
        assert_eq!(welcome["users"], serde_json::json!(["fast", "slow", "new"]));
        assert_eq!(
            next(&mut new.outbox),
            serde_json::json!({"type": "leave", "room": "r", "name": "slow"})
        );
    }
}
