//! WebSocket URIs (RFC 6455 §3).

use core::fmt;
use core::fmt::Write as _;
use std::net::Ipv6Addr;

use crate::error::Error;

/// A parsed `ws://` or `wss://` URI (RFC 6455 §3): the /host/, /port/,
/// /resource name/ and /secure/ flag the client needs (§4.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// `wss`: TLS is required (RFC 6455 §3 "the secure flag is set").
    pub secure: bool,
    /// The host as written, IPv6 literals without their brackets.
    pub host: String,
    /// The port, defaulting to 80 for `ws` and 443 for `wss`.
    pub port: u16,
    /// The /resource name/: path and query, `/` if the path is empty.
    /// Characters that may not appear in a request-target (spaces,
    /// non-ASCII, …) are percent-encoded.
    pub resource: String,
}

impl Url {
    /// Parses `ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ]` or
    /// its `wss` twin (RFC 6455 §3). The scheme is case-insensitive.
    ///
    /// ```
    /// let url = ws_handshake::Url::parse("ws://[::1]:9001/x?y")?;
    /// assert_eq!((url.host.as_str(), url.port, url.resource.as_str()), ("::1", 9001, "/x?y"));
    /// assert_eq!(url.host_header(), "[::1]:9001");
    /// # Ok::<(), ws_handshake::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::BadUrl`] for another scheme, a fragment (`#`), user
    /// information (`user@`), an empty or invalid host, or an invalid port
    /// (not a number, above 65535, or 0).
    pub fn parse(s: &str) -> Result<Self, Error> {
        // RFC 6455 §4.1 item 1: "If any of the components are invalid, the
        // client MUST _Fail the WebSocket Connection_".
        let (scheme, rest) = s
            .split_once("://")
            .ok_or(Error::BadUrl("expected ws:// or wss://"))?;
        // RFC 6455 §3: "The URI is called "secure" [...] if the scheme
        // component matches "wss" case-insensitively."
        let secure = if scheme.eq_ignore_ascii_case("ws") {
            false
        } else if scheme.eq_ignore_ascii_case("wss") {
            true
        } else {
            return Err(Error::BadUrl("scheme must be ws or wss"));
        };
        // RFC 6455 §3: "Fragment identifiers are meaningless in the context
        // of WebSocket URIs and MUST NOT be used on these URIs."
        if rest.contains('#') {
            return Err(Error::BadUrl("fragments are not allowed"));
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(authority_end);
        // RFC 6455 §3: "ws:" "//" host [ ":" port ]: no userinfo.
        if authority.contains('@') {
            return Err(Error::BadUrl("user information is not allowed"));
        }
        let (host, port) = split_host_port(authority)?;
        // RFC 6455 §3: "the default for "ws" is port 80, while the default for
        // "wss" is port 443."
        let port = match port {
            None | Some("") => default_port(secure),
            Some(digits) => parse_port(digits)?,
        };
        Ok(Self {
            secure,
            host: host.to_owned(),
            port,
            resource: resource_name(path_and_query),
        })
    }

    /// The `Host` header value: the host (IPv6 in brackets) plus `:port`
    /// unless it is the scheme's default (RFC 6455 §4.1 item 4).
    #[must_use]
    pub fn host_header(&self) -> String {
        let mut out = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port != default_port(self.secure) {
            // Writing to a String cannot fail.
            let _ = write!(out, ":{}", self.port);
        }
        out
    }
}

/// `ws://host[:port]/resource` (or `wss://`).
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(f, "{scheme}://{}{}", self.host_header(), self.resource)
    }
}

fn default_port(secure: bool) -> u16 {
    if secure { 443 } else { 80 }
}

fn parse_port(digits: &str) -> Result<u16, Error> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::BadUrl("port must be a number"));
    }
    match digits.parse::<u16>() {
        Ok(0) => Err(Error::BadUrl("port 0 cannot be connected to")),
        Ok(port) => Ok(port),
        Err(_) => Err(Error::BadUrl("port out of range")),
    }
}

