//! The Redis channel layer (`--redis URL`): several `ws-server` nodes share
//! their rooms, the way Django Channels' Redis layer lets several Django
//! processes share groups. The whole design is in `docs/redis.md`.
//!
//! ```text
//!  session (node A) ──EVALSHA──► Redis: INCR ws:room:R:seq ─► PUBLISH ws:chat:R "seq\n…"
//!                                  (one script: atomic, so the    │
//!                                   counter's order is the order  │ one pub/sub connection
//!                                   of the publishes)             ▼ per node: PSUBSCRIBE ws:chat:*
//!                                              node A subscriber ─┴─ node B subscriber
//!                                                     │                    │
//!                                            Rooms::deliver        Rooms::deliver
//!                                            (local members)       (local members)
//! ```
//!
//! * **Order.** Every room event (`join`, `leave`, `message`, `direct`) is
//!   published by a Lua script that takes the next number of the room's
//!   counter and publishes in the same atomic step. Redis runs one script
//!   at a time and sends pub/sub messages to each subscriber in the order it
//!   ran the `PUBLISH`es, so every node receives a room's events in counter
//!   order, its own included. A node delivers to its local members only what
//!   comes back from Redis (never its own events directly), so there is one
//!   order for everyone and nothing arrives twice.
//! * **Presence.** `ws:room:R:members` is a hash `name → "node id seq"`;
//!   the join script claims the first free name (`HEXISTS`, so names are
//!   unique across nodes) and returns the others. Each node refreshes
//!   `ws:node:ID` (a key with a TTL) every third of the TTL; a member whose
//!   node key has expired is removed (and its `leave` published) by the next
//!   join or presence refresh of any node with members in that room.
//! * **Resilience.** While Redis is unusable, everything runs on the local
//!   path of `registry` and `room` (one node's members only). A lost subscription is
//!   made again with backoff; the presence refresh then writes this node's
//!   members back (a restarted Redis has lost them).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};
use tokio::sync::{Notify, mpsc};
use tracing::{debug, info, warn};

use super::fanout::Dropped;
use super::names::candidate;
use super::protocol::now_ms;
use super::protocol::{Event, Refusal};
use super::registry::Rooms;
use super::remote::{RemoteEvent, Target};
use super::room::{Joined, Membership};
use crate::Metrics;

/// The channels of every room: `ws:chat:{room}`.
const CHANNELS: &str = "ws:chat:*";
/// Node keys: `ws:node:{id}`, with the presence TTL.
const NODE_PREFIX: &str = "ws:node:";
/// How long a command or a connection attempt may take before Redis is
/// treated as away (the event then stays local).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// Reconnection backoff for the subscription: doubled from the first to
/// the last, with ±20 % jitter.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));
/// Names tried per round trip when the requested one is taken.
const CANDIDATES: usize = 16;

fn channel(room: &str) -> String {
    format!("ws:chat:{room}")
}

fn seq_key(room: &str) -> String {
    format!("ws:room:{room}:seq")
}

fn members_key(room: &str) -> String {
    format!("ws:room:{room}:members")
}

