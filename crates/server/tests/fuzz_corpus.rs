//! Replays the seed corpora of the fuzz targets `auth_token` and `api_body`
//! (`fuzz/corpus/…`) through the targets' own `check`, so that their
//! invariants run on every `cargo test`, and pins what a few seeds must
//! give: a target whose oracle never sees a grant would prove nothing.

// `cargo fuzz` builds the targets with `--cfg fuzzing`, a cfg this crate
// does not declare; without it the targets are plain modules with a `check`.
#![allow(unexpected_cfgs)]

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use ws_server::untrusted::{Auth, parse_publish};

#[path = "../../../fuzz/fuzz_targets/auth_token.rs"]
mod auth_token;

#[path = "../../../fuzz/fuzz_targets/api_body.rs"]
mod api_body;

fn seed(target: &str, name: &str) -> Vec<u8> {
    let path = corpus(target).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

fn replay(target: &str, check: fn(&[u8])) {
    let dir = corpus(target);
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        // A panic names the seed.
        eprintln!("{}", path.display());
        check(&std::fs::read(&path).unwrap());
        seeds += 1;
    }
    assert!(seeds >= 12, "only {seeds} seeds in {}", dir.display());
}

#[test]
fn auth_token_seeds() {
    replay("auth_token", auth_token::check);
}

#[test]
fn api_body_seeds() {
    replay("api_body", api_body::check);
}

/// The seeds reach both ends of the token target: grants (so its
/// assertions on a grant run) and refusals for each reason.
#[test]
fn auth_token_seeds_reach_grants_and_refusals() {
    let secret = b"fuzz-secret";
    let now = UNIX_EPOCH + Duration::from_secs(1 << 30);
    let outcome = |name: &str| {
        let data = seed("auth_token", name);
        let text = String::from_utf8_lossy(&data[1..]).into_owned();
        let (claims, room) = text.split_once('\n').unwrap_or((&text, "r"));
        let token = if data[0] % 2 == 1 {
            let claims: serde_json::Value = serde_json::from_str(claims).unwrap();
            let key = jsonwebtoken::EncodingKey::from_secret(secret);
            jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
        } else {
            text.clone()
        };
        Auth::hmac(secret)
            .check(Some(&token), room, now)
            .map(|grant| grant.sub)
            .map_err(|denied| (denied.status, denied.reason))
    };
    assert_eq!(outcome("valid"), Ok("ann".into()));
    assert_eq!(outcome("pattern"), Ok("ann".into()));
    assert_eq!(outcome("nbf_in_leeway"), Ok("ann".into()));
    assert_eq!(outcome("expired_now"), Err((401, "token expired")));
    assert_eq!(outcome("nbf_too_late"), Err((401, "token not yet valid")));
    assert_eq!(
        outcome("room_not_allowed"),
        Err((403, "room not allowed by token"))
    );
    assert_eq!(outcome("empty_sub"), Err((401, "malformed token: bad sub")));
    assert_eq!(outcome("alg_none"), Err((401, "malformed token")));
    assert_eq!(outcome("bad_signature"), Err((401, "bad token signature")));
}

#[test]
fn api_body_seeds_reach_publishes_and_refusals() {
    assert!(parse_publish(&seed("api_body", "all_fields")).is_ok());
    assert!(parse_publish(&seed("api_body", "longest_text")).is_ok());
    assert!(parse_publish(&seed("api_body", "too_long_text")).is_err());
    assert!(parse_publish(&seed("api_body", "deep")).is_err());
}
