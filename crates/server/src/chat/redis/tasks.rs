//! The layer's background tasks: the subscription that delivers what
//! Redis publishes, the presence refresh, and the `leave`s of slow
//! consumers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use futures_util::StreamExt;
use redis::RedisError;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::super::fanout::Dropped;
use super::super::registry::RoomMembers;
use super::super::remote::Target;
use super::super::room::lock;
use super::commands::keep_ms;
use super::wire::{self, CHANNELS, Kind, members_key};
use super::{BACKOFF_FIRST, BACKOFF_MAX, COMMAND_TIMEOUT, RedisLayer};

impl RedisLayer {
    /// Starts the background tasks: the subscription, the presence
    /// refresh, and the `leave`s of slow consumers. They run until
    /// aborted.
    pub(crate) fn spawn(self: &Arc<Self>) -> Vec<JoinHandle<()>> {
        let mut tasks = vec![
            tokio::spawn(Arc::clone(self).subscribe_loop()),
            tokio::spawn(Arc::clone(self).presence_loop()),
        ];
        if let Some(dropped) = lock(&self.dropped).take() {
            tasks.push(tokio::spawn(Arc::clone(self).dropped_loop(dropped)));
        }
        tasks
    }

    async fn presence_loop(self: Arc<Self>) {
        let period = self.ttl / 3;
        loop {
            let refresh = self.refresh.notified();
            match tokio::time::timeout(period.max(COMMAND_TIMEOUT), self.refresh_presence()).await {
                Ok(Ok(())) => {
                    self.commands_ok.store(true, Relaxed);
                    self.set_state();
                }
                Ok(Err(e)) => self.failed("presence", &e),
                Err(_) => {
                    self.commands_ok.store(false, Relaxed);
                    self.set_state();
                }
            }
            tokio::select! {
                () = tokio::time::sleep(period) => {}
                () = refresh => {}
            }
        }
    }

    // ANCHOR: refresh
    /// One presence refresh: this node's key (with the TTL), a holder for
    /// each local connection that Redis lacks (after a Redis restart, or
    /// for one that joined while Redis was away), and the removal of
    /// vanished nodes' holders in this node's rooms.
    async fn refresh_presence(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        redis::cmd("SET")
            .arg(wire::node_key(&self.node))
            .arg(1)
            .arg("PX")
            .arg(ttl_ms)
            .query_async::<()>(&mut conn)
            .await?;
        for RoomMembers { room, members } in &self.rooms.snapshot() {
            if !members.is_empty() {
                let mut hold = self.scripts.hold.prepare_invoke();
                hold.key(members_key(room)).arg(keep_ms(self.ttl));
                for member in members {
                    hold.arg(&*member.name)
                        .arg(wire::holder(&self.node, member.id))
                        .arg(member.joined)
                        .arg(if member.identified { "1" } else { "0" });
                }
                let added: Vec<bool> = hold.invoke_async(&mut conn).await?;
                // A connection that left between the snapshot and the
                // script must not stay in Redis as a ghost.
                for (member, added) in members.iter().zip(added) {
                    if added && !self.rooms.is_member(room, &member.name, member.id) {
                        self.remove_entry(room, &member.name, member.id, "").await?;
                    }
                }
            }
            let live = self.living(room).await?.len() / 2;
            debug!(%room, live, "presence refreshed");
        }
        Ok(())
    }
    // ANCHOR_END: refresh

    async fn dropped_loop(self: Arc<Self>, mut dropped: mpsc::UnboundedReceiver<Dropped>) {
        while let Some(Dropped {
            room,
            name,
            id,
            last,
        }) = dropped.recv().await
        {
            self.publish_leave(&room, &name, id, last).await;
        }
    }

    // ANCHOR: subscribe_loop
    /// Keeps one pub/sub connection subscribed to every room's channel,
    /// reconnecting with backoff, and delivers what arrives.
    async fn subscribe_loop(self: Arc<Self>) {
        let mut backoff = BACKOFF_FIRST;
        let mut lost_once = false;
        // Whether this outage has been reported: one warning per outage,
        // not one per retry.
        let mut reported = false;
        loop {
            let attempt = async {
                let mut pubsub = self.client.get_async_pubsub().await?;
                pubsub.psubscribe(CHANNELS).await?;
                Ok::<_, RedisError>(pubsub)
            };
            let retry_in = jitter(backoff);
            let retry = format!("{} ms", retry_in.as_millis());
            match tokio::time::timeout(COMMAND_TIMEOUT * 2, attempt).await {
                Ok(Ok(pubsub)) => {
                    if lost_once {
                        self.metrics().redis_reconnects.fetch_add(1, Relaxed);
                    }
                    backoff = BACKOFF_FIRST;
                    // Counters may have started afresh (a restarted Redis):
                    // whatever arrives now is new to every member.
                    self.rooms.reset_since();
                    self.subscribed.store(true, Relaxed);
                    self.refresh.notify_one();
                    let mut last: HashMap<String, u64> = HashMap::new();
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        self.receive(&message, &mut last);
                    }
                    lost_once = true;
                    self.subscribed.store(false, Relaxed);
                    self.set_state();
                    warn!(redis = %self.addr, retry_in = %format!("{} ms", BACKOFF_FIRST.as_millis()), "redis connection lost; rooms are local to this node until it is back");
                    reported = true;
                    tokio::time::sleep(BACKOFF_FIRST).await;
                    continue;
                }
                Ok(Err(e)) if !reported => {
                    warn!(redis = %self.addr, error = %e, retry_in = %retry, "redis unreachable; rooms are local to this node until it is back");
                    reported = true;
                }
                Ok(Err(e)) => debug!(error = %e, ?retry_in, "redis subscribe failed"),
                Err(_) if !reported => {
                    warn!(redis = %self.addr, retry_in = %retry, "redis does not answer; rooms are local to this node until it is back");
                    reported = true;
                }
                Err(_) => debug!(?retry_in, "redis subscribe timed out"),
            }
            tokio::time::sleep(retry_in).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }
    // ANCHOR_END: subscribe_loop

    /// One event from Redis (see `wire`), delivered to this node's members
    /// of its room; `last` is the number of each room's last event.
    fn receive(&self, message: &redis::Msg, last: &mut HashMap<String, u64>) {
        let metrics = self.metrics();
        let Some(room) = wire::room_of_channel(message.get_channel_name()) else {
            return;
        };
        let Ok(payload) = std::str::from_utf8(message.get_payload_bytes()) else {
            return;
        };
        let Some(received) = wire::parse(&self.node, room, payload) else {
            warn!(room, "malformed event from redis");
            return;
        };
        metrics.redis_events.fetch_add(1, Relaxed);
        let seq = received.event.seq;
        let previous = last.insert(room.to_owned(), seq);
        if let Some(previous) = previous
            && seq != previous + 1
            && seq > previous
        {
            metrics.redis_gaps.fetch_add(1, Relaxed);
            debug!(room, previous, seq, "gap in the room's sequence");
        }
        if received.kind == Kind::Leave && received.origin.starts_with('-') {
            metrics.redis_reaped.fetch_add(1, Relaxed);
        }
        if received.kind == Kind::Remove {
            // Each node removes its own connections of that member; their
            // `leave` goes through Redis like a slow consumer's.
            if let Target::Direct { to, .. } = &received.event.target {
                self.rooms.remove_member(room, to);
            }
            return;
        }
        self.rooms.deliver(room, received.event);
    }
}

/// `d` ±20 %.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    // 0.8 + 0.4 * (nanos / 1e9)
    d.mul_f64(0.8 + 0.4 * f64::from(nanos) / 1e9)
}
