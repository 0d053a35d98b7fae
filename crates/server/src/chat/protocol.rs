//! The chat protocol of `docs/server-interface.md` §4: what clients send
//! ([`Command`], parsed by [`parse`]) and what the server sends ([`Event`],
//! serialized once by [`Event::encode`]).
//!
//! ```text
//!  text frame ──► JSON object? ──no──► Command::Message { text: frame }   (plain clients)
//!                     │ yes
//!                     ▼
//!               "type": message | direct | who ──► Command
//!               anything else, missing or ill-typed fields ──► Error::BadRequest
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};
use ws_tokio::Utf8Bytes;

/// Longest `text` of a `message` or `direct`, in Unicode scalar values.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Longest text frame that is parsed at all. A valid command is far smaller
/// (4096 characters, each at most 12 bytes as a JSON escape, plus a short
/// name), so anything larger is answered with `bad_request` unparsed.
pub(crate) const MAX_FRAME_BYTES: usize = 64 << 10;

/// Longest `id` of a `message`, in Unicode scalar values.
pub(crate) const MAX_ID_CHARS: usize = 64;

/// A client's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// `{"type":"message","text":…,"id":…}` (`id` optional), or any frame
    /// that is not a JSON object.
    Message { text: String, id: Option<String> },
    /// `{"type":"direct","to":…,"text":…}`.
    Direct { to: String, text: String },
    /// `{"type":"who"}`.
    Who,
}

/// The `code` of an `error` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErrorCode {
    /// Malformed command, unknown type, missing or ill-typed field, text
    /// out of range, binary frame.
    BadRequest,
    /// `direct` to a name that is not in the room.
    UnknownUser,
    /// Over 20 messages per second sustained (burst 50).
    RateLimited,
}

/// Why a frame was refused: an `error` event's code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::BadRequest,
            message: message.into(),
        }
    }

    /// `unknown_user`: a `direct` to `to`, who is not in the room.
    pub(crate) fn unknown_user(to: &str) -> Self {
        Self {
            code: ErrorCode::UnknownUser,
            message: format!("nobody called {to:?} in this room"),
        }
    }

    /// The `error` event to send back.
    pub(crate) fn encode(&self) -> Utf8Bytes {
        Event::Error {
            code: self.code,
            message: &self.message,
        }
        .encode()
    }
}

/// Parses one text frame from a client.
///
/// # Errors
/// A [`Refusal`] with [`ErrorCode::BadRequest`] for an object with an
/// unknown or missing `type`, a missing or ill-typed field, a `text` of 0 or
/// more than [`MAX_TEXT_CHARS`] characters, or a frame over
/// [`MAX_FRAME_BYTES`].
// ANCHOR: parse
pub(crate) fn parse(frame: &str) -> Result<Command, Refusal> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(Refusal::bad_request("message too long"));
    }
    // docs/server-interface.md §4: a text frame that is not JSON, or is
    // JSON but not an object, is taken as
    // {"type":"message","text":<the whole frame>}.
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(frame) else {
        return Ok(Command::Message {
            text: checked_text(frame)?.to_owned(),
            id: None,
        });
    };
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err(Refusal::bad_request("`type` must be a string")),
        None => return Err(Refusal::bad_request("missing field `type`")),
    };
    match kind {
        "message" => Ok(Command::Message {
            text: checked_text(string_field(&object, "text")?)?.to_owned(),
            id: checked_id(&object)?,
        }),
        "direct" => Ok(Command::Direct {
            to: string_field(&object, "to")?.to_owned(),
            text: checked_text(string_field(&object, "text")?)?.to_owned(),
        }),
        "who" => Ok(Command::Who),
        other => Err(Refusal::bad_request(format!(
            "unknown type `{}`",
            truncate(other, 32)
        ))),
    }
}
// ANCHOR_END: parse

fn string_field<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a str, Refusal> {
    match object.get(name) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(Refusal::bad_request(format!("`{name}` must be a string"))),
        None => Err(Refusal::bad_request(format!("missing field `{name}`"))),
    }
}

