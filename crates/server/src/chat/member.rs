//! A member of this node in a room, and its connections: how a room
//! seats one, adds another connection to one (a token's `sub` on a second
//! tab), and removes one.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::room::Locked;
use super::seat::{Conn, Seat};

/// A member of this node in a room: one name, one or more connections
/// (with a token, every connection of one `sub` is the same member; with
/// `--redis`, the same member may have connections on other nodes too).
#[derive(Debug)]
pub(crate) struct Member {
    /// Its place in the join order.
    pub(crate) seq: u64,
    /// Its connections, in the order they came; never empty while it is
    /// a member.
    pub(crate) conns: Vec<Conn>,
    /// With `--redis`: the sequence number of its `join` (0 if it joined
    /// while Redis was away), for the join order across nodes.
    pub(crate) joined: u64,
    /// Named by a token's `sub`: the same member wherever its connections
    /// are (a `direct` it sends is echoed to all of them, on every node).
    pub(crate) identified: bool,
}

/// Where a connection joins: Redis events up to `since` were already in
/// its `welcome`; its member's `join` had the number `joined`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Entry {
    pub(crate) since: u64,
    pub(crate) joined: u64,
    pub(crate) identified: bool,
}

impl Locked<'_> {
    /// Seats `name` as a member, last in the join order, with its first
    /// connection here.
    pub(crate) fn admit(&mut self, name: Arc<str>, seat: Seat, entry: Entry) {
        let seq = self.state.next_seq;
        self.state.next_seq += 1;
        let Seat { id, inbox, kick } = seat;
        let since = entry.since;
        let member = Member {
            seq,
            conns: vec![Conn {
                id,
                inbox,
                kick,
                since,
            }],
            joined: entry.joined,
            identified: entry.identified,
        };
        self.state.order.insert(seq, Arc::clone(&name));
        match self.state.members.insert(name, member) {
            // Names are made unique before a member is seated; should one
            // be taken all the same, its old place goes with it.
            Some(old) => {
                self.state.order.remove(&old.seq);
            }
            None => {
                self.room.metrics().chat_members.fetch_add(1, Relaxed);
            }
        }
    }

    /// Adds a connection to the member `name` (another tab of the same
    /// token's `sub`): nobody hears a `join`. Redis events up to `since`
    /// were in its `welcome`.
    pub(crate) fn attach(&mut self, name: &str, seat: Seat, since: u64) {
        if let Some(member) = self.state.members.get_mut(name) {
            let Seat { id, inbox, kick } = seat;
            member.conns.push(Conn {
                id,
                inbox,
                kick,
                since,
            });
        }
    }

    /// Removes connection `id` of `name`; after its last connection the
    /// member is removed, and the others get `leave` if `announce`.
    pub(crate) fn remove(&mut self, name: &str, id: u64, announce: bool) {
        let Some(member) = self.state.members.get_mut(name) else {
            return;
        };
        member.conns.retain(|c| c.id != id);
        if !member.conns.is_empty() {
            return;
        }
        if let Some(member) = self.state.members.remove(name) {
            self.state.order.remove(&member.seq);
            self.room.metrics().chat_members.fetch_sub(1, Relaxed);
            if announce {
                self.announce_leave(name);
            }
        }
    }
}
