//! The registry: every room of this node by name, made on first join and
//! removed when the last member leaves, and the joins themselves.
//!
//! The registry and a room are never locked together, so joins and leaves
//! in different rooms do not contend beyond a map lookup.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::fanout::{Recipients, Relay};
use super::history::{DEFAULT_BACKLOG, History, Limits};
use super::names::unique_name;
use super::presence::Batching;
use super::protocol::Event;
use super::queue::{Outbox, queue};
use super::resume::Resume;
use super::room::{Context, Entry, Joined, Kick, Locked, Membership, Room, Seat, lock};
use crate::metrics::Metrics;

/// Every room, by name.
#[derive(Debug)]
pub(crate) struct Rooms {
    rooms: Mutex<HashMap<Arc<str>, Arc<Room>>>,
    /// For `guest-N` names.
    guests: AtomicU64,
    /// Member ids, unique for the life of the server.
    ids: AtomicU64,
    /// What every room shares.
    context: Arc<Context>,
}

/// The session's ends of a new member's queue and kick.
#[derive(Debug)]
pub(crate) struct SessionSide {
    pub(crate) outbox: Outbox,
    /// Notified when the room drops the member as a slow consumer.
    pub(crate) kicked: Arc<Kick>,
}

/// This node's members of one room (see [`Rooms::snapshot`]).
#[derive(Debug)]
pub(crate) struct RoomMembers {
    pub(crate) room: Arc<str>,
    pub(crate) members: Vec<LocalMember>,
}

/// A connection of this node, for the presence entries in Redis.
#[derive(Debug)]
pub(crate) struct LocalMember {
    pub(crate) name: Arc<str>,
    /// The connection's id.
    pub(crate) id: u64,
    /// The sequence number of its member's `join` in Redis (0: it joined
    /// while Redis was away).
    pub(crate) joined: u64,
    /// Named by a token's `sub`.
    pub(crate) identified: bool,
}

impl Rooms {
    /// An empty registry counting in `metrics`, whose rooms keep history
    /// within `limits` and batch their presence as `batching` says (`None`:
    /// never; with `--redis` it is `None`, see `presence`); with `--redis`,
    /// `relay` takes the `leave`s of slow consumers.
    pub(crate) fn new(
        metrics: Arc<Metrics>,
        relay: Option<Relay>,
        limits: Limits,
        batching: Option<Batching>,
    ) -> Self {
        Self {
            rooms: Mutex::default(),
            guests: AtomicU64::new(0),
            ids: AtomicU64::new(0),
            context: Arc::new(Context {
                metrics,
                relay,
                limits,
                batching,
            }),
        }
    }

