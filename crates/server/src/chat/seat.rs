//! A connection's place in a room: the room's ends of its outbound queue
//! and of its kick, made before the room's lock is taken, and kept in the
//! member while the connection is there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use super::queue::Inbox;

/// One connection of a member: the room's ends of its queue and kick.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) id: u64,
    pub(crate) inbox: Inbox,
    pub(crate) kick: Arc<Kick>,
    /// With `--redis`: Redis events up to this sequence number were
    /// already in this connection's `welcome` (0: every event is new).
    /// Per connection, because a member's second connection joins later
    /// than its first.
    pub(crate) since: u64,
}

/// A member-to-be: its id and the room's ends of its queue and kick,
/// made before the room's lock is taken.
#[derive(Debug)]
pub(crate) struct Seat {
    pub(crate) id: u64,
    pub(crate) inbox: Inbox,
    pub(crate) kick: Arc<Kick>,
}

/// How the room tells a session it has been dropped: as a slow consumer
/// (1008), or removed through the HTTP API (4003).
#[derive(Debug, Default)]
pub(crate) struct Kick {
    notify: Notify,
    removed: AtomicBool,
}

impl Kick {
    /// Dropped as a slow consumer.
    pub(crate) fn slow(&self) {
        self.notify.notify_one();
    }

    /// Removed (`DELETE /api/rooms/{room}/users/{name}`).
    pub(crate) fn remove(&self) {
        self.removed.store(true, Relaxed);
        self.notify.notify_one();
    }

    /// Resolves once kicked (a kick before the wait is kept).
    pub(crate) fn notified(&self) -> Notified<'_> {
        self.notify.notified()
    }

    /// Whether the kick was a removal rather than a slow queue.
    pub(crate) fn was_removal(&self) -> bool {
        self.removed.load(Relaxed)
    }
}
