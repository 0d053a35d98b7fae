//! The Lua scripts: each runs atomically in Redis, so a room's counter
//! and its publishes (and its presence hash) change together.
//!
//! The scripts are in `*.lua` files beside this one; `reap.lua` is a
//! function that `join.lua` and `reap_room.lua` begin with, `history.lua`
//! the functions that `join.lua` and `say.lua` share.

use redis::Script;

// ANCHOR: scripts
/// Removes the members of vanished nodes (a `leave` for each): the start
/// of the scripts that need the living members.
const REAP: &str = include_str!("reap.lua");
/// A room's history (`numbering`, `trim`, `catch_up`): the start of the
/// scripts that number or read messages.
const HISTORY: &str = include_str!("history.lua");
/// Claims the first free name of a joiner, publishes its `join`, and
/// reads its catch-up from the history.
const JOIN: &str = include_str!("join.lua");
/// Numbers, keeps and publishes a room message (or finds its `id` kept).
const SAY: &str = include_str!("say.lua");
/// Publishes an event with the room's next number.
const PUBLISH: &str = include_str!("publish.lua");
/// Removes a member's entry, if it is still this member's, and publishes
/// its `leave`.
const LEAVE: &str = include_str!("leave.lua");
/// Reaps a room: a presence refresh.
const REAP_ROOM: &str = include_str!("reap_room.lua");
// ANCHOR_END: scripts

/// The scripts, loaded once (by their SHA1, `EVALSHA`).
pub(crate) struct Scripts {
    pub(crate) join: Script,
    pub(crate) say: Script,
    pub(crate) publish: Script,
    pub(crate) leave: Script,
    pub(crate) reap: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            join: Script::new(&format!("{REAP}{HISTORY}{JOIN}")),
            say: Script::new(&format!("{HISTORY}{SAY}")),
            publish: Script::new(PUBLISH),
            leave: Script::new(LEAVE),
            reap: Script::new(&format!("{REAP}{REAP_ROOM}")),
        }
    }
}
