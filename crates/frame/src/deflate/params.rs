//! The parameters of permessage-deflate (RFC 7692 §7.1): their names, the
//! grammar an offer or an answer must follow (§7), the agreed set
//! ([`DeflateParams`]) and why a set is refused ([`NegotiationError`]).
//!
//! Parameters arrive as `(name, value)` pairs, the shape in which
//! `ws-handshake` parses a `Sec-WebSocket-Extensions` element (quoted values
//! already unquoted), so this crate needs no handshake types.

use std::fmt;

use super::{EXTENSION_NAME, MAX_WINDOW_BITS, MIN_WINDOW_BITS};

pub(super) const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
pub(super) const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
pub(super) const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
pub(super) const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The parameters of an agreed permessage-deflate: what the server's
/// answer says (RFC 7692 §7.1). `Display` writes it as that answer, e.g.
/// `permessage-deflate; server_no_context_takeover; client_max_window_bits=12`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// §7.1.1.1: the server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// §7.1.1.2: the client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// §7.1.2.1: the server's LZ77 window, 8..=15 (`None`: 15).
    pub server_max_window_bits: Option<u8>,
    /// §7.1.2.2: the client's LZ77 window, 8..=15 (`None`: 15).
    pub client_max_window_bits: Option<u8>,
}

impl fmt::Display for DeflateParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXTENSION_NAME)?;
        if self.server_no_context_takeover {
            write!(f, "; {SERVER_NO_CONTEXT_TAKEOVER}")?;
        }
        if self.client_no_context_takeover {
            write!(f, "; {CLIENT_NO_CONTEXT_TAKEOVER}")?;
        }
        if let Some(bits) = self.server_max_window_bits {
            write!(f, "; {SERVER_MAX_WINDOW_BITS}={bits}")?;
        }
        if let Some(bits) = self.client_max_window_bits {
            write!(f, "; {CLIENT_MAX_WINDOW_BITS}={bits}")?;
        }
        Ok(())
    }
}

/// The four parameters RFC 7692 §7.1 defines, in the order `parse` indexes them.
const KNOWN: [&str; 4] = [
    SERVER_NO_CONTEXT_TAKEOVER,
    CLIENT_NO_CONTEXT_TAKEOVER,
    SERVER_MAX_WINDOW_BITS,
    CLIENT_MAX_WINDOW_BITS,
];

/// One offer or answer, checked against the §7.1 grammar.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) server_no_context_takeover: bool,
    pub(super) client_no_context_takeover: bool,
    pub(super) server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (allowed in an offer only).
    pub(super) client_max_window_bits: Option<Option<u8>>,
}

/// Checks the parameters of one `permessage-deflate` element.
///
/// RFC 7692 §7: "A server MUST decline an extension negotiation offer for
/// this extension if any of the following conditions are met: The
/// negotiation offer contains an extension parameter not defined for use in
/// an offer. The negotiation offer contains an extension parameter with an
/// invalid value. The negotiation offer contains multiple extension
/// parameters with the same name." §7.1 holds the client to the same rules
/// for the response.
pub(super) fn parse<S: AsRef<str>>(params: &[(S, Option<S>)]) -> Result<Parsed, NegotiationError> {
    let mut parsed = Parsed::default();
    let mut seen = [false; 4];
    for (name, value) in params {
        let (name, value) = (name.as_ref(), value.as_ref().map(AsRef::as_ref));
        let index = KNOWN
            .iter()
            .position(|known| known.eq_ignore_ascii_case(name))
            .ok_or_else(|| NegotiationError::UnknownParameter(name.to_owned()))?;
        let known = KNOWN[index];
        if std::mem::replace(&mut seen[index], true) {
            return Err(NegotiationError::DuplicateParameter(known));
        }
        match (index, value) {
            // §7.1.1.1, §7.1.1.2: "This parameter has no value."
            (0 | 1, Some(_)) => return Err(NegotiationError::UnexpectedValue(known)),
            (0, None) => parsed.server_no_context_takeover = true,
            (1, None) => parsed.client_no_context_takeover = true,
            // §7.1.2.1: "This parameter has a value."
            (2, None) => return Err(NegotiationError::MissingValue(known)),
            (2, Some(value)) => parsed.server_max_window_bits = Some(parse_window_bits(value)?),
            // §7.1.2.2: "This parameter has no value or a decimal integer value".
            (_, value) => {
                parsed.client_max_window_bits = Some(value.map(parse_window_bits).transpose()?)
            }
        }
    }
    Ok(parsed)
}

/// RFC 7692 §7.1.2.1: "The value MUST conform to the ABNF below.
/// `server-max-window-bits = 1*DIGIT` ... an integer from 8 to 15 inclusive"
/// (§7.1.2.2 the same for the client's).
fn parse_window_bits(value: &str) -> Result<u8, NegotiationError> {
    value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse::<u8>().ok())
        .flatten()
        .filter(|bits| (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(bits))
        .ok_or_else(|| NegotiationError::InvalidWindowBits(value.to_owned()))
}

/// Why a permessage-deflate offer or answer is refused. A server declines
/// such an offer and looks at the next one (RFC 7692 §7); a client that
/// gets such an answer must _Fail the WebSocket Connection_ (§7.1).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// A client received an answer to an offer it never made (deflate is
    /// disabled in its configuration).
    NotOffered,
    /// A parameter RFC 7692 does not define (§7).
    UnknownParameter(String),
    /// The same parameter twice (§7).
    DuplicateParameter(&'static str),
    /// A value on a parameter that has none (§7.1.1.1, §7.1.1.2).
    UnexpectedValue(&'static str),
    /// No value on a parameter that needs one (§7.1.2.1; in an answer,
    /// `client_max_window_bits` too, §7.1.2.2).
    MissingValue(&'static str),
    /// A window size that is not a decimal integer from 8 to 15
    /// (§7.1.2.1, §7.1.2.2).
    InvalidWindowBits(String),
    /// We asked for `server_no_context_takeover` and the answer does not
    /// grant it (§7.1.1.1).
    ContextTakeoverNotGranted,
    /// We asked for a `server_max_window_bits` and the answer grants none,
    /// or a larger one (§7.1.2.1).
    WindowNotGranted {
        /// The window we asked for.
        asked: u8,
        /// The window the answer gave, if any.
        answered: Option<u8>,
    },
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("permessage-deflate: ")?;
        match self {
            Self::NotOffered => f.write_str("answered though not offered"),
            Self::UnknownParameter(name) => write!(f, "unknown parameter {name:?}"),
            Self::DuplicateParameter(name) => write!(f, "duplicate parameter {name}"),
            Self::UnexpectedValue(name) => write!(f, "{name} takes no value"),
            Self::MissingValue(name) => write!(f, "{name} needs a value"),
            Self::InvalidWindowBits(value) => write!(f, "window bits {value:?} not in 8..=15"),
            Self::ContextTakeoverNotGranted => {
                write!(f, "{SERVER_NO_CONTEXT_TAKEOVER} was requested")
            }
            Self::WindowNotGranted {
                asked,
                answered: Some(bits),
            } => write!(
                f,
                "{SERVER_MAX_WINDOW_BITS}={bits} above the {asked} requested"
            ),
            Self::WindowNotGranted {
                asked,
                answered: None,
            } => write!(f, "{SERVER_MAX_WINDOW_BITS}={asked} was requested"),
        }
    }
}

impl std::error::Error for NegotiationError {}