    /// Where the rooms count.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.context.metrics
    }

    /// How much history each room keeps.
    pub(crate) fn limits(&self) -> &Limits {
        &self.context.limits
    }

    /// Joins `room` (creating it) under `requested` or, if that is `None`, a
    /// `guest-N` name, made unique in the room with `-2`, `-3`, …. The
    /// outbox starts with `welcome` and the history `resume` asks for;
    /// the other members get `join`.
    ///
    /// An `identified` name (a token's `sub`) is taken as it is: a member
    /// of that name already here gets this connection as another one.
    pub(crate) fn join(
        &self,
        room: &str,
        requested: Option<&str>,
        resume: &Resume,
        identified: bool,
    ) -> Joined {
        let base = self.base_name(requested);
        self.join_as(room, &base, resume, identified)
    }

    /// `requested`, or the next `guest-N`.
    pub(crate) fn base_name(&self, requested: Option<&str>) -> String {
        requested.map_or_else(
            || format!("guest-{}", self.guests.fetch_add(1, Relaxed) + 1),
            str::to_owned,
        )
    }

    /// A new member id with its queue and kick: the room's ends, and the
    /// session's.
    pub(crate) fn seat(&self) -> (Seat, SessionSide) {
        let (inbox, outbox) = queue();
        let kick = Arc::new(Kick::default());
        let seat = Seat {
            id: self.ids.fetch_add(1, Relaxed),
            inbox,
            kick: Arc::clone(&kick),
        };
        let side = SessionSide {
            outbox,
            kicked: kick,
        };
        (seat, side)
    }

    // ANCHOR: join_as
    /// Joins `room` under `base`, made unique in the room. The backlog is
    /// taken in the same locked step that admits the member, so every
    /// later message reaches its queue and none before it does: the seam
    /// between the replay and the live traffic has no gap and no repeat.
    ///
    /// With `identified`, `base` is taken as it is, and a member already
    /// called that gets one more connection: its `welcome` and backlog,
    /// and no `join` for the others.
    pub(crate) fn join_as(
        &self,
        room: &str,
        base: &str,
        resume: &Resume,
        identified: bool,
    ) -> Joined {
        let (seat, SessionSide { mut outbox, kicked }) = self.seat();
        let id = seat.id;
        self.with_live_room(room, |room, mut locked| {
            let again = identified && locked.state.members.contains_key(base);
            let name = if identified {
                Arc::from(base)
            } else {
                unique_name(&locked.state.members, base)
            };
            let limits = room.limits();
            locked.state.history.trim(Instant::now(), limits);
            if locked.is_idle() {
                // Emptied, and its history expired: a new numbering, as if
                // the reaper had already removed it.
                locked.state.history = History::default();
            }
            let backlog = resume.backlog.map_or(DEFAULT_BACKLOG, |k| {
                usize::try_from(k).unwrap_or(usize::MAX)
            });
            let catch_up =
                locked
                    .state
                    .history
                    .catch_up(resume.point(), backlog.min(limits.count), limits);
            self.count_catch_up(resume, catch_up.recovered, catch_up.frames.len());
            let mut others = locked.users();
            others.retain(|u| *u != &*name);
            let welcome = locked.welcome(&name, others, catch_up.recovered);
            outbox.put_first(std::iter::once(welcome).chain(catch_up.frames));
            if again {
                locked.attach(&name, seat, 0);
                return Joined {
                    membership: Membership {
                        room: Arc::clone(room),
                        id,
                        name,
                    },
                    outbox,
                    kicked,
                };
            }
            let entry = Entry {
                identified,
                ..Entry::default()
            };
            locked.admit(Arc::clone(&name), seat, entry);
            // `join` to the others (or, in a large room, a place in the
            // next `presence`). The new member is already in: if this
            // finds a slow consumer, the new member hears its `leave` too.
            locked.announce_join(&name, id);
            Joined {
                membership: Membership {
                    room: Arc::clone(room),
                    id,
                    name,
                },
                outbox,
                kicked,
            }
        })
    }
    // ANCHOR_END: join_as

    /// Counts a join's resume (if it was one) and its backlog.
    pub(crate) fn count_catch_up(&self, resume: &Resume, recovered: bool, backlog: usize) {
        let metrics = self.metrics();
        if resume.since.is_some() {
            let outcome = if recovered {
                &metrics.chat_resumes_recovered
            } else {
                &metrics.chat_resumes_unrecovered
            };
            outcome.fetch_add(1, Relaxed);
        }
        metrics.chat_backlog_sent.fetch_add(backlog as u64, Relaxed);
    }

    /// Forgets what the rooms' histories hold past their age, and removes
    /// the rooms that nothing keeps any more (no member, no history): a
    /// room recreated after that starts a new numbering, with a new epoch.
    pub(crate) fn reap(&self, now: Instant) {
        for room in self.all() {
            let mut locked = room.lock();
            locked.state.history.trim(now, room.limits());
            let idle = locked.is_idle() && !locked.state.closed;
            if idle {
                locked.state.closed = true;
            }
            drop(locked);
            if idle {
                self.forget(&room);
            }
        }
    }

    /// The room called `room`, made if need be.
    fn get_or_make(&self, room: &str) -> Arc<Room> {
        let mut rooms = lock(&self.rooms);
        let room = rooms.entry(Arc::from(room)).or_insert_with_key(|name| {
            self.metrics().chat_rooms.fetch_add(1, Relaxed);
            Arc::new_cyclic(|me| Room::new(Arc::clone(name), Arc::clone(&self.context), me.clone()))
        });
        Arc::clone(room)
    }

    /// The room called `room`, if there is one.
    pub(crate) fn get(&self, room: &str) -> Option<Arc<Room>> {
        lock(&self.rooms).get(room).cloned()
    }

    /// Every room now.
    pub(crate) fn all(&self) -> Vec<Arc<Room>> {
        lock(&self.rooms).values().cloned().collect()
    }

    /// Runs `f` on the room called `room` (made if need be) with its state
    /// locked. A room found closed is on its way out (its last member is
    /// leaving): it is forgotten and a fresh one is made in its place.
    pub(crate) fn with_live_room<T>(
        &self,
        room: &str,
        f: impl FnOnce(&Arc<Room>, Locked<'_>) -> T,
    ) -> T {
        loop {
            let live = self.get_or_make(room);
            let locked = live.lock();
            if locked.state.closed {
                drop(locked);
                self.forget(&live);
                continue;
            }
            return f(&live, locked);
        }
    }

    /// Removes a closed room from the registry (if it is still there).
    pub(crate) fn forget(&self, room: &Arc<Room>) {
        let mut rooms = lock(&self.rooms);
        if rooms.get(room.name()).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(room.name());
            self.metrics().chat_rooms.fetch_sub(1, Relaxed);
        }
    }

    /// This node's connections, room by room, for the presence entries in
    /// Redis.
    pub(crate) fn snapshot(&self) -> Vec<RoomMembers> {
        self.all()
            .into_iter()
            .map(|room| {
                let members = room
                    .lock()
                    .state
                    .members
                    .iter()
                    .flat_map(|(name, m)| {
                        m.conns.iter().map(|conn| LocalMember {
                            name: Arc::clone(name),
                            id: conn.id,
                            joined: m.joined,
                            identified: m.identified,
                        })
                    })
                    .collect();
                RoomMembers {
                    room: Arc::clone(room.name()),
                    members,
                }
            })
            .collect()
    }

    /// Whether connection `id` is still in `room` as `name`.
    pub(crate) fn is_member(&self, room: &str, name: &str, id: u64) -> bool {
        self.get(room)
            .is_some_and(|room| room.lock().is_member(name, id))
    }

    /// Sends `leave` for `name` to this node's members of `room` (a member
    /// that left while its `leave` could not go through Redis).
    pub(crate) fn announce_leave(&self, room: &str, name: &str) {
        let Some(room) = self.get(room) else {
            return;
        };
        let leave = Event::Leave {
            room: room.name(),
            name,
        }
        .encode();
        room.lock().fan_out(&leave, Recipients::All);
    }

    /// The number of rooms.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.rooms).len()
    }
}