/// `docs/server-interface.md` §4.1: `text` is 1–4096 characters (Unicode
/// scalar values).
fn checked_text(text: &str) -> Result<&str, Refusal> {
    if text.is_empty() {
        return Err(Refusal::bad_request("empty text"));
    }
    if text.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(Refusal::bad_request(format!(
            "text longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(text)
}

/// The optional `id` of a `message`: 1–64 characters, chosen by the client
/// so that a send repeated after a reconnect is recognised.
fn checked_id(object: &Map<String, Value>) -> Result<Option<String>, Refusal> {
    let id = match object.get("id") {
        None => return Ok(None),
        Some(Value::String(id)) => id,
        Some(_) => return Err(Refusal::bad_request("`id` must be a string")),
    };
    if id.is_empty() || id.chars().nth(MAX_ID_CHARS).is_some() {
        return Err(Refusal::bad_request(format!(
            "`id` must be 1 to {MAX_ID_CHARS} characters"
        )));
    }
    Ok(Some(id.clone()))
}

/// The first `chars` characters of `s`.
pub(crate) fn truncate(s: &str, chars: usize) -> &str {
    s.char_indices().nth(chars).map_or(s, |(at, _)| &s[..at])
}

/// What the server sends. Each is serialized once ([`Event::encode`]) and
/// the bytes are shared by every recipient.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Event<'a> {
    /// The first message after the upgrade: who is here, and where the
    /// room's numbering stands (`recovered`: a resume that is exact).
    Welcome {
        room: &'a str,
        name: &'a str,
        users: Vec<&'a str>,
        epoch: &'a str,
        seq: u64,
        recovered: bool,
    },
    /// Another member joined.
    Join { room: &'a str, name: &'a str },
    /// Another member left (closed, dropped, timed out, too slow).
    Leave { room: &'a str, name: &'a str },
    /// In a room above `--presence-batch-above`: the names that joined
    /// or left during the interval, each with its state now.
    Presence {
        room: &'a str,
        joins: Vec<&'a str>,
        leaves: Vec<&'a str>,
    },
    /// A room message, to everyone including its sender: its place in the
    /// room's numbering, and the `id` its sender gave, if any.
    Message {
        room: &'a str,
        from: &'a str,
        text: &'a str,
        ts: u64,
        seq: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
    },
    /// To the sender of a `message` with an `id`: it has its place.
    Ack { id: &'a str, seq: u64 },
    /// A direct message, to its target and back to its sender.
    Direct {
        from: &'a str,
        to: &'a str,
        text: &'a str,
        ts: u64,
    },
    /// The answer to `who`.
    Users { room: &'a str, users: Vec<&'a str> },
    /// A refused command.
    Error { code: ErrorCode, message: &'a str },
}

/// A room `message` in two halves, before and after its `seq`, for when
/// the number is given elsewhere (with `--redis`, by the script that keeps
/// it): `before + seq + after` is the event [`Event::Message`] encodes.
pub(crate) fn message_halves(
    room: &str,
    from: &str,
    text: &str,
    ts: u64,
    id: Option<&str>,
) -> (String, String) {
    let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let before = format!(
        r#"{{"type":"message","room":{},"from":{},"text":{},"ts":{ts},"seq":"#,
        json(room),
        json(from),
        json(text)
    );
    let after = id.map_or_else(|| "}".to_owned(), |id| format!(r#","id":{}}}"#, json(id)));
    (before, after)
}

impl Event<'_> {
    /// The JSON text of the event, ready to be shared by every recipient.
    pub(crate) fn encode(&self) -> Utf8Bytes {
        // Strings, integers and vectors of strings always serialize.
        let mut json = serde_json::to_string(self).unwrap_or_default();
        // The buffer grew by doubling; a kept message lives for the
        // history's lifetime, so it gives back the slack (in place: a
        // shrinking realloc is usually done in place). About 54 bytes of a 202-byte
        // message, a tenth of a full history's memory.
        json.shrink_to_fit();
        Utf8Bytes::from(json)
    }
}

/// Milliseconds since the Unix epoch: the `ts` of `message` and `direct`.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Command {
        Command::Message {
            text: text.to_owned(),
            id: None,
        }
    }

    fn code(frame: &str) -> ErrorCode {
        parse(frame).expect_err(frame).code
    }

    #[test]
    fn commands_parse() {
        assert_eq!(
            parse(r#"{"type":"message","text":"hi"}"#),
            Ok(message("hi"))
        );
        assert_eq!(
            parse(r#"{"type":"direct","to":"bob","text":"psst","extra":1}"#),
            Ok(Command::Direct {
                to: "bob".into(),
                text: "psst".into()
            })
        );
        assert_eq!(parse(r#"{"type":"who"}"#), Ok(Command::Who));
        let id = "🦀".repeat(MAX_ID_CHARS);
        let json = serde_json::json!({"type": "message", "text": "t", "id": id});
        assert_eq!(
            parse(&json.to_string()),
            Ok(Command::Message {
                text: "t".into(),
                id: Some(id)
            })
        );
    }

    #[test]
    fn frames_that_are_not_objects_are_plain_messages() {
        for frame in ["hello", "42", "[1,2]", "\"quoted\"", "{not json", "null"] {
            assert_eq!(parse(frame), Ok(message(frame)), "{frame}");
        }
    }

    #[test]
    fn malformed_objects_are_bad_requests() {
        for frame in [
            r#"{}"#,
            r#"{"type":1}"#,
            r#"{"type":"shout","text":"x"}"#,
            r#"{"type":"message"}"#,
            r#"{"type":"message","text":5}"#,
            r#"{"type":"message","text":""}"#,
            r#"{"type":"direct","text":"x"}"#,
            r#"{"type":"direct","to":["bob"],"text":"x"}"#,
            r#"{"type":"message","text":"x","id":""}"#,
            r#"{"type":"message","text":"x","id":7}"#,
            r#"{"type":"message","text":"x","id":null}"#,
            "",
        ] {
            assert_eq!(code(frame), ErrorCode::BadRequest, "{frame}");
        }
    }

    #[test]
    fn text_length_counts_characters() {
        let max = "é".repeat(MAX_TEXT_CHARS);
        assert_eq!(parse(&max), Ok(message(&max)));
        assert_eq!(code(&format!("{max}é")), ErrorCode::BadRequest);
        let json = serde_json::json!({"type": "message", "text": "🦀".repeat(MAX_TEXT_CHARS)});
        assert!(parse(&json.to_string()).is_ok());
        let json = serde_json::json!({"type": "message", "text": "🦀".repeat(MAX_TEXT_CHARS + 1)});
        assert_eq!(code(&json.to_string()), ErrorCode::BadRequest);
    }

    #[test]
    fn events_serialize_as_the_contract_says() {
        let text = Event::Message {
            room: "r",
            from: "a",
            text: "<b>\"hi\"</b>",
            ts: 7,
            seq: 3,
            id: None,
        }
        .encode();
        assert_eq!(
            text.as_str(),
            r#"{"type":"message","room":"r","from":"a","text":"<b>\"hi\"</b>","ts":7,"seq":3}"#
        );
        let ack = Event::Ack { id: "x1", seq: 3 }.encode();
        assert_eq!(ack.as_str(), r#"{"type":"ack","id":"x1","seq":3}"#);
        let error = Refusal {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
        }
        .encode();
        assert_eq!(
            error.as_str(),
            r#"{"type":"error","code":"rate_limited","message":"slow down"}"#
        );
        let welcome = Event::Welcome {
            room: "r",
            name: "a",
            users: vec!["a"],
            epoch: "e1",
            seq: 0,
            recovered: false,
        };
        assert_eq!(
            welcome.encode().as_str(),
            r#"{"type":"welcome","room":"r","name":"a","users":["a"],"epoch":"e1","seq":0,"recovered":false}"#
        );
    }

    #[test]
    fn message_halves_around_the_seq_make_the_event() {
        for id in [None, Some("i\"d")] {
            let (before, after) = message_halves("r", "a\"b", "t\n\"x\"", 5, id);
            let whole = Event::Message {
                room: "r",
                from: "a\"b",
                text: "t\n\"x\"",
                ts: 5,
                seq: 42,
                id,
            }
            .encode();
            assert_eq!(format!("{before}42{after}"), whole.as_str());
        }
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 2), "hé");
        assert_eq!(truncate("hé", 5), "hé");
    }
}
