//! The local channel layer: rooms in this process's memory, the default.
//! Every command is the room's own (`room`, `registry`), done at once.

use std::sync::Arc;

use super::history::Limits;
use super::layer::ChannelLayer;
use super::presence::Batching;
use super::protocol::Refusal;
use super::registry::Rooms;
use super::resume::Resume;
use super::room::{Joined, Membership};
use crate::metrics::Metrics;

/// One process's rooms.
#[derive(Debug)]
pub(crate) struct Local {
    rooms: Rooms,
}

impl Local {
    /// Empty rooms counting in `metrics`, keeping history within `limits`,
    /// batching presence as `batching` says.
    pub(crate) fn new(metrics: Arc<Metrics>, limits: Limits, batching: Batching) -> Self {
        Self {
            rooms: Rooms::new(metrics, None, limits, batching.enabled()),
        }
    }
}

impl ChannelLayer for Local {
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
        self.rooms.join(room, requested, resume, identified)
    }

    async fn say(&self, membership: &Membership, text: &str, id: Option<&str>) {
        membership.say(text, id);
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
