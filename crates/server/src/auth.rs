//! Who may join a chat room: the signed token of `?token=JWT`
//! (`docs/server-interface.md` §7), checked before the upgrade.
//!
//! ```text
//!  ?token= ─► header: alg is the configured kind? ─► signature (jsonwebtoken)
//!          ─► exp (strict), nbf (30 s early at most) ─► sub, rooms ─► Grant
//!  any step fails ─► Denied { 401 | 403, a short reason }
//! ```
//!
//! The signature checks are `jsonwebtoken`'s; what is ours is the pinning
//! of `alg` to the kind of key configured (an HMAC token is never checked
//! against a public key, `alg: none` never parses), the claims, and the
//! reasons. The token itself is never logged or echoed: only the reason.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// How early a token's `nbf` may be honoured: the issuer's clock may run
/// this far ahead of ours. `exp` gets no such grace, so that the door and
/// the close at `exp` (4001) agree: a token is never used past its `exp`
/// by this server's clock.
pub const NBF_LEEWAY: Duration = Duration::from_secs(30);

/// Longest token read from the query: a real one is a few hundred bytes;
/// this bounds the work a hostile one can ask for.
pub const MAX_TOKEN_BYTES: usize = 8 << 10;

/// Longest `sub`, in characters (a member name's limit).
pub const MAX_SUB_CHARS: usize = 32;

/// The configured verifier: one key, one algorithm.
pub struct Auth {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Auth")
            .field("alg", &self.validation.algorithms)
            .finish_non_exhaustive()
    }
}

/// What a valid token lets a connection do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The member's name (`sub`).
    pub sub: String,
    /// When the token expires: the connection is closed with 4001 then.
    pub expires: SystemTime,
}

/// Why a join was refused before its upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    /// 401, or 403 for a room the token does not allow.
    pub status: u16,
    /// The plain-text reason, also the metric's label.
    pub reason: &'static str,
}

impl Denied {
    const fn unauthorized(reason: &'static str) -> Self {
        Self {
            status: 401,
            reason,
        }
    }
}

/// The claims read from a token (unknown ones are ignored).
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    rooms: Vec<String>,
    exp: u64,
    #[serde(default)]
    nbf: Option<u64>,
}

impl Auth {
    /// Tokens signed with the HMAC `secret` (HS256).
    pub fn hmac(secret: &[u8]) -> Self {
        Self::with(DecodingKey::from_secret(secret), Algorithm::HS256)
    }

    /// Tokens signed with the private half of the PEM public key `pem`:
    /// RS256 for an RSA key, ES256 for a P-256 key.
    ///
    /// # Errors
    /// `pem` is neither an RSA nor an EC public key in PEM.
    pub fn public_key(pem: &[u8]) -> Result<Self, String> {
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            return Ok(Self::with(key, Algorithm::RS256));
        }
        match DecodingKey::from_ec_pem(pem) {
            Ok(key) => Ok(Self::with(key, Algorithm::ES256)),
            Err(e) => Err(format!(
                "not an RSA or P-256 public key in PEM (RS256 or ES256): {e}"
            )),
        }
    }

    fn with(key: DecodingKey, alg: Algorithm) -> Self {
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = 0;
        // `exp` and `nbf` are checked here, against the `now` given to
        // `check` (jsonwebtoken would read the system clock itself): one
        // clock for both, and a check that tests and the fuzz target can
        // run at any time. `exp` must still be present.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        Self { key, validation }
    }

    /// The algorithm tokens must name.
    pub(crate) fn algorithm(&self) -> Algorithm {
        self.validation.algorithms[0]
    }

    /// Checks the `token` of a join to `room` at `now`.
    ///
    /// # Errors
    /// [`Denied`]: 401 for a missing, malformed, badly signed, expired or
    /// not yet valid token; 403 for a room the token does not list.
    pub fn check(&self, token: Option<&str>, room: &str, now: SystemTime) -> Result<Grant, Denied> {
        let token = match token {
            None | Some("") => return Err(Denied::unauthorized("missing token")),
            Some(t) if t.len() > MAX_TOKEN_BYTES => {
                return Err(Denied::unauthorized("malformed token"));
            }
            Some(t) => t,
        };
        // The header first: a token of another kind is refused without
        // trying its signature (and `alg: none` does not parse at all).
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Denied::unauthorized("malformed token"))?;
        if header.alg != self.algorithm() {
            return Err(Denied::unauthorized("wrong token algorithm"));
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| Denied::unauthorized(reason(e.kind())))?
            .claims;
        let now_secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        // A token is over at `exp` (RFC 7519 §4.1.4: "on or after").
        if claims.exp <= now_secs {
            return Err(Denied::unauthorized("token expired"));
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now_secs.saturating_add(NBF_LEEWAY.as_secs()))
        {
            return Err(Denied::unauthorized("token not yet valid"));
        }
        let sub = claims.sub.trim();
        if sub.is_empty()
            || sub.chars().count() > MAX_SUB_CHARS
            || sub.chars().any(char::is_control)
        {
            return Err(Denied::unauthorized("malformed token: bad sub"));
        }
        if !claims.rooms.iter().any(|entry| allows(entry, room)) {
            return Err(Denied {
                status: 403,
                reason: "room not allowed by token",
            });
        }
        // An `exp` beyond what the clock can hold (a signed token may still
        // say anything) is refused rather than overflowing.
        let expires = UNIX_EPOCH
            .checked_add(Duration::from_secs(claims.exp))
            .ok_or(Denied::unauthorized("malformed token: exp out of range"))?;
        Ok(Grant {
            sub: sub.to_owned(),
            expires,
        })
    }
}

