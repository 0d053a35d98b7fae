//! The Lua scripts: each runs atomically in Redis, so a room's counter
//! and its publishes (and its presence hash) change together.
//!
//! The scripts are in `*.lua` files beside this one; `reap.lua` holds the
//! functions on presence entries (`seq node:conn …`) that `join.lua`,
//! `leave.lua`, `hold.lua` and `reap_room.lua` begin with, `history.lua`
//! the functions that `join.lua` and `say.lua` share.

use redis::Script;

// ANCHOR: scripts
/// Presence entries: their holders, and the removal of vanished nodes'
/// holders (a `leave` for a member left with none): the start of the
/// scripts that read or change presence.
const REAP: &str = include_str!("reap.lua");
/// A room's history (`numbering`, `trim`, `catch_up`): the start of the
/// scripts that number or read messages.
const HISTORY: &str = include_str!("history.lua");
/// Claims the first free name of a joiner and publishes its `join` (or,
/// for a token's `sub` already present, adds the connection to it), and
/// reads its catch-up from the history.
const JOIN: &str = include_str!("join.lua");
/// Numbers, keeps and publishes a room message (or finds its `id` kept).
const SAY: &str = include_str!("say.lua");
/// Publishes an event with the room's next number.
const PUBLISH: &str = include_str!("publish.lua");
/// Removes a connection from its member's entry, and publishes the
/// member's `leave` if that was its last connection anywhere.
const LEAVE: &str = include_str!("leave.lua");
/// Writes back the holders of this node's connections that Redis lacks.
const HOLD: &str = include_str!("hold.lua");
/// Reaps a room and returns its living members: a presence refresh,
/// `who`, the API's `users`.
const REAP_ROOM: &str = include_str!("reap_room.lua");
// ANCHOR_END: scripts

/// The scripts, loaded once (by their SHA1, `EVALSHA`).
pub(crate) struct Scripts {
    pub(crate) join: Script,
    pub(crate) say: Script,
    pub(crate) publish: Script,
    pub(crate) leave: Script,
    pub(crate) hold: Script,
    pub(crate) reap: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            join: Script::new(&format!("{REAP}{HISTORY}{JOIN}")),
            say: Script::new(&format!("{HISTORY}{SAY}")),
            publish: Script::new(PUBLISH),
            leave: Script::new(&format!("{REAP}{LEAVE}")),
            hold: Script::new(&format!("{REAP}{HOLD}")),
            reap: Script::new(&format!("{REAP}{REAP_ROOM}")),
        }
    }
}
