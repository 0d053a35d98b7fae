//! Grammars of the WebSocket header values: `Sec-WebSocket-Extensions`
//! (RFC 6455 §9.1) and `Sec-WebSocket-Protocol` (§4.1 item 10, §11.3.4).
//!
//! Both use RFC 2616 ABNF with its "implied *LWS rule": optional spaces and
//! tabs may appear between any two tokens or separators. `#rule` lists admit
//! empty elements (`a, , b`), but `1#` needs at least one real element.

use core::fmt;

use crate::error::Error;
use crate::head::{is_token, is_token_byte};

/// One element of a `Sec-WebSocket-Extensions` list (RFC 6455 §9.1): an extension name with
/// its parameters, e.g. `permessage-deflate; client_max_window_bits`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtensionOffer {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters in order: name and optional value (a `quoted-string` value
    /// is stored unquoted and unescaped).
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// An offer of extension `name` without parameters.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            params: Vec::new(),
        }
    }

    /// This offer with one more parameter.
    #[must_use]
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Self {
        self.params
            .push((name.to_owned(), value.map(str::to_owned)));
        self
    }

    /// The first parameter called `name` (case-insensitive): `None` if
    /// absent, `Some(None)` if present without a value.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

/// A name-only offer, e.g. `"permessage-deflate".into()`. To offer
/// parameters, use [`ExtensionOffer::with_param`] or [`parse_extensions`].
impl From<&str> for ExtensionOffer {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

/// Writes the offer in §9.1 syntax; values that are not tokens are quoted.
impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            match value {
                Some(v) if is_token(v) => write!(f, "={v}")?,
                Some(v) => {
                    f.write_str("=\"")?;
                    for c in v.chars() {
                        if matches!(c, '"' | '\\') {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?;
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1):
///
/// ```text
/// extension-list  = 1#extension
/// extension       = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
/// ```
///
/// Several header lines are parsed by joining their values with `, `.
///
/// ```
/// let offers = ws_handshake::parse_extensions(
///     r#"permessage-deflate; client_max_window_bits, x-foo; a="b""#,
/// )?;
/// assert_eq!(offers[0].param("client_max_window_bits"), Some(None));
/// assert_eq!(offers[1].param("a"), Some(Some("b")));
/// # Ok::<(), ws_handshake::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidExtension`] (answered with 400) if `value` does not match
/// the grammar, including a list without any extension and a quoted value
/// that is not a token once unescaped.
pub fn parse_extensions(value: &str) -> Result<Vec<ExtensionOffer>, Error> {
    let mut p = Cursor {
        s: value.as_bytes(),
        i: 0,
    };
    let mut offers = Vec::new();
    loop {
        p.skip_ows();
        match p.peek() {
            None => break,
            // RFC 2616 §2.1 "#rule": "null elements are allowed".
            Some(b',') => {
                p.i += 1;
                continue;
            }
            Some(_) => {}
        }
        let name = p.token().ok_or(Error::InvalidExtension(
            "expected an extension name (a token)",
        ))?;
        let mut offer = ExtensionOffer::new(name);
        loop {
            p.skip_ows();
            match p.peek() {
                None | Some(b',') => break,
                Some(b';') => {
                    p.i += 1;
                    offer.params.push(p.param()?);
                }
                Some(_) => {
                    return Err(Error::InvalidExtension(
                        "expected ';' or ',' after an extension or parameter",
                    ));
                }
            }
        }
        offers.push(offer);
    }
    // RFC 6455 §9.1: "extension-list = 1#extension"
    if offers.is_empty() {
        return Err(Error::InvalidExtension("no extension in the list"));
    }
    Ok(offers)
}

/// Writes offers as one `Sec-WebSocket-Extensions` value, the inverse of
/// [`parse_extensions`] for well-formed offers (token names, token values).
#[must_use]
pub fn format_extensions(exts: &[ExtensionOffer]) -> String {
    let mut out = String::new();
    for (i, offer) in exts.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&offer.to_string());
    }
    out
}

/// Parses a `Sec-WebSocket-Protocol` value: `1#token` (RFC 6455 §4.3), in
/// order of preference.
///
/// # Errors
///
/// [`Error::InvalidProtocol`] (answered with 400) if an element is not a
/// token, an element repeats, or the list is empty.
pub fn parse_protocols(value: &str) -> Result<Vec<String>, Error> {
    let mut protocols: Vec<String> = Vec::new();
    for element in value.split(',').map(str::trim) {
        // RFC 2616 §2.1 "#rule": "null elements are allowed".
        if element.is_empty() {
            continue;
        }
        // RFC 6455 §4.1 item 10: "The elements that comprise this value MUST
        // be non-empty strings with characters in the range U+0021 to U+007E
        // not including separator characters as defined in [RFC2616]"
        if !is_token(element) {
            return Err(Error::InvalidProtocol("subprotocol is not a token"));
        }
        // RFC 6455 §4.1 item 10: "... and MUST all be unique strings."
        if protocols.iter().any(|p| p == element) {
            return Err(Error::InvalidProtocol("subprotocol listed twice"));
        }
        protocols.push(element.to_owned());
    }
    // RFC 6455 §4.3: "Sec-WebSocket-Protocol-Client = 1#token"
    if protocols.is_empty() {
        return Err(Error::InvalidProtocol("no subprotocol in the list"));
    }
    Ok(protocols)
}

/// A position in a header value.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips optional whitespace (the "implied *LWS" of RFC 2616 §2.1;
    /// folded lines never reach us, `httparse` rejects them).
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// A token at the cursor, if there is one.
    fn token(&mut self) -> Option<&str> {
        let start = self.i;
        while self.peek().is_some_and(is_token_byte) {
            self.i += 1;
        }
        // Token bytes are ASCII, so this cannot fail.
        core::str::from_utf8(&self.s[start..self.i])
            .ok()
            .filter(|t| !t.is_empty())
    }

    /// `extension-param = token [ "=" (token | quoted-string) ]`, the cursor
    /// just after the `;`.
    fn param(&mut self) -> Result<(String, Option<String>), Error> {
        self.skip_ows();
        let name = self
            .token()
            .ok_or(Error::InvalidExtension(
                "expected a parameter name (a token)",
            ))?
            .to_owned();
        self.skip_ows();
        if self.peek() != Some(b'=') {
            return Ok((name, None));
        }
        self.i += 1;
        self.skip_ows();
        let value = if self.peek() == Some(b'"') {
            let value = self.quoted_string()?;
            // RFC 6455 §9.1: "When using the quoted-string syntax variant, the
            // value after quoted-string unescaping MUST conform to the
            // 'token' ABNF."
            if !is_token(&value) {
                return Err(Error::InvalidExtension(
                    "quoted parameter value is not a token",
                ));
            }
            value
        } else {
            self.token()
                .ok_or(Error::InvalidExtension(
                    "expected a parameter value (a token or quoted-string)",
                ))?
                .to_owned()
        };
        Ok((name, Some(value)))
    }

    /// RFC 2616 §2.2: `quoted-string = <"> *(qdtext | quoted-pair) <">`,
    /// `quoted-pair = "\" CHAR`; returns the unescaped content.
    fn quoted_string(&mut self) -> Result<String, Error> {
        const UNTERMINATED: Error = Error::InvalidExtension("unterminated quoted-string");
        self.i += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            match self.peek().ok_or(UNTERMINATED)? {
                b'"' => {
                    self.i += 1;
                    break;
                }
                b'\\' => {
                    let escaped = self.s.get(self.i + 1).copied().ok_or(UNTERMINATED)?;
                    if !escaped.is_ascii() {
                        return Err(Error::InvalidExtension("invalid quoted-pair"));
                    }
                    out.push(escaped);
                    self.i += 2;
                }
                b => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
        // Anything that is not ASCII fails the token check right after, so a
        // lossy conversion loses nothing that matters.
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests;