/// Whether a `rooms` entry allows `room`: equal, or a prefix ending in `*`.
fn allows(entry: &str, room: &str) -> bool {
    match entry.strip_suffix('*') {
        Some(prefix) => room.starts_with(prefix),
        None => entry == room,
    }
}

/// The reason for a failure of `jsonwebtoken::decode`.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad token signature",
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not yet valid",
        ErrorKind::InvalidAlgorithm => "wrong token algorithm",
        ErrorKind::MissingRequiredClaim(_) => "malformed token: missing claim",
        _ => "malformed token",
    }
}

/// The `token` query parameter, as sent (a JWT is URL-safe already).
pub(crate) fn token_of(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_patterns() {
        assert!(allows("lobby", "lobby"));
        assert!(!allows("lobby", "lobby2"));
        assert!(allows("team-*", "team-a"));
        assert!(allows("team-*", "team-"));
        assert!(!allows("team-*", "team"));
        assert!(allows("*", "anything"));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let auth = Auth::hmac(b"secret");
        let now = SystemTime::now();
        for token in ["x", "a.b.c", "....", "eyJhbGciOiJub25lIn0.e30.", "\u{0}"] {
            let denied = auth.check(Some(token), "r", now).unwrap_err();
            assert_eq!(denied.status, 401, "{token}");
        }
        assert_eq!(
            auth.check(None, "r", now).unwrap_err().reason,
            "missing token"
        );
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(auth.check(Some(&long), "r", now).unwrap_err().status, 401);
    }

    /// A cheap stand-in for a fuzz target: a valid token with bytes
    /// changed, cut or repeated is refused (never a panic, never let in
    /// with a changed signature or claims).
    #[test]
    fn mangled_tokens_are_refused() {
        let secret = b"secret";
        let auth = Auth::hmac(secret);
        let now = SystemTime::now();
        let exp = now.duration_since(UNIX_EPOCH).unwrap().as_secs() + 60;
        let claims = serde_json::json!({"sub": "ann", "rooms": ["r"], "exp": exp});
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .unwrap();
        assert!(auth.check(Some(&token), "r", now).is_ok());
        let alphabet = b"ABCxyz019-_.=%";
        let mut state = 0x2545_f491_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize
        };
        for _ in 0..2000 {
            let mut bytes = token.clone().into_bytes();
            for _ in 0..1 + next() % 3 {
                let at = next() % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = alphabet[next() % alphabet.len()],
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, alphabet[next() % alphabet.len()]),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let mangled = String::from_utf8(bytes).unwrap();
            if mangled == token {
                continue;
            }
            // Base64url's last character may carry unused bits: a change
            // there can decode to the same bytes, and is then the same token.
            if let Ok(grant) = auth.check(Some(&mangled), "r", now) {
                assert_eq!(grant.sub, "ann", "{mangled}");
            }
        }
    }

    /// `exp` and `nbf` are read against the `now` given, not the system
    /// clock (found by the fuzz target: jsonwebtoken checked `exp` against
    /// its own clock), at the edges: over at `exp`, and `nbf` honoured up
    /// to [`NBF_LEEWAY`] early, not a second more.
    #[test]
    fn exp_and_nbf_against_the_given_clock() {
        let secret = b"secret";
        let auth = Auth::hmac(secret);
        let now = UNIX_EPOCH + Duration::from_secs(1 << 30);
        let t = 1u64 << 30;
        let check = |claims: serde_json::Value| {
            let key = jsonwebtoken::EncodingKey::from_secret(secret);
            let token =
                jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
            auth.check(Some(&token), "r", now)
                .map(|g| g.sub)
                .map_err(|d| d.reason)
        };
        let claims = |exp: u64, nbf: Option<u64>| serde_json::json!({"sub": "ann", "rooms": ["r"], "exp": exp, "nbf": nbf});
        assert_eq!(check(claims(t + 1, None)), Ok("ann".into()));
        assert_eq!(check(claims(t, None)), Err("token expired"));
        let leeway = NBF_LEEWAY.as_secs();
        assert_eq!(check(claims(t + 60, Some(t + leeway))), Ok("ann".into()));
        assert_eq!(
            check(claims(t + 60, Some(t + leeway + 1))),
            Err("token not yet valid")
        );
        let no_exp = serde_json::json!({"sub": "ann", "rooms": ["r"]});
        assert_eq!(check(no_exp), Err("malformed token"));
    }

    #[test]
    fn tokens_from_the_query() {
        assert_eq!(token_of(Some("name=a&token=x.y.z")), Some("x.y.z"));
        assert_eq!(token_of(Some("name=a")), None);
        assert_eq!(token_of(None), None);
    }
}