// ANCHOR: scripts
/// Removes the members of nodes whose key has expired, publishing a
/// `leave` for each; returns the living members as `name, value, …`.
/// Deletes the counter once the room is empty everywhere.
const REAP: &str = r#"
local function reap(room, seqkey, members, chan, prefix)
  local alive, live = {}, {}
  local all = redis.call('HGETALL', members)
  for i = 1, #all, 2 do
    local name, value = all[i], all[i + 1]
    local node = string.match(value, '^(%S+)') or ''
    if alive[node] == nil then
      alive[node] = redis.call('EXISTS', prefix .. node) == 1
    end
    if alive[node] then
      live[#live + 1] = name
      live[#live + 1] = value
    else
      redis.call('HDEL', members, name)
      local seq = redis.call('INCR', seqkey)
      redis.call('PUBLISH', chan, seq .. '\nL\n-\n\n' .. name .. '\n{"type":"leave","room":'
        .. cjson.encode(room) .. ',"name":' .. cjson.encode(name) .. '}')
    end
  end
  return live
end
"#;

/// KEYS: counter, members. ARGV: room, channel, node prefix, node, member
/// id, then (name, `join` frame) pairs: claims the first free name.
const JOIN: &str = r#"
local live = reap(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3])
for i = 6, #ARGV, 2 do
  local name = ARGV[i]
  if redis.call('HEXISTS', KEYS[2], name) == 0 then
    local seq = redis.call('INCR', KEYS[1])
    redis.call('HSET', KEYS[2], name, ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. seq)
    redis.call('PUBLISH', ARGV[2], seq .. '\nJ\n' .. ARGV[4] .. '\n\n' .. name .. '\n' .. ARGV[i + 1])
    return {name, seq, live}
  end
end
return false
"#;

/// KEYS: counter, members. ARGV: channel, direct target (or ''), event.
/// Publishes with the next number; 0 if the target is nobody.
const PUBLISH: &str = r#"
if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return 0 end
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[3])
return seq
"#;

/// KEYS: counter, members. ARGV: channel, name, node, member id, event,
/// '1' to publish it. Removes the entry if it is this member's.
const LEAVE: &str = r#"
local value = redis.call('HGET', KEYS[2], ARGV[2])
if not value then return 0 end
local node, id = string.match(value, '^(%S+) (%S+)')
if node ~= ARGV[3] or id ~= ARGV[4] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
local seq = 0
if ARGV[6] == '1' then
  seq = redis.call('INCR', KEYS[1])
  redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[5])
end
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
return seq
"#;
// ANCHOR_END: scripts

/// KEYS: counter, members. ARGV: room, channel, node prefix.
const REAP_ROOM: &str = r#"
return #reap(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3]) / 2
"#;

struct Scripts {
    join: Script,
    publish: Script,
    leave: Script,
    reap: Script,
}

/// A node's connection to the others through Redis.
pub(crate) struct RedisLayer {
    client: Client,
    conn: ConnectionManager,
    /// This node's id: random, new at every start.
    node: String,
    ttl: Duration,
    /// `subscribed && commands_ok`, shared with the rooms' [`super::Relay`].
    up: Arc<AtomicBool>,
    subscribed: AtomicBool,
    commands_ok: AtomicBool,
    /// Wakes the presence task at once (after a new subscription).
    refresh: Notify,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLayer")
            .field("node", &self.node)
            .field("up", &self.up)
            .finish_non_exhaustive()
    }
}

/// A random node id (no `rand` dependency: the clock and the process id
/// through std's randomly keyed SipHash).
fn node_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

