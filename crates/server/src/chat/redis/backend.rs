//! The HTTP API's steps with `--redis`, across every node: a publish is
//! numbered and kept in Redis and reaches every node's members with one
//! `seq`; `users` and the history are read from Redis. While Redis is
//! unusable each falls back to this node's rooms (`chat/backend.rs`).

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use ws_tokio::Utf8Bytes;

use super::super::backend::Page;
use super::RedisLayer;
use super::wire::{self, Kind, history_keys};

impl RedisLayer {
    /// `POST /api/rooms/{room}/messages` on every node.
    pub(crate) async fn publish_nodes(
        &self,
        room: &str,
        from: &str,
        text: &str,
        id: Option<&str>,
    ) -> u64 {
        if !self.is_up() {
            return self.rooms.publish(room, from, text, id);
        }
        match self.say_script(room, from, text, id).await {
            Ok((new, seq)) => {
                let counter = if new == 1 {
                    &self.metrics().chat_messages
                } else {
                    &self.metrics().chat_deduplicated
                };
                counter.fetch_add(1, Relaxed);
                seq
            }
            Err(e) => {
                self.failed("publish", &e);
                self.rooms.publish(room, from, text, id)
            }
        }
    }

    /// `DELETE /api/rooms/{room}/users/{name}` on every node: published
    /// to the room's channel if some node has a member called `name`
    /// (`false` if none has); each node then removes its connections of
    /// it (`tasks`).
    pub(crate) async fn remove_nodes(&self, room: &str, name: &str) -> bool {
        if !self.is_up() {
            return self.rooms.remove_member(room, name);
        }
        let event = wire::event(Kind::Remove, &self.node, name, "", "");
        match self.publish(room, name, &event).await {
            Ok(published) => published > 0,
            Err(e) => {
                self.failed("remove", &e);
                self.rooms.remove_member(room, name)
            }
        }
    }

    /// `GET /api/rooms/{room}/users`: every node's members, in join order.
    pub(crate) async fn members_nodes(&self, room: &str) -> Vec<String> {
        if !self.is_up() {
            return self.rooms.members_of(room);
        }
        match self.living(room).await {
            Ok(live) => wire::join_order(&live)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            Err(e) => {
                self.failed("users", &e);
                self.rooms.members_of(room)
            }
        }
    }

    /// `GET /api/rooms/{room}/messages`: the history kept in Redis.
    pub(crate) async fn page_nodes(&self, room: &str, since: u64, limit: usize) -> Page {
        if !self.is_up() {
            return self.rooms.page(room, since, limit);
        }
        let [meta, hist, _] = history_keys(room);
        let mut conn = self.conn.clone();
        let read = redis::pipe()
            .cmd("HGET")
            .arg(&meta)
            .arg("epoch")
            .cmd("XRANGE")
            .arg(&hist)
            .arg(format!("{}-0", since.saturating_add(1)))
            .arg("+")
            .arg("COUNT")
            .arg(limit.max(1))
            .query_async::<(Option<String>, Vec<(String, Vec<(String, String)>)>)>(&mut conn)
            .await;
        match read {
            Ok((epoch, entries)) => {
                let messages = entries
                    .into_iter()
                    .take(limit)
                    .filter_map(|(_, fields)| {
                        fields
                            .into_iter()
                            .find(|(name, _)| name == "f")
                            .map(|(_, frame)| Utf8Bytes::from(frame))
                    })
                    .collect();
                Page {
                    epoch: epoch.map_or_else(super::super::history::new_epoch, Arc::from),
                    messages,
                }
            }
            Err(e) => {
                self.failed("history", &e);
                self.rooms.page(room, since, limit)
            }
        }
    }
}
