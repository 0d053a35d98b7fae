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
use super::room::{Joined, Kick, Membership, Room, Seat};

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

    /// Makes a pending joiner a member called `name`, whose `join` had
    /// sequence number `since`, with `others` (in join order) already in
    /// the room: it gets `welcome`, the history read with its `join`
    /// (`history`), then the events after its `join`. (The others get
    /// that `join` from Redis.)
    pub(crate) fn activate(
        &self,
        pending: PendingJoin,
        name: &str,
        since: u64,
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
        // away may still hold it here.
        let name = unique_name(&locked.state.members, name);
        let mut users = others.to_vec();
        users.retain(|u| *u != &*name);
        let numbering = (history.epoch.as_str(), history.last);
        let welcome = locked.welcome_at(&name, users, numbering, history.catch_up.recovered);
        let frames = history.catch_up.frames.iter().cloned();
        outbox.put_first(std::iter::once(welcome).chain(frames));
        locked.admit(Arc::clone(&name), seat, since);
        // The events it waited for, to it alone: the others had them.
        for event in &events {
            if event.seq > since && event.target.includes(&name) {
                locked.fan_out(&event.frame, Recipients::Named(&[&name]));
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
    /// as `base` made unique among this node's members.
    pub(crate) fn cancel(&self, pending: PendingJoin, base: &str, resume: &Resume) -> Joined {
        pending.room.lock().state.pending.remove(&pending.id);
        self.join_as(pending.room.name(), base, resume, false)
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
                member.since = 0;
            }
        }
    }
}