impl RedisLayer {
    /// Checks the URL and prepares the connections (made lazily: a node
    /// starts even while Redis is away, and runs degraded until it comes).
    ///
    /// # Errors
    /// The URL is not a Redis URL.
    pub(crate) fn new(url: &str, ttl: Duration, up: Arc<AtomicBool>) -> redis::RedisResult<Self> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(BACKOFF.1);
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        let scripts = Scripts {
            join: Script::new(&format!("{REAP}{JOIN}")),
            publish: Script::new(PUBLISH),
            leave: Script::new(LEAVE),
            reap: Script::new(&format!("{REAP}{REAP_ROOM}")),
        };
        Ok(Self {
            client,
            conn,
            node: node_id(),
            ttl,
            up,
            subscribed: AtomicBool::new(false),
            commands_ok: AtomicBool::new(false),
            refresh: Notify::new(),
            scripts,
        })
    }

    /// Whether events go through Redis now.
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Relaxed)
    }

    fn set_state(&self, metrics: &Metrics) {
        let up = self.subscribed.load(Relaxed) && self.commands_ok.load(Relaxed);
        let was = self.up.swap(up, Relaxed);
        metrics.redis_up.store(u64::from(up), Relaxed);
        if up && !was {
            info!(node = %self.node, "redis channel layer up: rooms are shared");
        } else if was && !up {
            warn!("redis unavailable: rooms are local to this node until it is back");
        }
    }

    /// A command failed: counted, and Redis is treated as away until the
    /// next successful presence refresh.
    fn failed(&self, what: &str, error: &RedisError, metrics: &Metrics) {
        metrics.redis_publish_failures.fetch_add(1, Relaxed);
        if self.up.load(Relaxed) {
            warn!(what, %error, "redis command failed; delivering locally");
        } else {
            debug!(what, %error, "redis command failed");
        }
        self.commands_ok.store(false, Relaxed);
        self.set_state(metrics);
    }

    // ANCHOR: join
    /// Joins `room` across the nodes: the first free name of `requested`,
    /// `requested-2`, … (or `guest-N`) among every node's members; the
    /// `welcome` lists them all. Falls back to a local join if Redis fails.
    pub(crate) async fn join(
        &self,
        rooms: &Rooms,
        room: &str,
        requested: Option<&str>,
        metrics: &Metrics,
    ) -> Joined {
        let base = rooms.base_name(requested);
        if !self.is_up() {
            return rooms.join(room, Some(&base));
        }
        let pending = rooms.join_pending(room);
        let mut first = 1;
        loop {
            let mut invocation = self.scripts.join.prepare_invoke();
            invocation
                .key(seq_key(room))
                .key(members_key(room))
                .arg(room)
                .arg(channel(room))
                .arg(NODE_PREFIX)
                .arg(&self.node)
                .arg(pending.id());
            for n in first..first + CANDIDATES {
                let name = candidate(&base, n);
                let frame = Event::Join { room, name: &name }.encode();
                invocation.arg(&name).arg(frame.as_str());
            }
            first += CANDIDATES;
            let mut conn = self.conn.clone();
            match invocation
                .invoke_async::<Option<(String, u64, Vec<String>)>>(&mut conn)
                .await
            {
                Ok(Some((name, seq, live))) => {
                    let others = join_order(&live);
                    return rooms.activate(pending, &name, seq, &others);
                }
                Ok(None) => {}
                Err(e) => {
                    self.failed("join", &e, metrics);
                    return rooms.cancel(pending, &base);
                }
            }
        }
    }
    // ANCHOR_END: join

    // ANCHOR: say
    /// Publishes a room message; delivered (to the sender too) when it comes
    /// back from Redis.
    pub(crate) async fn say(&self, membership: &Membership, text: &str, metrics: &Metrics) {
        if !self.is_up() || !membership.is_current() {
            return membership.say(text);
        }
        let room = membership.room();
        let frame = Event::Message {
            room,
            from: membership.name(),
            text,
            ts: now_ms(),
        }
        .encode();
        let event = format!("M\n{}\n\n{}\n{frame}", self.node, membership.name());
        match self.publish(room, "", &event).await {
            Ok(_) => {
                metrics.chat_messages.fetch_add(1, Relaxed);
            }
            Err(e) => {
                self.failed("publish", &e, metrics);
                membership.say(text);
            }
        }
    }
    // ANCHOR_END: say

    /// Publishes a direct message to `to`, on whichever node it is.
    ///
    /// # Errors
    /// `unknown_user` if no node has a member called `to` in this room.
    pub(crate) async fn direct(
        &self,
        membership: &Membership,
        to: &str,
        text: &str,
        metrics: &Metrics,
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
        let event = format!("D\n{}\n{to}\n{}\n{frame}", self.node, membership.name());
        match self.publish(room, to, &event).await {
            Ok(0) => Err(Refusal::unknown_user(to)),
            Ok(_) => {
                metrics.chat_directs.fetch_add(1, Relaxed);
                Ok(())
            }
            Err(e) => {
                self.failed("publish", &e, metrics);
                membership.direct(to, text)
            }
        }
    }

    /// Answers `who` with the members of every node, in join order.
    pub(crate) async fn who(&self, membership: &Membership, metrics: &Metrics) {
        if !self.is_up() {
            return membership.who();
        }
        let mut conn = self.conn.clone();
        let result = redis::cmd("HGETALL")
            .arg(members_key(membership.room()))
            .query_async::<Vec<String>>(&mut conn)
            .await;
        match result {
            Ok(live) => {
                let users = join_order(&live);
                let frame = Event::Users {
                    room: membership.room(),
                    users,
                }
                .encode();
                membership.reply(&frame);
            }
            Err(e) => {
                self.failed("who", &e, metrics);
                membership.who();
            }
        }
    }

    /// Leaves: removed here at once, and its `leave` goes to every node
    /// through Redis (locally if Redis fails).
    pub(crate) async fn leave(&self, membership: Membership, rooms: &Rooms, metrics: &Metrics) {
        if !self.is_up() {
            return membership.leave(rooms);
        }
        let room = Arc::clone(membership.room());
        let name: Arc<str> = Arc::from(membership.name());
        let id = membership.id();
        if membership.leave_quietly(rooms) {
            self.publish_leave(&room, &name, id, rooms, metrics).await;
        }
    }

    /// Publishes the `leave` of a member removed here.
    async fn publish_leave(
        &self,
        room: &str,
        name: &str,
        id: u64,
        rooms: &Rooms,
        metrics: &Metrics,
    ) {
        let frame = Event::Leave { room, name }.encode();
        let event = format!("L\n{}\n\n{name}\n{frame}", self.node);
        match self.remove_entry(room, name, id, Some(&event)).await {
            Ok(seq) if seq > 0 => {}
            // Not in Redis (it joined while Redis was away, and Redis has
            // not heard of it yet): only this node knows it.
            Ok(_) => rooms.announce_leave(room, name),
            Err(e) => {
                self.failed("leave", &e, metrics);
                rooms.announce_leave(room, name);
            }
        }
    }

    /// Removes a member's presence entry if it is still this member's;
    /// publishes `event` with it if given. Returns its sequence number.
    async fn remove_entry(
        &self,
        room: &str,
        name: &str,
        id: u64,
        event: Option<&str>,
    ) -> redis::RedisResult<u64> {
        let mut conn = self.conn.clone();
        self.scripts
            .leave
            .key(seq_key(room))
            .key(members_key(room))
            .arg(channel(room))
            .arg(name)
            .arg(&self.node)
            .arg(id)
            .arg(event.unwrap_or(""))
            .arg(if event.is_some() { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await
    }

    async fn publish(&self, room: &str, to: &str, event: &str) -> redis::RedisResult<u64> {
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

    // ANCHOR: refresh
    /// One presence refresh: this node's key (with the TTL), an entry for
    /// each local member that has none (after a Redis restart, or for a
    /// member that joined while Redis was away), and the removal of other
    /// nodes' vanished members in this node's rooms.
    async fn refresh_presence(&self, rooms: &Rooms, metrics: &Metrics) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        redis::cmd("SET")
            .arg(format!("{NODE_PREFIX}{}", self.node))
            .arg(1)
            .arg("PX")
            .arg(ttl_ms)
            .query_async::<()>(&mut conn)
            .await?;
        let snapshot = rooms.snapshot();
        for (room, members) in &snapshot {
            if !members.is_empty() {
                let mut pipe = redis::pipe();
                for member in members {
                    pipe.cmd("HSETNX")
                        .arg(members_key(room))
                        .arg(&*member.name)
                        .arg(format!("{} {} {}", self.node, member.id, member.joined));
                }
                let added: Vec<bool> = pipe.query_async(&mut conn).await?;
                // A member that left between the snapshot and HSETNX must
                // not stay in Redis as a ghost.
                for (member, added) in members.iter().zip(added) {
                    if added && !rooms.is_member(room, &member.name, member.id) {
                        self.remove_entry(room, &member.name, member.id, None)
                            .await?;
                    }
                }
            }
            let live: usize = self
                .scripts
                .reap
                .key(seq_key(room))
                .key(members_key(room))
                .arg(&**room)
                .arg(channel(room))
                .arg(NODE_PREFIX)
                .invoke_async(&mut conn)
                .await?;
            debug!(%room, live, "presence refreshed");
        }
        let _ = metrics;
        Ok(())
    }
    // ANCHOR_END: refresh

    /// Starts the background tasks: the subscription, the presence
    /// refresh, and the `leave`s of slow consumers.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        shared: &Arc<crate::Shared>,
        dropped: mpsc::UnboundedReceiver<Dropped>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(Arc::clone(self).subscribe_loop(Arc::clone(shared))),
            tokio::spawn(Arc::clone(self).presence_loop(Arc::clone(shared))),
            tokio::spawn(Arc::clone(self).dropped_loop(Arc::clone(shared), dropped)),
        ]
    }

    async fn presence_loop(self: Arc<Self>, shared: Arc<crate::Shared>) {
        let period = self.ttl / 3;
        loop {
            let refresh = self.refresh.notified();
            match tokio::time::timeout(
                period.max(COMMAND_TIMEOUT),
                self.refresh_presence(&shared.rooms, &shared.metrics),
            )
            .await
            {
                Ok(Ok(())) => {
                    self.commands_ok.store(true, Relaxed);
                    self.set_state(&shared.metrics);
                }
                Ok(Err(e)) => self.failed("presence", &e, &shared.metrics),
                Err(_) => {
                    self.commands_ok.store(false, Relaxed);
                    self.set_state(&shared.metrics);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(period) => {}
                () = refresh => {}
            }
        }
    }

    async fn dropped_loop(
        self: Arc<Self>,
        shared: Arc<crate::Shared>,
        mut dropped: mpsc::UnboundedReceiver<Dropped>,
    ) {
        while let Some(Dropped { room, name, id }) = dropped.recv().await {
            self.publish_leave(&room, &name, id, &shared.rooms, &shared.metrics)
                .await;
        }
    }

    // ANCHOR: subscribe_loop
    /// Keeps one pub/sub connection subscribed to every room's channel,
    /// reconnecting with backoff, and delivers what arrives.
    async fn subscribe_loop(self: Arc<Self>, shared: Arc<crate::Shared>) {
        let metrics = &shared.metrics;
        let mut backoff = BACKOFF.0;
        let mut lost_once = false;
        loop {
            let attempt = async {
                let mut pubsub = self.client.get_async_pubsub().await?;
                pubsub.psubscribe(CHANNELS).await?;
                Ok::<_, RedisError>(pubsub)
            };
            match tokio::time::timeout(COMMAND_TIMEOUT * 2, attempt).await {
                Ok(Ok(pubsub)) => {
                    if lost_once {
                        metrics.redis_reconnects.fetch_add(1, Relaxed);
                    }
                    backoff = BACKOFF.0;
                    // Counters may have started afresh (a restarted Redis):
                    // whatever arrives now is new to every member.
                    shared.rooms.reset_since();
                    self.subscribed.store(true, Relaxed);
                    self.refresh.notify_one();
                    let mut last: HashMap<String, u64> = HashMap::new();
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        self.receive(&message, &mut last, &shared);
                    }
                    lost_once = true;
                    self.subscribed.store(false, Relaxed);
                    self.set_state(metrics);
                    warn!("redis subscription lost; reconnecting");
                }
                Ok(Err(e)) => debug!(error = %e, "redis subscribe failed"),
                Err(_) => debug!("redis subscribe timed out"),
            }
            tokio::time::sleep(jitter(backoff)).await;
            backoff = (backoff * 2).min(BACKOFF.1);
        }
    }
    // ANCHOR_END: subscribe_loop

    /// One event from Redis: `seq\nkind\nnode\nto\nfrom\nframe`.
    fn receive(
        &self,
        message: &redis::Msg,
        last: &mut HashMap<String, u64>,
        shared: &crate::Shared,
    ) {
        let metrics = &shared.metrics;
        let Some(room) = message.get_channel_name().strip_prefix("ws:chat:") else {
            return;
        };
        let Ok(payload) = std::str::from_utf8(message.get_payload_bytes()) else {
            return;
        };
        let Some((seq, kind, target)) = parse_event(&self.node, payload) else {
            warn!(room, "malformed event from redis");
            return;
        };
        metrics.redis_events.fetch_add(1, Relaxed);
        let previous = last.insert(room.to_owned(), seq);
        if let Some(previous) = previous
            && seq != previous + 1
            && seq > previous
        {
            metrics.redis_gaps.fetch_add(1, Relaxed);
            debug!(room, previous, seq, "gap in the room's sequence");
        }
        if kind == "L" && target.1.starts_with('-') {
            metrics.redis_reaped.fetch_add(1, Relaxed);
        }
        shared.rooms.deliver(room, target.0);
    }
}

