//! What a session asks of the Redis layer: join, say, direct, who, leave
//! ([`ChannelLayer`]). Each falls back to the local path of the rooms when
//! Redis is away or fails.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use ws_tokio::Utf8Bytes;

use super::super::history::{CatchUp, DEFAULT_BACKLOG, new_epoch};
use super::super::layer::ChannelLayer;
use super::super::names::candidate;
use super::super::protocol::{Event, Refusal, message_halves, now_ms};
use super::super::registry::Rooms;
use super::super::remote::Numbered;
use super::super::resume::Resume;
use super::super::room::{Entry, Joined, Membership};
use super::RedisLayer;
use super::wire::{self, Kind, NODE_PREFIX, channel, history_keys, members_key, seq_key};

/// `d` in whole milliseconds, for the scripts.
fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Names tried per round trip when the requested one is taken.
const CANDIDATES: usize = 16;

/// What `join.lua` returns: the name claimed, the number the joiner's
/// events start after, the living members as `name, entry, …`, the room's
/// epoch and last message seq, whether the resume is exact (1), the
/// history frames, and the number of the member's `join`.
type Claimed = Option<(String, u64, Vec<String>, String, u64, u8, Vec<String>, u64)>;

/// How long a room's presence outlives the last refresh of any node with
/// members in it: a room whose every node died is forgotten then.
pub(crate) fn keep_ms(ttl: std::time::Duration) -> u64 {
    millis(ttl).saturating_mul(3)
}

// Each step is boxed: a session holds its future for as long as it is
// connected, and the Redis round trips are larger than the rest of it.
impl ChannelLayer for RedisLayer {
    fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    async fn join(
        &self,
        room: &str,
        requested: Option<&str>,
        resume: &Resume,
        identified: bool,
    ) -> Joined {
        Box::pin(self.join_nodes(room, requested, resume, identified)).await
    }

    async fn say(&self, membership: &Membership, text: &str, id: Option<&str>) {
        Box::pin(self.say_nodes(membership, text, id)).await;
    }

    async fn direct(&self, membership: &Membership, to: &str, text: &str) -> Result<(), Refusal> {
        Box::pin(self.direct_nodes(membership, to, text)).await
    }

    async fn who(&self, membership: &Membership) {
        Box::pin(self.who_nodes(membership)).await;
    }

    async fn leave(&self, membership: Membership) {
        Box::pin(self.leave_nodes(membership)).await;
    }
}

impl RedisLayer {
    // ANCHOR: join
    /// Joins `room` across the nodes: the first free name of `requested`,
    /// `requested-2`, … (or `guest-N`) among every node's members; the
    /// `welcome` lists them all. An `identified` name (a token's `sub`) is
    /// one member on every node: a connection of it joins the member
    /// already there, with no `join`. Falls back to a local join if Redis
    /// fails.
    async fn join_nodes(
        &self,
        room: &str,
        requested: Option<&str>,
        resume: &Resume,
        identified: bool,
    ) -> Joined {
        let rooms = &self.rooms;
        let base = rooms.base_name(requested);
        if !self.is_up() {
            return rooms.join(room, Some(&base), resume, identified);
        }
        let pending = rooms.join_pending(room);
        // A token's `sub` is never renamed: one candidate.
        let candidates = if identified { 1 } else { CANDIDATES };
        let limits = rooms.limits();
        let backlog = resume.backlog.unwrap_or(DEFAULT_BACKLOG as u64);
        let mut first = 1;
        loop {
            let mut invocation = self.scripts.join.prepare_invoke();
            invocation
                .key(seq_key(room))
                .key(members_key(room))
                .key(&history_keys(room))
                .arg(channel(room))
                .arg(NODE_PREFIX)
                .arg(wire::holder(&self.node, pending.id()))
                .arg(keep_ms(self.ttl))
                .arg(&*new_epoch())
                .arg(resume.since.map(|s| s.to_string()).unwrap_or_default())
                .arg(resume.epoch.as_deref().unwrap_or(""))
                .arg(backlog.min(limits.count as u64))
                .arg(limits.count)
                .arg(millis(limits.ttl))
                .arg(limits.bytes)
                .arg(now_ms())
                .arg(if identified { "1" } else { "0" });
            for n in first..first + candidates {
                let name = candidate(&base, n);
                let frame = Event::Join { room, name: &name }.encode();
                let event = wire::event(Kind::Join, &self.node, "", &name, frame.as_str());
                invocation.arg(&name).arg(event);
            }
            first += candidates;
            let mut conn = self.conn.clone();
            match invocation.invoke_async::<Claimed>(&mut conn).await {
                Ok(Some((name, since, live, epoch, last, recovered, frames, joined))) => {
                    let others = wire::join_order(&live);
                    let history = Numbered {
                        epoch,
                        last,
                        catch_up: CatchUp {
                            recovered: recovered == 1,
                            frames: frames.into_iter().map(Utf8Bytes::from).collect(),
                        },
                    };
                    let recovered = history.catch_up.recovered;
                    rooms.count_catch_up(resume, recovered, history.catch_up.frames.len());
                    let entry = Entry {
                        since,
                        joined,
                        identified,
                    };
                    return rooms.activate(pending, &name, entry, &others, &history);
                }
                // An identified name is always had; a `None` would loop.
                Ok(None) if identified => return rooms.cancel(pending, &base, resume, true),
                Ok(None) => {}
                Err(e) => {
                    self.failed("join", &e);
                    return rooms.cancel(pending, &base, resume, identified);
                }
            }
        }
    }
    // ANCHOR_END: join

