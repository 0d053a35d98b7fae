//! The state every connection task of a server shares.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use tokio::sync::Notify;

use crate::api::Api;
use crate::auth::Auth;
use crate::chat::Chat;
use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// State shared by every connection task.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Every WebSocket's configuration (limits, timeouts, deflate).
    pub(crate) config: ws_tokio::Config,
    /// `/chat`'s: the same with the deflate policy of `--chat-deflate`.
    pub(crate) chat_config: ws_tokio::Config,
    pub(crate) metrics: Arc<Metrics>,
    /// Set when the server shuts down.
    pub(crate) shutdown: Shutdown,
    /// Who may upgrade, and how many WebSockets are open.
    pub(crate) gate: Gate,
    /// Connection tasks still running (HTTP or WebSocket).
    pub(crate) tasks: AtomicUsize,
    pub(crate) tasks_done: Notify,
    /// The chat rooms: local, or shared through Redis (`--redis`).
    pub(crate) chat: Chat,
    /// `--auth-secret` / `--auth-public-key`: chat joins need a token.
    pub(crate) auth: Option<Auth>,
    /// `--api-key`: the HTTP API.
    pub(crate) api: Option<Api>,
}
