//! With `--redis`: events whose order Redis decides, and the joiners that
//! wait for it.
//!
//! The rooms hold this node's members, but events come from Redis in the
//! order Redis gave them ([`Rooms::deliver`]). A joiner waits as a
//! *pending* member ([`Rooms::join_pending`]) until its own `join` has a
//! sequence number, and then receives only later events.

use std::sync::Arc;

use ws_tokio::Utf8Bytes;

use super::fanout::Recipients;
use super::history::CatchUp;
use super::names::unique_name;
use super::queue::{Outbox, QUEUE_CAPACITY};
use super::registry::{Rooms, SessionSide};
use super::resume::Resume;
use super::room::{Entry, Joined, Kick, Membership, Room, Seat};

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
    /// A `direct`: the member called `to`, and its copy to the sender
    /// `from`.
    Direct {
        to: Box<str>,
        from: Box<str>,
        /// It was sent from this node. A member called `from` here gets
        /// the copy if so, or if it is identified (a token's `sub`: the
        /// same member as the sender, on another of its connections);
        /// otherwise it is someone else with the same name, taken on the
        /// other side of a Redis outage.
        here: bool,
    },
}

impl Target {
    /// Whether the member `name` (`identified` by a token) gets the event.
    pub(crate) fn includes(&self, name: &str, identified: bool) -> bool {
        match self {
            Self::All => true,
            Self::Direct { to, from, here } => {
                **to == *name || (**from == *name && (*here || identified))
            }
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
    kicked: Arc<Kick>,
}

impl PendingJoin {
    /// The member id it will have.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

/// With `--redis`: where a room's numbering stood when a member joined,
/// and the history it gets (read from Redis with its `join`).
#[derive(Debug)]
pub(crate) struct Numbered {
    pub(crate) epoch: String,
    pub(crate) last: u64,
    pub(crate) catch_up: CatchUp,
}

/// A pending joiner's place in the room: the events it must not miss.
#[derive(Debug)]
pub(crate) struct Waiting {
    seat: Seat,
    events: Vec<Arc<RemoteEvent>>,
}

impl Rooms {
    // ANCHOR: join_pending
    /// With `--redis`: a place in `room` for a joiner whose name and
    /// `join` are being settled in Redis. Until [`Rooms::activate`], the
    /// events that reach the room are kept for it.
    pub(crate) fn join_pending(&self, room: &str) -> PendingJoin {
        let (seat, SessionSide { outbox, kicked }) = self.seat();
        let id = seat.id;
        self.with_live_room(room, |room, mut locked| {
            let waiting = Waiting {
                seat,
                events: Vec::new(),
            };
            locked.state.pending.insert(id, waiting);
            PendingJoin {
                room: Arc::clone(room),
                id,
                outbox,
                kicked,
            }
        })
    }

    /// Makes a pending joiner a member called `name` (or, for an
    /// identified one already here, one more connection of it), with
    /// `others` (in join order) already in the room: it gets `welcome`,
    /// the history read with its `join` (`history`), then the events
    /// numbered after `entry.since`. (The others get its `join` from
    /// Redis, if there was one.)
    pub(crate) fn activate(
        &self,
        pending: PendingJoin,
        name: &str,
        entry: Entry,
        others: &[&str],
        history: &Numbered,
    ) -> Joined {
        let PendingJoin {
            room,
            id,
            mut outbox,
            kicked,
        } = pending;
        let mut locked = room.lock();
        let Some(Waiting { seat, events }) = locked.state.pending.remove(&id) else {
            unreachable!("a pending joiner is only removed by activate or cancel");
        };
        // Redis made the name unique; a member that joined while Redis was
        // away may still hold it here. A token's `sub` is never renamed:
        // a member of that name here is the same one.
        let again = entry.identified && locked.state.members.contains_key(name);
        let name = if entry.identified {
            Arc::from(name)
        } else {
            unique_name(&locked.state.members, name)
        };
        let mut users = others.to_vec();
        users.retain(|u| *u != &*name);
        let numbering = (history.epoch.as_str(), history.last);
        let welcome = locked.welcome_at(&name, users, numbering, history.catch_up.recovered);
        let frames = history.catch_up.frames.iter().cloned();
        outbox.put_first(std::iter::once(welcome).chain(frames));
        if again {
            locked.attach(&name, seat, entry.since);
        } else {
            locked.admit(Arc::clone(&name), seat, entry);
        }
        // The events it waited for, to this connection alone: the others
        // had them.
        for event in &events {
            if event.seq > entry.since && event.target.includes(&name, entry.identified) {
                locked.fan_out(&event.frame, Recipients::Conn(&name, id));
            }
        }
        drop(locked);
        Joined {
            membership: Membership { room, id, name },
            outbox,
            kicked,
        }
    }

    /// Gives up on a pending join (Redis failed): joins locally instead,
    /// as `base` made unique among this node's members (as it is, if
    /// `identified`).
    pub(crate) fn cancel(
        &self,
        pending: PendingJoin,
        base: &str,
        resume: &Resume,
        identified: bool,
    ) -> Joined {
        pending.room.lock().state.pending.remove(&pending.id);
        self.join_as(pending.room.name(), base, resume, identified)
    }
    // ANCHOR_END: join_pending

    // ANCHOR: deliver
    /// Delivers an event that came through Redis to this node's members of
    /// `room` (pending joiners keep it for later).
    pub(crate) fn deliver(&self, room: &str, event: RemoteEvent) {
        let Some(room) = self.get(room) else {
            return;
        };
        let mut locked = room.lock();
        locked.fan_out(&event.frame, Recipients::Remote(event.seq, &event.target));
        if !locked.state.pending.is_empty() {
            let event = Arc::new(event);
            for waiting in locked.state.pending.values_mut() {
                // A joiner is pending for one round trip to Redis; a room
                // that outpaces that by a whole queue drops the event.
                if waiting.events.len() < QUEUE_CAPACITY {
                    waiting.events.push(Arc::clone(&event));
                }
            }
        }
    }
    // ANCHOR_END: deliver

    /// After (re)subscribing to Redis, whose counters may have started
    /// afresh: every event that arrives from now on is new to every member.
    pub(crate) fn reset_since(&self) {
        for room in self.all() {
            for member in room.lock().state.members.values_mut() {
                for conn in &mut member.conns {
                    conn.since = 0;
                }
            }
        }
    }
}
