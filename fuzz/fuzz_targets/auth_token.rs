#![cfg_attr(fuzzing, no_main)]
//! `Auth::check` (`?token=`). Byte 0 even: the rest is the token as sent, and
//! is refused (only the server has its secret). Odd: the rest is
//! `claims\nroom`, the claims signed with the secret: a grant has the trimmed
//! `sub` (1–32 characters, no control ones), an `exp` after now, and a room
//! one of `rooms` allows. (`crates/server/tests/fuzz_corpus.rs` replays the seeds.)
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::Value;
use std::time::{Duration, UNIX_EPOCH};
use ws_server::untrusted::{Auth, MAX_SUB_CHARS};

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

pub(crate) fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (now, text) = (
        UNIX_EPOCH + Duration::from_secs(1 << 30),
        String::from_utf8_lossy(rest),
    );
    let (claims, room) = text.split_once('\n').unwrap_or((&text, "r"));
    let signed = serde_json::from_str::<Value>(claims)
        .ok()
        .filter(|_| mode % 2 == 1);
    let key = EncodingKey::from_secret(b"fuzz-secret");
    let token = signed.as_ref().map_or(text.to_string(), |c| {
        encode(&Header::default(), c, &key).unwrap()
    });
    let grant = match Auth::hmac(b"fuzz-secret").check(Some(&token), room, now) {
        Err(denied) => {
            return assert!(matches!(denied.status, 401 | 403) && !denied.reason.is_empty());
        }
        Ok(grant) => grant,
    };
    let claims = signed.expect("an unsigned token was let in");
    assert_eq!(claims["sub"].as_str().map(str::trim), Some(&*grant.sub));
    assert!((1..=MAX_SUB_CHARS).contains(&grant.sub.chars().count()) && grant.expires > now);
    assert!(!grant.sub.chars().any(char::is_control));
    let allows = |e: &Value| {
        e.as_str().is_some_and(|e| {
            e.strip_suffix('*')
                .map_or(e == room, |p| room.starts_with(p))
        })
    };
    assert!(claims["rooms"].as_array().unwrap().iter().any(allows));
}
