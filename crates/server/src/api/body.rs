//! The API's request bodies: reading one (bounded, `Content-Length` only)
//! and parsing a publish (`{"text", "from"?, "id"?}`).

use std::time::Duration;

use bytes::BytesMut;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::chat::MAX_TEXT_CHARS;

/// Largest body read: a publish is far smaller (4096 characters).
pub(crate) const MAX_BODY: usize = 64 << 10;

/// Longest `from`, in characters (a member name's limit).
pub const MAX_FROM_CHARS: usize = 32;

/// Longest `id`, in characters (as for members).
pub const MAX_ID_CHARS: usize = 64;

/// Who a published message is from when the body does not say.
pub(crate) const DEFAULT_FROM: &str = "server";

/// A parsed `POST /api/rooms/{room}/messages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// 1 to 4096 characters.
    pub text: String,
    /// Who it is from: 1 to 32 characters, `server` when not given.
    pub from: String,
    /// The sender's `id` (1 to 64 characters), deduplicated as a member's.
    pub id: Option<String>,
}

/// Why a body could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Over [`MAX_BODY`]: 413.
    TooLarge,
    /// Not as the endpoint wants it: 400 with this message.
    Bad(String),
}

/// Parses a publish body.
///
/// # Errors
/// Not a JSON object, `text` missing or not a string or over 4096
/// characters, `from` or `id` not strings or too long.
pub fn parse_publish(body: &[u8]) -> Result<Publish, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("the body must be a JSON object".into());
    };
    let text = match object.get("text") {
        Some(Value::String(text)) => text,
        Some(_) => return Err("\"text\" must be a string".into()),
        None => return Err("\"text\" is missing".into()),
    };
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_TEXT_CHARS {
        return Err(format!(
            "\"text\" must have 1 to {MAX_TEXT_CHARS} characters"
        ));
    }
    let from = match object.get("from") {
        None | Some(Value::Null) => DEFAULT_FROM.to_owned(),
        Some(Value::String(from)) => {
            let from = from.trim();
            if from.is_empty()
                || from.chars().count() > MAX_FROM_CHARS
                || from.chars().any(char::is_control)
            {
                return Err(format!(
                    "\"from\" must have 1 to {MAX_FROM_CHARS} characters, no control characters"
                ));
            }
            from.to_owned()
        }
        Some(_) => return Err("\"from\" must be a string".into()),
    };
    let id = match object.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if (1..=MAX_ID_CHARS).contains(&id.chars().count()) => {
            Some(id.clone())
        }
        Some(_) => {
            return Err(format!(
                "\"id\" must be a string of 1 to {MAX_ID_CHARS} characters"
            ));
        }
    };
    Ok(Publish {
        text: text.clone(),
        from,
        id,
    })
}

/// Reads a body of `length` bytes (`leftover` is what came with the head)
/// within `timeout`.
///
/// # Errors
/// Longer than [`MAX_BODY`] (413, nothing read), or it did not all come.
///
/// A client that sent `Expect: 100-continue` (curl does for bodies over
/// 1 KiB) is told to go on, or gets its 413 before sending anything.
pub(crate) async fn read_body<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    mut leftover: BytesMut,
    (length, expects_continue): (usize, bool),
    timeout: Duration,
) -> Result<BytesMut, BodyError> {
    if length > MAX_BODY {
        if !expects_continue {
            discard(stream, length.saturating_sub(leftover.len()), timeout).await;
        }
        return Err(BodyError::TooLarge);
    }
    if expects_continue && leftover.len() < length {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
    }
    let read = async {
        while leftover.len() < length {
            leftover.reserve(length - leftover.len());
            if stream.read_buf(&mut leftover).await? == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
            }
        }
        Ok(())
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(())) => {
            leftover.truncate(length);
            Ok(leftover)
        }
        _ => Err(BodyError::Bad("the body did not arrive whole".into())),
    }
}

/// Most bytes of a refused body read and dropped before the answer.
const DISCARD: usize = 1 << 20;

/// Reads and drops the `left` bytes a client is still sending of a
/// refused body (at most [`DISCARD`], within `timeout`), so that closing
/// the connection does not reset it before the client has read the 413.
async fn discard<S: AsyncRead + Unpin>(stream: &mut S, left: usize, timeout: Duration) {
    let drain = async {
        let mut buf = [0u8; 8192];
        let mut left = left.min(DISCARD);
        while left > 0 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(timeout, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cheap stand-in for a fuzz target: arbitrary bytes never panic,
    /// and whatever parses keeps the limits.
    #[test]
    fn arbitrary_bodies() {
        let pieces: [&[u8]; 12] = [
            b"{",
            b"}",
            b"\"text\"",
            b":",
            b",",
            b"\"",
            b"\\u0000",
            b"\"from\"",
            b"\"id\"",
            b"null",
            b"7",
            "é".as_bytes(),
        ];
        let mut state = 0x9e37_79b9_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize
        };
        for _ in 0..5000 {
            let mut body = Vec::new();
            for _ in 0..next() % 16 {
                body.extend_from_slice(pieces[next() % pieces.len()]);
            }
            if let Ok(p) = parse_publish(&body) {
                assert!((1..=MAX_TEXT_CHARS).contains(&p.text.chars().count()));
                assert!(p.from.chars().count() <= MAX_FROM_CHARS);
            }
        }
    }

    #[test]
    fn publishes() {
        let p = parse_publish(br#"{"text":"hi"}"#).unwrap();
        assert_eq!(
            (p.text.as_str(), p.from.as_str(), p.id),
            ("hi", "server", None)
        );
        let p = parse_publish(br#"{"text":"hi","from":"bot","id":"x1"}"#).unwrap();
        assert_eq!((p.from.as_str(), p.id.as_deref()), ("bot", Some("x1")));
        for bad in [
            &b"not json"[..],
            b"[1]",
            br#"{"from":"a"}"#,
            br#"{"text":5}"#,
            br#"{"text":""}"#,
            br#"{"text":"a","from":7}"#,
            br#"{"text":"a","id":""}"#,
        ] {
            assert!(
                parse_publish(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = format!(r#"{{"text":"{}"}}"#, "é".repeat(MAX_TEXT_CHARS + 1));
        assert!(parse_publish(long.as_bytes()).is_err());
        let longest = format!(r#"{{"text":"{}"}}"#, "é".repeat(MAX_TEXT_CHARS));
        assert!(parse_publish(longest.as_bytes()).is_ok());
    }
}