/// Parses `seq\nkind\nnode\nto\nfrom\nframe` (names hold no control
/// characters, and JSON frames no raw newline). Returns the sequence
/// number, the kind (`J`, `L`, `M`, `D`), the event, and its origin node.
fn parse_event<'a>(node: &str, payload: &'a str) -> Option<(u64, &'a str, (RemoteEvent, &'a str))> {
    let mut parts = payload.splitn(6, '\n');
    let seq = parts.next()?.parse().ok()?;
    let kind = parts.next()?;
    let origin = parts.next()?;
    let to = parts.next()?;
    let from = parts.next()?;
    let frame = parts.next()?;
    let target = if kind == "D" {
        Target::Direct {
            to: to.into(),
            from: (origin == node).then(|| from.into()),
        }
    } else {
        Target::All
    };
    let event = RemoteEvent {
        seq,
        target,
        frame: frame.into(),
    };
    Some((seq, kind, (event, origin)))
}

/// The names of a `name, "node id seq", …` list in join order.
fn join_order(live: &[String]) -> Vec<&str> {
    let mut users: Vec<(&str, u64)> = live
        .chunks_exact(2)
        .map(|pair| {
            let seq = pair[1]
                .rsplit(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            (pair[0].as_str(), seq)
        })
        .collect();
    users.sort_by_key(|&(name, seq)| (seq, name));
    users.into_iter().map(|(name, _)| name).collect()
}

/// `d` ±20 %.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    // 0.8 + 0.4 * (nanos / 1e9)
    d.mul_f64(0.8 + 0.4 * f64::from(nanos) / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse() {
        let (seq, kind, (event, origin)) =
            parse_event("me", "7\nD\nme\nbob\nann\n{\"type\":\"direct\"}").unwrap();
        assert_eq!((seq, kind, origin), (7, "D", "me"));
        assert!(
            matches!(event.target, Target::Direct { ref to, from: Some(ref from) } if &**to == "bob" && &**from == "ann")
        );
        assert_eq!(event.frame.as_str(), "{\"type\":\"direct\"}");
        let (_, _, (event, _)) = parse_event("me", "8\nD\nother\nbob\nann\n{}").unwrap();
        assert!(matches!(event.target, Target::Direct { from: None, .. }));
        let (_, kind, (event, _)) = parse_event("me", "9\nM\nx\n\nann\n{\"a\":\"b\\nc\"}").unwrap();
        assert_eq!(kind, "M");
        assert!(matches!(event.target, Target::All));
        assert!(parse_event("me", "x\nM\n").is_none());
    }

    #[test]
    fn join_order_sorts_by_sequence() {
        let live: Vec<String> = ["bob", "n 2 9", "ann", "n 1 3", "cy", "m 5 0"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(join_order(&live), ["cy", "ann", "bob"]);
    }
}
