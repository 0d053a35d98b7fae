//! The local channel layer: rooms in this process's memory, the default.
//! Every command is the room's own (`room`, `registry`), done at once.

use std::sync::Arc;

use super::layer::ChannelLayer;
use super::protocol::Refusal;
use super::registry::Rooms;
use super::room::{Joined, Membership};
use crate::metrics::Metrics;

/// One process's rooms.
#[derive(Debug)]
pub(crate) struct Local {
    rooms: Rooms,
}

impl Local {
    /// Empty rooms counting in `metrics`.
    pub(crate) fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            rooms: Rooms::new(metrics, None),
        }
    }
}

impl ChannelLayer for Local {
    fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    async fn join(&self, room: &str, requested: Option<&str>) -> Joined {
        self.rooms.join(room, requested)
    }

    async fn say(&self, membership: &Membership, text: &str) {
        membership.say(text);
    }

    async fn direct(&self, membership: &Membership, to: &str, text: &str) -> Result<(), Refusal> {
        membership.direct(to, text)
    }

    async fn who(&self, membership: &Membership) {
        membership.who();
    }

    async fn leave(&self, membership: Membership) {
        membership.leave(&self.rooms);
    }
}
