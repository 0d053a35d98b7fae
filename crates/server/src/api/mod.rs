//! The HTTP API for backends (`docs/server-interface.md` §7), on only
//! with `--api-key`: publish into a room, list its members, read its
//! history, remove a member.
//!
//! ```text
//!  /api/... ─► Authorization: Bearer KEY (constant time) ─► 401
//!           ─► the key's rate (20/s, burst 50) ─► 429
//!           ─► POST   /api/rooms/{room}/messages      ─► 202 {"seq"}
//!              GET    /api/rooms/{room}/users         ─► 200 {"room","users"}
//!              GET    /api/rooms/{room}/messages      ─► 200 {"epoch","messages"}
//!              DELETE /api/rooms/{room}/users/{name}  ─► 204 | 404
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | `keys` | the keys, compared in constant time, and each key's bucket |
//! | `body` | reading a body (at most 64 KiB) and parsing a publish |
//!
//! Every answer is JSON (`{"error": …}` for a refusal) except the 204.

mod body;
mod keys;

pub use body::{MAX_FROM_CHARS, MAX_ID_CHARS, Publish, parse_publish};

use std::time::{Duration, Instant};

use bytes::BytesMut;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use ws_handshake::Request;

use crate::chat::{self, Chat};
use crate::metrics::Metrics;
use body::{BodyError, MAX_BODY, read_body};
use keys::{Keys, Refused};

/// Most messages one history call returns when it does not say.
const DEFAULT_LIMIT: usize = 100;

/// The API of a server started with `--api-key`.
#[derive(Debug)]
pub(crate) struct Api {
    keys: Keys,
}

/// What the API needs of the server for one call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context<'a> {
    pub(crate) chat: &'a Chat,
    pub(crate) metrics: &'a Metrics,
    /// How long a body may take to arrive.
    pub(crate) timeout: Duration,
}

/// An endpoint, as the metrics label it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint<'a> {
    Publish(&'a str),
    Users(&'a str),
    History(&'a str),
    Remove(&'a str, &'a str),
    /// A path under `/api/` that is none of them, or the wrong method.
    Unknown {
        known_path: bool,
    },
}

impl Endpoint<'_> {
    fn label(self) -> &'static str {
        match self {
            Self::Publish(_) => "publish",
            Self::Users(_) => "users",
            Self::History(_) => "history",
            Self::Remove(..) => "remove",
            Self::Unknown { .. } => "unknown",
        }
    }
}

impl Api {
    /// The API for `keys`; `None` when no (non-empty) key is given.
    pub(crate) fn new(keys: &[String]) -> Option<Self> {
        let keys = Keys::new(keys);
        keys.is_enabled().then_some(Self { keys })
    }

    /// Answers one API request (its body, if any, read from `stream`
    /// after `leftover`). Counted by endpoint and status.
    pub(crate) async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        request: &Request,
        leftover: BytesMut,
        cx: Context<'_>,
    ) -> Vec<u8> {
        let endpoint = endpoint(request.method(), request.path());
        let (status, body) = self.call(stream, request, leftover, endpoint, cx).await;
        cx.metrics.api_call(endpoint.label(), status);
        let mut headers = vec![("Content-Type", "application/json")];
        if status == 401 {
            headers.push(("WWW-Authenticate", "Bearer"));
        }
        ws_handshake::http_response(status, &headers, body.as_bytes())
    }

    async fn call<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        request: &Request,
        leftover: BytesMut,
        endpoint: Endpoint<'_>,
        cx: Context<'_>,
    ) -> (u16, String) {
        match self
            .keys
            .admit(request.header("authorization"), Instant::now())
        {
            Ok(()) => {}
            Err(Refused::Unauthorized) => {
                return error(
                    401,
                    "missing or unknown API key (Authorization: Bearer KEY)",
                );
            }
            Err(Refused::RateLimited) => {
                return error(
                    429,
                    &format!(
                        "more than {} calls per second (burst {}) with this key",
                        chat::RATE,
                        chat::BURST
                    ),
                );
            }
        }
        match endpoint {
            Endpoint::Publish(room) => {
                let body = match body_of(stream, request, leftover, cx.timeout).await {
                    Ok(body) => body,
                    Err(BodyError::TooLarge) => {
                        return error(413, &format!("the body is over {MAX_BODY} bytes"));
                    }
                    Err(BodyError::Bad(why)) => return error(400, &why),
                };
                match parse_publish(&body) {
                    Ok(p) => {
                        let seq = cx
                            .chat
                            .publish(room, &p.from, &p.text, p.id.as_deref())
                            .await;
                        (202, json!({ "seq": seq }).to_string())
                    }
                    Err(why) => error(400, &why),
                }
            }
            Endpoint::Users(room) => {
                let users = cx.chat.members_of(room).await;
                (200, json!({ "room": room, "users": users }).to_string())
            }
            Endpoint::History(room) => match history_query(request.query()) {
                Ok((since, limit)) => {
                    let page = cx.chat.page(room, since, limit).await;
                    let messages: Vec<&str> = page.messages.iter().map(|m| m.as_str()).collect();
                    let body = format!(
                        "{{\"epoch\":{},\"messages\":[{}]}}",
                        serde_json::Value::from(&*page.epoch),
                        messages.join(",")
                    );
                    (200, body)
                }
                Err(why) => error(400, &why),
            },
            Endpoint::Remove(room, raw) => {
                let removed = match chat::name_of(Some(&format!("name={raw}"))) {
                    Some(name) => cx.chat.remove_member(room, &name).await,
                    None => false,
                };
                if removed {
                    (204, String::new())
                } else {
                    error(404, "no such member in this room")
                }
            }
            Endpoint::Unknown { known_path: true } => error(405, "method not allowed here"),
            Endpoint::Unknown { known_path: false } => error(404, "no such API endpoint"),
        }
    }
}

