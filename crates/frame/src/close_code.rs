//! Close status codes (RFC 6455 §7.4): a newtype over the wire's `u16`.

use std::fmt;

/// A close status code (RFC 6455 §7.4).
///
/// Any `u16` is representable, so that a code received from the wire can be
/// reported even when it is one we do not know; [`CloseCode::is_valid_on_wire`]
/// says whether a peer may send it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
// ANCHOR: close_code_consts
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000 (RFC 6455 §7.4.1): the purpose for which the connection was established is fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001 (RFC 6455 §7.4.1): an endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002 (RFC 6455 §7.4.1): the peer broke the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003 (RFC 6455 §7.4.1): a type of data this endpoint cannot accept (e.g. binary only).
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005 (RFC 6455 §7.4.1): reserved; means "no status code was present". Never sent.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006 (RFC 6455 §7.4.1): reserved; means "closed without a Close frame". Never sent.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007 (RFC 6455 §7.4.1): data inconsistent with the message type (e.g. invalid UTF-8 text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008 (RFC 6455 §7.4.1): a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009 (RFC 6455 §7.4.1): a message too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    // ANCHOR_END: close_code_consts
    /// 1010 (RFC 6455 §7.4.1): the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011 (RFC 6455 §7.4.1): the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: bad gateway (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015 (RFC 6455 §7.4.1): reserved; TLS handshake failure. Never sent.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    // ANCHOR: close_codes
    /// Whether an endpoint may put this code in a Close frame.
    ///
    /// RFC 6455 §7.4.1 reserves 1004, and says 1005, 1006 and 1015 "MUST NOT
    /// be set as a status code in a Close control frame by an endpoint".
    /// §7.4.2: 0–999 are not used; 1000–2999 are reserved for the protocol
    /// and its extensions (only the registered ones are meaningful);
    /// 3000–3999 are for libraries and frameworks; 4000–4999 are private.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
    // ANCHOR_END: close_codes

    /// The name of the code in RFC 6455 §7.4.1 or the IANA registry.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "NORMAL",
            1001 => "GOING_AWAY",
            1002 => "PROTOCOL_ERROR",
            1003 => "UNSUPPORTED_DATA",
            1004 => "RESERVED",
            1005 => "NO_STATUS",
            1006 => "ABNORMAL",
            1007 => "INVALID_PAYLOAD",
            1008 => "POLICY_VIOLATION",
            1009 => "MESSAGE_TOO_BIG",
            1010 => "MANDATORY_EXTENSION",
            1011 => "INTERNAL_ERROR",
            1012 => "SERVICE_RESTART",
            1013 => "TRY_AGAIN_LATER",
            1014 => "BAD_GATEWAY",
            1015 => "TLS_HANDSHAKE",
            _ => return None,
        })
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{}({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::CloseCode;

    /// Every named constant, with the name `name()` must give it.
    const NAMED: [(CloseCode, &str); 15] = [
        (CloseCode::NORMAL, "NORMAL"),
        (CloseCode::GOING_AWAY, "GOING_AWAY"),
        (CloseCode::PROTOCOL_ERROR, "PROTOCOL_ERROR"),
        (CloseCode::UNSUPPORTED_DATA, "UNSUPPORTED_DATA"),
        (CloseCode::NO_STATUS, "NO_STATUS"),
        (CloseCode::ABNORMAL, "ABNORMAL"),
        (CloseCode::INVALID_PAYLOAD, "INVALID_PAYLOAD"),
        (CloseCode::POLICY_VIOLATION, "POLICY_VIOLATION"),
        (CloseCode::MESSAGE_TOO_BIG, "MESSAGE_TOO_BIG"),
        (CloseCode::MANDATORY_EXTENSION, "MANDATORY_EXTENSION"),
        (CloseCode::INTERNAL_ERROR, "INTERNAL_ERROR"),
        (CloseCode::SERVICE_RESTART, "SERVICE_RESTART"),
        (CloseCode::TRY_AGAIN_LATER, "TRY_AGAIN_LATER"),
        (CloseCode::BAD_GATEWAY, "BAD_GATEWAY"),
        (CloseCode::TLS_HANDSHAKE, "TLS_HANDSHAKE"),
    ];

    #[test]
    fn every_registered_code_has_its_own_name() {
        for (code, name) in NAMED {
            assert_eq!(code.name(), Some(name), "{}", code.0);
        }
        assert_eq!(CloseCode(1004).name(), Some("RESERVED"));
        for unnamed in [0, 999, 1016, 2999, 3000, 4001, u16::MAX] {
            assert_eq!(CloseCode(unnamed).name(), None, "{unnamed}");
        }
    }

    #[test]
    fn display_and_debug_show_the_number_and_the_name() {
        assert_eq!(CloseCode::NORMAL.to_string(), "1000(NORMAL)");
        assert_eq!(
            format!("{:?}", CloseCode::MESSAGE_TOO_BIG),
            "1009(MESSAGE_TOO_BIG)"
        );
        assert_eq!(CloseCode(4001).to_string(), "4001");
        assert_eq!(format!("{:?}", CloseCode(3000)), "3000");
    }

    #[test]
    fn conversions_keep_the_number() {
        for number in [0, 1000, 1015, 3000, 4999, u16::MAX] {
            assert_eq!(u16::from(CloseCode::from(number)), number);
            assert_eq!(CloseCode::from(number), CloseCode(number));
        }
    }

    // RFC 6455 §7.4.1, §7.4.2: exactly these may travel in a Close frame.
    #[test]
    fn only_sendable_codes_are_valid_on_the_wire() {
        let valid: Vec<u16> = (0..=u16::MAX)
            .filter(|&n| CloseCode(n).is_valid_on_wire())
            .collect();
        let expected: Vec<u16> = (1000..=1003)
            .chain(1007..=1014)
            .chain(3000..=4999)
            .collect();
        assert_eq!(valid, expected);
    }
}
