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
//!   path of the rooms (one node's members only, as with `super::local`). A lost subscription is
//!   made again with backoff; the presence refresh then writes this node's
//!   members back (a restarted Redis has lost them).
//!
//! | module | what it holds |
//! |---|---|
//! | `wire` | key names, presence entries, the events on a channel |
//! | `scripts` | the Lua scripts (`*.lua`) |
//! | `commands` | what a session asks: join, say, direct, who, leave |
//! | `backend` | what the HTTP API asks: publish, users, history, remove, on every node |
//! | `tasks` | the background tasks: subscription, presence, slow consumers |

mod backend;
mod commands;
mod scripts;
mod tasks;
mod wire;

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use tokio::sync::{Notify, mpsc};
use tracing::{debug, info, warn};

use self::scripts::Scripts;
use super::fanout::{Dropped, Relay};
use super::history::Limits;
use super::registry::Rooms;
use crate::metrics::Metrics;

/// How long a command or a connection attempt may take before Redis is
/// treated as away (the event then stays local).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// The first wait before subscribing again after a loss; doubled at each
/// failed attempt, up to [`BACKOFF_MAX`], with ±20 % jitter.
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
/// The longest wait between attempts to reach Redis.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// A node's connection to the others through Redis.
pub(crate) struct RedisLayer {
    client: Client,
    /// Where Redis is, for log lines (`host:port`, never a password).
    addr: String,
    conn: ConnectionManager,
    /// This node's id: random, new at every start.
    node: String,
    ttl: Duration,
    /// This node's members.
    rooms: Rooms,
    /// `subscribed && commands_ok`, shared with the rooms' [`Relay`].
    up: Arc<AtomicBool>,
    subscribed: AtomicBool,
    commands_ok: AtomicBool,
    /// Wakes the presence task at once (after a new subscription).
    refresh: Notify,
    /// Slow consumers' `leave`s, until the task that publishes them starts.
    dropped: Mutex<Option<mpsc::UnboundedReceiver<Dropped>>>,
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
    /// starts even while Redis is away, and runs degraded until it comes),
    /// with a registry of rooms whose slow consumers leave through Redis.
    /// Members of a node silent for `ttl` leave on the others.
    ///
    /// # Errors
    /// The URL is not a Redis URL.
    pub(crate) fn new(
        url: &str,
        ttl: Duration,
        metrics: Arc<Metrics>,
        limits: Limits,
    ) -> redis::RedisResult<Self> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(BACKOFF_MAX);
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        metrics.redis_configured.store(true, Relaxed);
        let up = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::unbounded_channel();
        let relay = Relay {
            up: Arc::clone(&up),
            dropped: sender,
        };
        let addr = client.get_connection_info().addr().to_string();
        Ok(Self {
            client,
            addr,
            conn,
            node: node_id(),
            ttl,
            rooms: Rooms::new(metrics, Some(relay), limits, None),
            up,
            subscribed: AtomicBool::new(false),
            commands_ok: AtomicBool::new(false),
            refresh: Notify::new(),
            dropped: Mutex::new(Some(receiver)),
            scripts: Scripts::new(),
        })
    }

    fn metrics(&self) -> &Metrics {
        self.rooms.metrics()
    }

    /// Whether events go through Redis now.
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Relaxed)
    }

    fn set_state(&self) {
        let up = self.subscribed.load(Relaxed) && self.commands_ok.load(Relaxed);
        let was = self.up.swap(up, Relaxed);
        self.metrics().redis_up.store(u64::from(up), Relaxed);
        if up && !was {
            info!(redis = %self.addr, node = %self.node, "redis reachable: rooms are shared with the other nodes");
        } else if was && !up {
            warn!(redis = %self.addr, "redis unavailable: rooms are local to this node until it is back");
        }
    }

    /// A command failed: counted, and Redis is treated as away until the
    /// next successful presence refresh.
    fn failed(&self, what: &str, error: &RedisError) {
        self.metrics().redis_publish_failures.fetch_add(1, Relaxed);
        if self.up.load(Relaxed) {
            warn!(what, %error, "redis command failed; delivering locally");
        } else {
            debug!(what, %error, "redis command failed");
        }
        self.commands_ok.store(false, Relaxed);
        self.set_state();
    }
}