/// `{"error": why}` with `status`.
fn error(status: u16, why: &str) -> (u16, String) {
    (status, json!({ "error": why }).to_string())
}

/// Which endpoint `method path` is.
fn endpoint<'a>(method: &str, path: &'a str) -> Endpoint<'a> {
    let Some(rest) = path.strip_prefix("/api/rooms/") else {
        return Endpoint::Unknown { known_path: false };
    };
    let mut parts = rest.split('/');
    let (room, what, name, more) = (parts.next(), parts.next(), parts.next(), parts.next());
    let room = match room {
        Some(room) if more.is_none() && chat::room_of(&format!("/chat/{room}")).is_some() => room,
        _ => return Endpoint::Unknown { known_path: false },
    };
    match (method, what, name) {
        ("POST", Some("messages"), None) => Endpoint::Publish(room),
        ("GET", Some("messages"), None) => Endpoint::History(room),
        ("GET", Some("users"), None) => Endpoint::Users(room),
        ("DELETE", Some("users"), Some(name)) if !name.is_empty() => Endpoint::Remove(room, name),
        (_, Some("messages" | "users"), _) => Endpoint::Unknown { known_path: true },
        _ => Endpoint::Unknown { known_path: false },
    }
}

/// A request's body, by its `Content-Length` (none: empty).
async fn body_of<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    request: &Request,
    leftover: BytesMut,
    timeout: Duration,
) -> Result<BytesMut, BodyError> {
    if request.header("transfer-encoding").is_some() {
        return Err(BodyError::Bad("send the body with a Content-Length".into()));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(value) => value
            .trim()
            .parse::<usize>()
            .map_err(|_| BodyError::Bad("Content-Length is not a number".into()))?,
    };
    let expects_continue = request
        .header("expect")
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("100-continue"));
    read_body(stream, leftover, (length, expects_continue), timeout).await
}

/// `since` (default 0) and `limit` (default 100) of a history call.
fn history_query(query: Option<&str>) -> Result<(u64, usize), String> {
    let mut since = 0;
    let mut limit = DEFAULT_LIMIT;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("since", value)) => {
                since = value
                    .parse()
                    .map_err(|_| format!("since must be a whole number, not {value:?}"))?;
            }
            Some(("limit", value)) => {
                limit = value
                    .parse()
                    .map_err(|_| format!("limit must be a whole number, not {value:?}"))?;
            }
            _ => {}
        }
    }
    Ok((since, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint("POST", "/api/rooms/r/messages"),
            Endpoint::Publish("r")
        );
        assert_eq!(
            endpoint("GET", "/api/rooms/r/messages"),
            Endpoint::History("r")
        );
        assert_eq!(endpoint("GET", "/api/rooms/r/users"), Endpoint::Users("r"));
        assert_eq!(
            endpoint("DELETE", "/api/rooms/r/users/ann"),
            Endpoint::Remove("r", "ann")
        );
        assert_eq!(
            endpoint("PUT", "/api/rooms/r/users"),
            Endpoint::Unknown { known_path: true }
        );
        for path in [
            "/api/rooms/",
            "/api/rooms/a.b/users",
            "/api/x",
            "/api/rooms/r/users/a/b",
            "/api/rooms/r/other",
        ] {
            assert_eq!(
                endpoint("GET", path),
                Endpoint::Unknown { known_path: false },
                "{path}"
            );
        }
    }

    #[test]
    fn history_queries() {
        assert_eq!(history_query(None), Ok((0, DEFAULT_LIMIT)));
        assert_eq!(history_query(Some("since=5&limit=2")), Ok((5, 2)));
        assert!(history_query(Some("since=-1")).is_err());
        assert!(history_query(Some("limit=x")).is_err());
    }
}
