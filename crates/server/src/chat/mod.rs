//! `/chat/{room}?name={name}`: rooms, names, and the JSON protocol of
//! `docs/server-interface.md` §3.2 and §4.
//!
//! ```text
//!                      ┌──────────── one task per connection ────────────┐
//!  socket ─► reader ──►│ rate limit ─► protocol::parse ─► layer.say       │
//!                      │                                   direct / who  │
//!                      │                                      │          │
//!                      │                   Room (lock): sequence, encode │
//!                      │                   once, fan-out to every queue  │
//!                      │                                      │          │
//!  socket ◄─ writer ◄──│ outbox (bounded, 2048) ◄─────────────┘          │
//!                      └─────────────────────────────────────────────────┘
//! ```
//!
//! | module | what it does |
//! |---|---|
//! | `backend` | the HTTP API's steps in a room: publish, members, history, remove |
//! | `layer` | [`Chat`] and the [`layer::ChannelLayer`] interface sessions call |
//! | `local` | the rooms of one process (the default) |
//! | `redis` | `--redis`: rooms shared by several nodes (`docs/redis.md`) |
//! | `session` | one connection: the reader and the writer halves |
//! | `protocol` | commands in, events out, the plain-text fallback, validation |
//! | `ratelimit` | the token bucket (20/s, burst 50) |
//! | `names` | room names from the path, member names from the query, `-2`, `-3`, … |
//! | `registry` | every room by name; joins |
//! | `presence` | large rooms: one `presence` diff per interval for their joins and leaves |
//! | `room` | one room's members behind its lock; a member's commands there |
//! | `member` | a member of this node and its connections: seated, added to, removed |
//! | `history` | a room's numbered messages: resume, backlog, `id`s seen |
//! | `resume` | `since`, `epoch`, `backlog` from the query, checked before the upgrade |
//! | `seat` | a connection's place in a room: its queue's room end, its kick (1008, 4003) |
//! | `fanout` | the fan-out policy: offer to each recipient, drop the slow ones |
//! | `queue` | a member's outbound queue, bounded in frames and bytes |
//! | `frame` | a queued frame: the event, and its one shared compression per window (RFC 7692 §7.1.1.1) |
//! | `remote` | `--redis`: events in Redis's order, joiners waiting for theirs |
//!
//! Imports point one way: the crate root uses [`Chat`], [`Config`] and
//! the name parsers; the chat uses only the leaf modules `metrics` and
//! `shutdown` of the crate, passed in.

mod backend;
mod fanout;
mod frame;
mod history;
mod layer;
mod local;
mod member;
mod names;
mod presence;
mod protocol;
mod queue;
mod ratelimit;
mod redis;
mod registry;
mod remote;
mod resume;
mod room;
mod seat;
mod session;
#[cfg(test)]
mod tests;

pub(crate) use backend::Page;
pub(crate) use history::Limits as HistoryLimits;
pub(crate) use layer::{Chat, Config};
pub(crate) use names::{name_of, room_of};
pub(crate) use presence::Batching as PresenceBatching;
pub use protocol::MAX_TEXT_CHARS;
pub(crate) use ratelimit::{BURST, RATE, TokenBucket};
pub(crate) use resume::resume_of;
pub(crate) use session::{Identity, Join};
