//! The verdict vocabulary, spelled exactly as Autobahn's reports spell it,
//! so that tools reading Autobahn's `index.json` read ours unchanged.

use std::fmt;

use serde::{Serialize, Serializer};

/// The outcome of a case, for what was exchanged (`behavior`) or for how
/// the connection ended (`behaviorClose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The peer did what the RFC requires.
    Ok,
    /// The peer did something the RFC allows but does not prefer (for
    /// example it noticed an error only at the end of a message).
    NonStrict,
    /// The peer broke a rule.
    Failed,
    /// The RFC leaves the outcome open; the case only records it.
    Informational,
    /// The peer does not implement what the case needs (or the checker
    /// does not implement the case yet).
    Unimplemented,
    /// `behaviorClose` only: the close code was not one the case allows.
    WrongCode,
    /// `behaviorClose` only: the RFC requires a clean close here and the
    /// close handshake did not complete.
    Unclean,
    /// `behaviorClose` only: the checker (the client) had to drop the TCP
    /// connection; RFC 6455 §7.1.1 wants the server to drop it first.
    FailedByClient,
}

impl Verdict {
    /// The word used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::NonStrict => "NON-STRICT",
            Self::Failed => "FAILED",
            Self::Informational => "INFORMATIONAL",
            Self::Unimplemented => "UNIMPLEMENTED",
            Self::WrongCode => "WRONG CODE",
            Self::Unclean => "UNCLEAN",
            Self::FailedByClient => "FAILED BY CLIENT",
        }
    }

    /// Whether this verdict counts as a failure: `FAILED` always,
    /// `NON-STRICT` only when `strict`.
    #[must_use]
    pub fn is_failure(self, strict: bool) -> bool {
        match self {
            Self::Failed | Self::WrongCode | Self::Unclean | Self::FailedByClient => true,
            Self::NonStrict => strict,
            Self::Ok | Self::Informational | Self::Unimplemented => false,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
