//! `--api-key`: who may call the API, compared in constant time, and each
//! key's rate limit (a member's: 20/s, burst 50).

use std::sync::Mutex;
use std::time::Instant;

use subtle::ConstantTimeEq;

use crate::chat::{BURST, RATE, TokenBucket};

/// The configured keys, each with its token bucket.
#[derive(Debug)]
pub(crate) struct Keys {
    keys: Vec<Key>,
}

struct Key {
    secret: Vec<u8>,
    bucket: Mutex<TokenBucket>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.write_str("Key(..)")
    }
}

/// Why a call was not let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No `Authorization: Bearer KEY` for a configured key: 401.
    Unauthorized,
    /// The key is over its rate: 429.
    RateLimited,
}

impl Keys {
    /// `keys` (empty ones are dropped: they would let an empty bearer in).
    pub(crate) fn new(keys: &[String]) -> Self {
        let now = Instant::now();
        Self {
            keys: keys
                .iter()
                .filter(|k| !k.is_empty())
                .map(|k| Key {
                    secret: k.as_bytes().to_vec(),
                    bucket: Mutex::new(TokenBucket::new(RATE, BURST, now)),
                })
                .collect(),
        }
    }

    /// Whether any key is configured (else there is no API).
    pub(crate) fn is_enabled(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Checks an `Authorization` header and takes a token from its key's
    /// bucket. Every key is compared, each in constant time, so the time
    /// taken does not say which key (or how much of one) matched.
    ///
    /// # Errors
    /// [`Refused`]: a missing or unknown key, or one over its rate.
    pub(crate) fn admit(&self, authorization: Option<&str>, now: Instant) -> Result<(), Refused> {
        let offered = authorization
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(Refused::Unauthorized)?;
        let mut matched = None;
        for (i, key) in self.keys.iter().enumerate() {
            if bool::from(key.secret.as_slice().ct_eq(offered.as_bytes())) {
                matched = Some(i);
            }
        }
        let key = matched
            .and_then(|i| self.keys.get(i))
            .ok_or(Refused::Unauthorized)?;
        let mut bucket = key
            .bucket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if bucket.try_take(now) {
            Ok(())
        } else {
            Err(Refused::RateLimited)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_keys() {
        let keys = Keys::new(&["k1".into(), "second".into(), String::new()]);
        let now = Instant::now();
        assert_eq!(keys.admit(Some("Bearer k1"), now), Ok(()));
        assert_eq!(keys.admit(Some("bearer second"), now), Ok(()));
        for bad in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer "),
            Some("Basic k1"),
            Some("Bearer k2"),
            Some("Bearer k"),
        ] {
            assert_eq!(keys.admit(bad, now), Err(Refused::Unauthorized), "{bad:?}");
        }
        assert!(!Keys::new(&[String::new()]).is_enabled());
    }

    #[test]
    fn each_key_has_a_members_rate() {
        let keys = Keys::new(&["a".into(), "b".into()]);
        let now = Instant::now();
        for _ in 0..BURST {
            assert_eq!(keys.admit(Some("Bearer a"), now), Ok(()));
        }
        assert_eq!(keys.admit(Some("Bearer a"), now), Err(Refused::RateLimited));
        assert_eq!(keys.admit(Some("Bearer b"), now), Ok(()), "b has its own");
    }
}
