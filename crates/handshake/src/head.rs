//! What requests and responses share: header lines, limits around
//! `httparse`, and HTTP list ("#rule") matching.

use crate::{Error, Limits};

/// One header line as received: the name as sent (compare it
/// case-insensitively) and the raw value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The field name, as sent.
    pub name: String,
    /// The field value, as sent (HTTP allows non-UTF-8 `obs-text`).
    pub value: Vec<u8>,
}

impl Header {
    /// A header line from a name and a value.
    #[must_use]
    pub fn new(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: value.as_bytes().to_vec(),
        }
    }

    /// The value without surrounding whitespace, if it is UTF-8.
    #[must_use]
    pub fn value_str(&self) -> Option<&str> {
        core::str::from_utf8(self.value.trim_ascii()).ok()
    }

    /// Whether this line's name is `name`, ASCII case-insensitively
    /// (RFC 6455 §4.1: "all header field names in both HTTP requests and HTTP
    /// responses are case-insensitive").
    #[must_use]
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// The first header named `name` whose value is UTF-8.
pub(crate) fn find<'h>(headers: &'h [Header], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .filter(|h| h.is(name))
        .find_map(Header::value_str)
}

/// How many header lines are named `name`.
pub(crate) fn count(headers: &[Header], name: &str) -> usize {
    headers.iter().filter(|h| h.is(name)).count()
}

/// The elements of the comma-separated list formed by every `name` line
/// (RFC 2616 §4.2: multiple lines "MUST be able to be combined" into one
/// comma-separated list), trimmed, empty elements skipped.
pub(crate) fn list<'h>(headers: &'h [Header], name: &str) -> impl Iterator<Item = &'h str> {
    headers
        .iter()
        .filter(move |h| h.is(name))
        .filter_map(Header::value_str)
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
}

/// Whether the combined `name` list has an element equal to `token`, ASCII
/// case-insensitively.
pub(crate) fn has_token(headers: &[Header], name: &str, token: &str) -> bool {
    list(headers, name).any(|element| element.eq_ignore_ascii_case(token))
}

/// The part of `buf` the parser looks at: one byte more than the limit, so a
/// head that does not end within the limit is recognised as too large
/// without scanning an unbounded buffer again and again.
pub(crate) fn window<'b>(buf: &'b [u8], limits: &Limits) -> &'b [u8] {
    let end = buf.len().min(limits.max_header_bytes.saturating_add(1));
    &buf[..end]
}

/// Empty header slots for `httparse`, as many as the limit allows. A header
/// line takes at least 3 bytes (`a:` and LF), so more slots than that could
/// never be filled within `max_header_bytes`.
pub(crate) fn slots<'b>(limits: &Limits) -> Vec<httparse::Header<'b>> {
    let n = limits.max_headers.min(limits.max_header_bytes / 3 + 1);
    vec![httparse::EMPTY_HEADER; n]
}

/// Turns `httparse`'s answer into ours: `Ok(None)` while the head is
/// incomplete and still within the limit, the head length when complete.
///
/// # Errors
///
/// [`Error::HeadersTooLarge`] when the head does not end within
/// `max_header_bytes`; `httparse` errors mapped by `From`.
pub(crate) fn finish(
    status: Result<httparse::Status<usize>, httparse::Error>,
    window_len: usize,
    limits: &Limits,
) -> Result<Option<usize>, Error> {
    match status? {
        httparse::Status::Complete(n) if n > limits.max_header_bytes => Err(Error::HeadersTooLarge),
        httparse::Status::Complete(n) => Ok(Some(n)),
        // A head that is still incomplete at the limit can only end beyond it.
        httparse::Status::Partial if window_len >= limits.max_header_bytes => {
            Err(Error::HeadersTooLarge)
        }
        httparse::Status::Partial => Ok(None),
    }
}

/// Owned copies of the parsed header lines.
pub(crate) fn collect(parsed: &[httparse::Header<'_>]) -> Vec<Header> {
    parsed
        .iter()
        .map(|h| Header {
            name: h.name.to_owned(),
            value: h.value.to_vec(),
        })
        .collect()
}

/// Whether `s` is an RFC 2616 `token`: one or more CHARs that are neither
/// CTLs nor separators.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// RFC 2616 §2.2: `token = 1*<any CHAR except CTLs or separators>`, with
/// `separators = "(" | ")" | "<" | ">" | "@" | "," | ";" | ":" | "\" | <">
/// | "/" | "[" | "]" | "?" | "=" | "{" | "}" | SP | HT`.
pub(crate) fn is_token_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7E)
        && !matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
        )
}

/// Whether a header line can be written without breaking the message
/// framing: a token name and a value without CR, LF or NUL.
pub(crate) fn is_safe_line(name: &str, value: &str) -> bool {
    is_token(name) && !value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

/// Appends `name: value` CRLF, unless the line would break the framing.
pub(crate) fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    if is_safe_line(name, value) {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&str, &str)]) -> Vec<Header> {
        lines.iter().map(|(n, v)| Header::new(n, v)).collect()
    }

    #[test]
    fn token_lists_match_case_insensitively_across_lines() {
        let h = headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("Upgrade", "WebSocket"),
            ("X", "a,,b"),
            ("x", " c "),
        ]);
        assert!(has_token(&h, "Connection", "upgrade"));
        assert!(has_token(&h, "UPGRADE", "websocket"));
        assert!(!has_token(&h, "Connection", "keep"));
        assert_eq!(list(&h, "x").collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(find(&h, "X"), Some("a,,b"));
        assert_eq!(count(&h, "x"), 2);
    }

    #[test]
    fn token_grammar() {
        assert!(is_token("permessage-deflate"));
        assert!(is_token("!#$%&'*+-.^_`|~09azAZ"));
        for bad in ["", "a b", "a,b", "a;b", "a=b", "a\"", "é", "a\tb", "a/b"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }
}