/// Splits `host[:port]` or `[v6]:port`; validates the host.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), Error> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (v6, after) = bracketed
            .split_once(']')
            .ok_or(Error::BadUrl("unterminated IPv6 literal"))?;
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(Error::BadUrl("invalid IPv6 literal"));
        }
        return match after {
            "" => Ok((v6, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((v6, Some(port))),
                None => Err(Error::BadUrl("unexpected characters after IPv6 literal")),
            },
        };
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(Error::BadUrl("missing host"));
    }
    // RFC 3986 §3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ),
    // which also covers IPv4 addresses.
    let reg_name = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b);
    if !host.bytes().all(reg_name) {
        return Err(Error::BadUrl("invalid character in host"));
    }
    Ok((host, port))
}

/// RFC 6455 §3: the resource name is "/" if the path is empty, the path,
/// then "?" and the query if the query is non-empty. Bytes that cannot
/// appear in a request-target are percent-encoded.
fn resource_name(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut out = String::with_capacity(path_and_query.len() + 1);
    if path.is_empty() {
        out.push('/');
    }
    percent_encode_into(&mut out, path);
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        percent_encode_into(&mut out, query);
    }
    out
}

/// Copies `s`, percent-encoding bytes outside RFC 3986 `pchar`, `/` and `?`
/// (`%` is kept: it is assumed to start a pct-encoded triplet).
fn percent_encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
        if allowed {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> (bool, String, u16, String) {
        let u = Url::parse(s).unwrap();
        (u.secure, u.host, u.port, u.resource)
    }

    #[test]
    fn default_ports_and_resource_names() {
        assert_eq!(
            url("ws://example.com"),
            (false, "example.com".into(), 80, "/".into())
        );
        assert_eq!(
            url("wss://example.com"),
            (true, "example.com".into(), 443, "/".into())
        );
        assert_eq!(url("WSS://h/"), (true, "h".into(), 443, "/".into()));
        assert_eq!(
            url("ws://h:8080/a/b?c=d&e"),
            (false, "h".into(), 8080, "/a/b?c=d&e".into())
        );
        assert_eq!(url("ws://h?q"), (false, "h".into(), 80, "/?q".into()));
        assert_eq!(url("ws://h/p?"), (false, "h".into(), 80, "/p".into()));
        assert_eq!(url("ws://h:/p"), (false, "h".into(), 80, "/p".into()));
        assert_eq!(
            url("ws://127.0.0.1:9001"),
            (false, "127.0.0.1".into(), 9001, "/".into())
        );
    }

    #[test]
    fn ipv6_literals() {
        assert_eq!(
            url("ws://[::1]:9001/x?y"),
            (false, "::1".into(), 9001, "/x?y".into())
        );
        assert_eq!(
            url("wss://[fe80::1]"),
            (true, "fe80::1".into(), 443, "/".into())
        );
        let u = Url::parse("ws://[::1]:9001/x?y").unwrap();
        assert_eq!(u.host_header(), "[::1]:9001");
        assert_eq!(u.to_string(), "ws://[::1]:9001/x?y");
        assert_eq!(Url::parse("ws://[::1]/").unwrap().host_header(), "[::1]");
    }

    #[test]
    fn host_header_omits_default_port() {
        assert_eq!(Url::parse("ws://h:80/").unwrap().host_header(), "h");
        assert_eq!(Url::parse("wss://h:443/").unwrap().host_header(), "h");
        assert_eq!(Url::parse("ws://h:443/").unwrap().host_header(), "h:443");
        assert_eq!(Url::parse("wss://h:80/").unwrap().host_header(), "h:80");
    }

    #[test]
    fn awkward_characters_are_percent_encoded() {
        assert_eq!(url("ws://h/a b?n=Jos\u{e9}").3, "/a%20b?n=Jos%C3%A9");
    }

    #[test]
    fn invalid_urls() {
        for bad in [
            "http://h/",
            "https://h/",
            "h/",
            "ws:/h",
            "ws://",
            "ws:///p",
            "ws://h/p#frag",
            "ws://h#",
            "ws://u:p@h/",
            "ws://h:x/",
            "ws://h:65536/",
            "ws://h:0/",
            "ws://h:1:2/",
            "ws://[::1/",
            "ws://[nope]/",
            "ws://[::1]x/",
            "ws://h h/",
        ] {
            assert!(matches!(Url::parse(bad), Err(Error::BadUrl(_))), "{bad:?}");
        }
    }
}