    // ANCHOR: say
    /// Publishes a room message; delivered (to the sender too) when it comes
    /// back from Redis.
    async fn say_nodes(&self, membership: &Membership, text: &str, id: Option<&str>) {
        if !self.is_up() || !membership.is_current() {
            return membership.say(text, id);
        }
        let said = self
            .say_script(membership.room(), membership.name(), text, id)
            .await;
        let metrics = self.metrics();
        match said {
            Ok((new, seq)) => {
                if new == 1 {
                    metrics.chat_messages.fetch_add(1, Relaxed);
                } else {
                    metrics.chat_deduplicated.fetch_add(1, Relaxed);
                }
                // The sender's copy comes back through Redis; the ack may
                // come first (the page settles on either).
                if let Some(id) = id {
                    membership.reply(&Event::Ack { id, seq }.encode());
                }
            }
            Err(e) => {
                self.failed("publish", &e);
                membership.say(text, id);
            }
        }
    }
    // ANCHOR_END: say

    /// Runs `say.lua`: a room message from `from`, numbered, kept and
    /// published to every node; `(1, seq)`, or `(0, seq)` for an `id`
    /// already kept.
    pub(crate) async fn say_script(
        &self,
        room: &str,
        from: &str,
        text: &str,
        id: Option<&str>,
    ) -> redis::RedisResult<(u8, u64)> {
        let (before, after) = message_halves(room, from, text, now_ms(), id);
        let head = wire::event(Kind::Message, &self.node, "", from, "");
        let limits = self.rooms.limits();
        let mut conn = self.conn.clone();
        self.scripts
            .say
            .key(seq_key(room))
            .key(members_key(room))
            .key(&history_keys(room))
            .arg(channel(room))
            .arg(head)
            .arg(before)
            .arg(after)
            .arg(id.unwrap_or(""))
            .arg(&*new_epoch())
            .arg(limits.count)
            .arg(millis(limits.ttl))
            .arg(limits.bytes)
            .arg(now_ms())
            .invoke_async::<(u8, u64)>(&mut conn)
            .await
    }

    /// Publishes a direct message to `to`, on whichever node it is.
    ///
    /// # Errors
    /// `unknown_user` if no node has a member called `to` in this room.
    async fn direct_nodes(
        &self,
        membership: &Membership,
        to: &str,
        text: &str,
    ) -> Result<(), Refusal> {
        if !self.is_up() || !membership.is_current() {
            return membership.direct(to, text);
        }
        let room = membership.room();
        let frame = Event::Direct {
            from: membership.name(),
            to,
            text,
            ts: now_ms(),
        }
        .encode();
        let event = wire::event(
            Kind::Direct,
            &self.node,
            to,
            membership.name(),
            frame.as_str(),
        );
        match self.publish(room, to, &event).await {
            Ok(0) => Err(Refusal::unknown_user(to)),
            Ok(_) => {
                self.metrics().chat_directs.fetch_add(1, Relaxed);
                Ok(())
            }
            Err(e) => {
                self.failed("publish", &e);
                membership.direct(to, text)
            }
        }
    }

