//! What requests and responses share: header lines, HTTP list ("#rule")
//! matching and the token grammar. A leaf: it imports nothing of the crate.

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

/// The accessors a request and a response share, for a type with fields
/// `version: u8` and `headers: Vec<Header>`: written once, expanded in
/// `Request` and `Response`.
macro_rules! accessors {
    () => {
        /// The HTTP minor version: `1` for HTTP/1.1, `0` for HTTP/1.0.
        #[must_use]
        pub fn version(&self) -> u8 {
            self.version
        }

        /// The first header named `name` (case-insensitive), trimmed, if its
        /// value is UTF-8.
        #[must_use]
        pub fn header(&self, name: &str) -> Option<&str> {
            $crate::head::find(&self.headers, name)
        }

        /// All header lines in the order received.
        #[must_use]
        pub fn headers(&self) -> &[$crate::head::Header] {
            &self.headers
        }
    };
}
pub(crate) use accessors;

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
