//! The channel layer: the one interface a session speaks to, whether the
//! rooms are this process's alone ([`Local`]) or shared with other nodes
//! through Redis ([`RedisLayer`], `--redis`).
//!
//! ```text
//!  root ─► Chat::serve ─┬─ Local ──────► session::serve::<Local>
//!                       └─ RedisLayer ─► session::serve::<RedisLayer>
//! ```
//!
//! [`Chat`] picks the implementation once per connection; the session is
//! generic over [`ChannelLayer`] and never asks which one it has.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;
use ws_tokio::{CloseCode, WebSocket};

use super::history::Limits;
use super::local::Local;
use super::presence::Batching;
use super::protocol::Refusal;
use super::redis::RedisLayer;
use super::registry::Rooms;
use super::resume::Resume;
use super::room::{Joined, Membership};
use super::session;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// What a session asks of the rooms, wherever they are.
pub(crate) trait ChannelLayer: Sync {
    /// This node's rooms.
    fn rooms(&self) -> &Rooms;

    /// Joins `room` as `requested` (made unique) or `guest-N`: the outbox
    /// starts with `welcome` and the history `resume` asks for, the others
    /// get `join`.
    ///
    /// An `identified` name (a token's `sub`) is never made unique: a
    /// second connection of it is the same member.
    async fn join(
        &self,
        room: &str,
        requested: Option<&str>,
        resume: &Resume,
        identified: bool,
    ) -> Joined;

    /// A room message, to every member (this one too), numbered and kept;
    /// with an `id`, acknowledged, and not delivered twice.
    async fn say(&self, membership: &Membership, text: &str, id: Option<&str>);

    /// A direct message to `to` and its copy back.
    ///
    /// # Errors
    /// `unknown_user` if nobody in the room is called `to`.
    async fn direct(&self, membership: &Membership, to: &str, text: &str) -> Result<(), Refusal>;

    /// Answers `who` with the room's members.
    async fn who(&self, membership: &Membership);

    /// Leaves the room: the others get `leave`.
    async fn leave(&self, membership: Membership);
}

/// What the chat needs from the command line.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// `--redis URL`: share the rooms with other nodes.
    pub(crate) redis: Option<String>,
    /// `--redis-presence-ttl`: how long a silent node counts as alive.
    pub(crate) presence_ttl: Duration,
    /// `--history`, `--history-ttl`, `--history-bytes`.
    pub(crate) history: Limits,
    /// `--presence-batch-above`, `--presence-interval-ms` (local rooms).
    pub(crate) batching: Batching,
}

/// The chat of this server: its rooms and where their events go.
#[derive(Debug)]
pub(crate) struct Chat {
    layer: Layer,
}

#[derive(Debug)]
enum Layer {
    Local(Arc<Local>),
    Redis(Arc<RedisLayer>),
}

impl Chat {
    /// Rooms counting in `metrics`, local or (with `config.redis`) shared.
    ///
    /// # Errors
    /// `config.redis` is not a Redis URL. (Redis itself need not be up.)
    pub(crate) fn new(config: &Config, metrics: Arc<Metrics>) -> io::Result<Self> {
        let layer = match &config.redis {
            None => Layer::Local(Arc::new(Local::new(
                metrics,
                config.history,
                config.batching,
            ))),
            Some(url) => {
                let layer = RedisLayer::new(url, config.presence_ttl, metrics, config.history)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
                Layer::Redis(Arc::new(layer))
            }
        };
        Ok(Self { layer })
    }

    /// Redis is configured but unusable now: rooms are local to this node.
    pub(crate) fn is_degraded(&self) -> bool {
        matches!(&self.layer, Layer::Redis(layer) if !layer.is_up())
    }

    /// Starts the layer's background tasks (the reaper of expired rooms;
    /// with `--redis`, the subscription and presence), to be aborted when
    /// the server stops.
    pub(crate) fn spawn(&self) -> Vec<JoinHandle<()>> {
        match &self.layer {
            Layer::Local(local) => vec![tokio::spawn(reap(Arc::clone(local)))],
            Layer::Redis(layer) => {
                let mut tasks = layer.spawn();
                tasks.push(tokio::spawn(reap(Arc::clone(layer))));
                tasks
            }
        }
    }

    /// `POST /api/rooms/{room}/messages`: a room message from `from`;
    /// its `seq`.
    /// With `--redis`, numbered in Redis and delivered on every node.
    pub(crate) async fn publish(
        &self,
        room: &str,
        from: &str,
        text: &str,
        id: Option<&str>,
    ) -> u64 {
        match &self.layer {
            Layer::Local(local) => local.rooms().publish(room, from, text, id),
            Layer::Redis(layer) => Box::pin(layer.publish_nodes(room, from, text, id)).await,
        }
    }

    /// `GET /api/rooms/{room}/users` (with `--redis`, every node's).
    pub(crate) async fn members_of(&self, room: &str) -> Vec<String> {
        match &self.layer {
            Layer::Local(local) => local.rooms().members_of(room),
            Layer::Redis(layer) => Box::pin(layer.members_nodes(room)).await,
        }
    }

    /// `GET /api/rooms/{room}/messages?since=S&limit=L` (with `--redis`,
    /// the history kept in Redis).
    pub(crate) async fn page(&self, room: &str, since: u64, limit: usize) -> super::Page {
        match &self.layer {
            Layer::Local(local) => local.rooms().page(room, since, limit),
            Layer::Redis(layer) => Box::pin(layer.page_nodes(room, since, limit)).await,
        }
    }

    /// `DELETE /api/rooms/{room}/users/{name}`: `false` if unknown.
    /// With `--redis`, on whichever node the member is.
    pub(crate) async fn remove_member(&self, room: &str, name: &str) -> bool {
        match &self.layer {
            Layer::Local(local) => local.rooms().remove_member(room, name),
            Layer::Redis(layer) => Box::pin(layer.remove_nodes(room, name)).await,
        }
    }

    /// Serves one member of `room` until the connection ends; returns the
    /// close code it ended with.
    pub(crate) async fn serve<S>(
        &self,
        ws: WebSocket<S>,
        join: session::Join<'_>,
        shutdown: &Shutdown,
    ) -> CloseCode
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        match &self.layer {
            Layer::Local(local) => session::serve(ws, join, &**local, shutdown).await,
            // Boxed: the single-node path keeps its small futures.
            Layer::Redis(layer) => Box::pin(session::serve(ws, join, &**layer, shutdown)).await,
        }
    }
}

/// Every so often (a quarter of `--history-ttl`, between 1 s and a
/// minute), forgets expired history and removes the rooms nothing keeps.
async fn reap<L: ChannelLayer>(layer: Arc<L>) {
    let ttl = layer.rooms().limits().ttl;
    let every = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        layer.rooms().reap(Instant::now());
    }
}
