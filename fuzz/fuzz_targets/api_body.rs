#![cfg_attr(fuzzing, no_main)]
//! `parse_publish`, the body of `POST /api/rooms/{room}/messages`: never
//! panics; a refusal is a short message (the 400's `error`); what parses was
//! a JSON object whose `text` it keeps, with `text` of 1–4096 characters,
//! `from` trimmed to 1–32 without control characters, `id` of 1–64.
//! (`crates/server/tests/fuzz_corpus.rs` replays the seeds.)
use ws_server::untrusted::{MAX_FROM_CHARS, MAX_ID_CHARS, MAX_TEXT_CHARS, parse_publish};

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

pub(crate) fn check(data: &[u8]) {
    let publish = match parse_publish(data) {
        Ok(publish) => publish,
        Err(message) => return assert!(!message.is_empty() && message.len() < 200, "{message}"),
    };
    let body: serde_json::Value = serde_json::from_slice(data).expect("it parsed");
    assert_eq!(body["text"].as_str(), Some(publish.text.as_str()));
    assert!((1..=MAX_TEXT_CHARS).contains(&publish.text.chars().count()));
    let from = &publish.from;
    assert!((1..=MAX_FROM_CHARS).contains(&from.chars().count()) && from.trim() == from);
    assert!(!from.chars().any(char::is_control));
    let id = publish.id.as_ref().map_or(1, |id| id.chars().count());
    assert!((1..=MAX_ID_CHARS).contains(&id));
}
