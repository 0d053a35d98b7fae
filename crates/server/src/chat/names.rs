//! Names: of rooms (from the path) and of members (from the query, made
//! unique in a room with `-2`, `-3`, …), `docs/server-interface.md` §3.2.

use std::collections::HashMap;
use std::sync::Arc;

use super::protocol::truncate;

/// Longest room name, in characters.
pub(crate) const MAX_ROOM_CHARS: usize = 64;

/// Longest member name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 32;

/// The room of a `/chat/{room}` path: 1–64 characters of `[A-Za-z0-9_-]`.
/// `None` for any other path (answered with 404 before any upgrade).
pub(crate) fn room_of(path: &str) -> Option<&str> {
    let room = path.strip_prefix("/chat/")?;
    let valid = (1..=MAX_ROOM_CHARS).contains(&room.len())
        && room
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    valid.then_some(room)
}

/// The `name` query parameter: percent-decoded (`+` is a space, as a form
/// sends it), control characters removed, trimmed, cut to 32 characters.
/// `None` when missing or empty (the room then assigns `guest-N`).
pub(crate) fn name_of(query: Option<&str>) -> Option<String> {
    let raw = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("name="))?;
    let decoded = percent_decode(raw);
    let cleaned: String = decoded.chars().filter(|c| !c.is_control()).collect();
    let name = truncate(cleaned.trim(), MAX_NAME_CHARS).trim_end();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Decodes `%XX` escapes and `+`; invalid UTF-8 becomes U+FFFD, a `%` not
/// followed by two hex digits stays as it is.
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    // Two hex digits make a byte: hi, lo < 16.
                    out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `n`th name to try for `base`: `base` itself, then `base-2`,
/// `base-3`, … (the base cut so that the result has at most
/// [`MAX_NAME_CHARS`] characters).
pub(crate) fn candidate(base: &str, n: usize) -> String {
    if n <= 1 {
        return base.to_owned();
    }
    let suffix = format!("-{n}");
    let stem = truncate(base, MAX_NAME_CHARS.saturating_sub(suffix.len()));
    format!("{}{suffix}", stem.trim_end())
}

/// The first [`candidate`] for `base` that is not a key of `taken`.
pub(crate) fn unique_name<V>(taken: &HashMap<Arc<str>, V>, base: &str) -> Arc<str> {
    if !taken.contains_key(base) {
        return Arc::from(base);
    }
    (2_usize..)
        .map(|n| candidate(base, n))
        .find(|name| !taken.contains_key(name.as_str()))
        .map(Arc::from)
        .unwrap_or_else(|| Arc::from(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names() {
        assert_eq!(room_of("/chat/lobby"), Some("lobby"));
        assert_eq!(room_of("/chat/A-b_9"), Some("A-b_9"));
        let longest = format!("/chat/{}", "r".repeat(64));
        assert!(room_of(&longest).is_some());
        for path in [
            "/chat/",
            "/chat",
            "/chat/a/b",
            "/chat/a.b",
            "/chat/caf%C3%A9",
            "/chat/sp ace",
            "/echo",
            &format!("/chat/{}", "r".repeat(65)),
        ] {
            assert_eq!(room_of(path), None, "{path}");
        }
    }

    #[test]
    fn names_from_the_query() {
        assert_eq!(name_of(Some("name=ann")), Some("ann".into()));
        assert_eq!(
            name_of(Some("x=1&name=%20J%C3%BCrgen+K%20")),
            Some("Jürgen K".into())
        );
        assert_eq!(name_of(Some("name=a%0Ab")), Some("ab".into()));
        assert_eq!(name_of(Some("name=100%")), Some("100%".into()));
        assert_eq!(name_of(Some("name=")), None);
        assert_eq!(name_of(Some("name=%20%20")), None);
        assert_eq!(name_of(Some("other=1")), None);
        assert_eq!(name_of(None), None);
        let long = name_of(Some(&"é".repeat(40))).map(|_| ());
        assert_eq!(long, None, "no name= prefix");
        let long = name_of(Some(&format!("name={}", "é".repeat(40)))).unwrap();
        assert_eq!(long.chars().count(), 32);
    }

    #[test]
    fn taken_names_get_a_number_and_stay_short() {
        let mut taken: HashMap<Arc<str>, ()> = HashMap::new();
        assert_eq!(&*unique_name(&taken, "ann"), "ann");
        taken.insert("ann".into(), ());
        taken.insert("ann-2".into(), ());
        assert_eq!(&*unique_name(&taken, "ann"), "ann-3");
        let long = "x".repeat(MAX_NAME_CHARS);
        taken.insert(long.as_str().into(), ());
        let second = unique_name(&taken, &long);
        assert_eq!(second.chars().count(), MAX_NAME_CHARS);
        assert!(second.ends_with("-2"));
    }
}
