//! The parsers of what strangers send that need no socket: the join token
//! of `?token=` and the body of an API publish. They are public so that the
//! fuzz targets (`fuzz/fuzz_targets/auth_token.rs`, `api_body.rs`) can
//! reach them; the server itself calls them from its routes, before any
//! upgrade or room is touched.
//!
//! ```text
//!  ?token=JWT ──► Auth::check ──► Grant { sub, expires } | Denied { 401 | 403, reason }
//!  POST body  ──► parse_publish ─► Publish { text, from, id } | a 400 message
//! ```
//!
//! Nothing here logs, allocates beyond its input's size, or panics on any
//! input: those are the invariants the fuzz targets check.

pub use crate::api::{MAX_FROM_CHARS, MAX_ID_CHARS, Publish, parse_publish};
pub use crate::auth::{Auth, Denied, Grant, MAX_SUB_CHARS, MAX_TOKEN_BYTES, NBF_LEEWAY};
pub use crate::chat::MAX_TEXT_CHARS;
