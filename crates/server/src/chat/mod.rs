//! `/chat/{room}?name={name}`: rooms, names, and the JSON protocol of
//! `docs/server-interface.md` §3.2 and §4.
//!
//! ```text
//!                      ┌──────────── one task per connection ────────────┐
//!  socket ─► reader ──►│ rate limit ─► protocol::parse ─► Membership::say │
//!                      │                                   direct / who  │
//!                      │                                      │          │
//!                      │                   Room (lock): sequence, encode │
//!                      │                   once, try_send to every queue │
//!                      │                                      │          │
//!  socket ◄─ writer ◄──│ outbox (bounded, 2048) ◄─────────────┘          │
//!                      └─────────────────────────────────────────────────┘
//! ```
//!
//! | module | what it does |
//! |---|---|
//! | `protocol` | commands in, events out, the plain-text fallback, validation |
//! | `names` | room names from the path, member names from the query, `-2`, `-3`, … |
//! | `queue` | a member's outbound queue, bounded in frames and bytes |
//! | `room` | one room's members behind its lock; a member's commands there |
//! | `fanout` | the fan-out policy: offer to each recipient, drop the slow ones |
//! | `registry` | every room by name; joins |
//! | `remote` | `--redis`: events in Redis's order, joiners waiting for theirs |
//! | `session` | one connection: the reader and the writer halves |
//! | `ratelimit` | the token bucket (20/s, burst 50) |
//! | `redis` | `--redis`: rooms shared by several nodes (`docs/redis.md`) |

mod fanout;
mod names;
mod protocol;
mod queue;
mod ratelimit;
mod redis;
mod registry;
mod remote;
mod room;
mod session;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub(crate) use names::{name_of, room_of};
pub(crate) use redis::RedisLayer;
pub(crate) use registry::Rooms;
pub(crate) use session::serve;

/// Where room events go: to this process's members only (the default), or
/// through Redis to every node's (`--redis`). The local path is the one
/// of `registry` and `room`; the Redis one falls back to it while Redis is
/// away.
#[derive(Debug)]
pub(crate) enum ChannelLayer {
    /// One process: rooms in memory.
    Local,
    /// Several nodes behind one Redis.
    Redis(Arc<RedisLayer>),
}

impl ChannelLayer {
    /// Redis is configured but unusable now: rooms are local to this node.
    pub(crate) fn is_degraded(&self) -> bool {
        matches!(self, Self::Redis(layer) if !layer.is_up())
    }
}