    /// Answers `who` with the members of every node, in join order.
    async fn who_nodes(&self, membership: &Membership) {
        if !self.is_up() {
            return membership.who();
        }
        match self.living(membership.room()).await {
            Ok(live) => {
                let frame = Event::Users {
                    room: membership.room(),
                    users: wire::join_order(&live),
                }
                .encode();
                membership.reply(&frame);
            }
            Err(e) => {
                self.failed("who", &e);
                membership.who();
            }
        }
    }

    /// The living members of `room` on every node, as `name, entry, …`
    /// (the entries of vanished nodes are removed first, so a crashed
    /// node's members are never listed).
    pub(crate) async fn living(&self, room: &str) -> redis::RedisResult<Vec<String>> {
        let mut conn = self.conn.clone();
        self.scripts
            .reap
            .key(seq_key(room))
            .key(members_key(room))
            .arg(channel(room))
            .arg(NODE_PREFIX)
            .arg(keep_ms(self.ttl))
            .invoke_async(&mut conn)
            .await
    }

    /// Leaves: the connection is removed here at once; if it was its
    /// member's last one anywhere, the `leave` goes to every node through
    /// Redis (locally if Redis fails).
    async fn leave_nodes(&self, membership: Membership) {
        if !self.is_up() {
            return membership.leave(&self.rooms);
        }
        let room = Arc::clone(membership.room());
        let name: Arc<str> = Arc::from(membership.name());
        let id = membership.id();
        if let Some(last) = membership.leave_quietly(&self.rooms) {
            self.publish_leave(&room, &name, id, last).await;
        }
    }

    /// Takes connection `id` of `name` out of the presence entry, and
    /// publishes the member's `leave` if it has no connection left on any
    /// node. `last`: it was the member's last connection on this node.
    pub(crate) async fn publish_leave(&self, room: &str, name: &str, id: u64, last: bool) {
        // No frame: every receiving node builds the `leave` (see `wire`).
        let event = wire::event(Kind::Leave, &self.node, "", name, "");
        match self.remove_entry(room, name, id, &event).await {
            // Published, or the member still has connections elsewhere.
            Ok(seq) if seq != 0 => {}
            // Not in Redis (it joined while Redis was away, and Redis has
            // not heard of it yet): only this node knows it.
            Ok(_) if last => self.rooms.announce_leave(room, name),
            Ok(_) => {}
            Err(e) => {
                self.failed("leave", &e);
                if last {
                    self.rooms.announce_leave(room, name);
                }
            }
        }
    }

    /// Removes connection `id`'s holder from `name`'s presence entry; if
    /// none is left, removes the entry and publishes `event` unless that
    /// is empty. Returns the event's sequence number (0: the holder was
    /// not there, or nothing published; -1: the member has other
    /// connections).
    pub(crate) async fn remove_entry(
        &self,
        room: &str,
        name: &str,
        id: u64,
        event: &str,
    ) -> redis::RedisResult<i64> {
        let mut conn = self.conn.clone();
        self.scripts
            .leave
            .key(seq_key(room))
            .key(members_key(room))
            .arg(channel(room))
            .arg(name)
            .arg(wire::holder(&self.node, id))
            .arg(event)
            .invoke_async(&mut conn)
            .await
    }

    /// Publishes `event` in `room` with the next number; 0 if `to` is not
    /// empty and names nobody.
    pub(super) async fn publish(
        &self,
        room: &str,
        to: &str,
        event: &str,
    ) -> redis::RedisResult<u64> {
        let mut conn = self.conn.clone();
        self.scripts
            .publish
            .key(seq_key(room))
            .key(members_key(room))
            .arg(channel(room))
            .arg(to)
            .arg(event)
            .invoke_async(&mut conn)
            .await
    }
}
