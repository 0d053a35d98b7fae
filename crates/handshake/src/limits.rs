//! How much of an HTTP head the parsers accept: the bounds a peer cannot
//! push us past.

/// Bounds on what the HTTP head parsers accept (RFC 6455 §10.4), so a peer cannot make us
/// buffer or scan without end.
///
/// Exceeding either limit is [`Error::HeadersTooLarge`](crate::Error::HeadersTooLarge) or
/// [`Error::TooManyHeaders`](crate::Error::TooManyHeaders), both answered with 431.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest HTTP head (request or status line, header lines and the final
    /// empty line) in bytes. Default 16 KiB. This bounds how much a caller
    /// buffers before the handshake completes, and how much the parser scans
    /// on each call.
    pub max_header_bytes: usize,
    /// Largest number of header lines. Default 100. This bounds the header
    /// slots allocated per parse call.
    pub max_headers: usize,
}

impl Limits {
    /// Default for [`Limits::max_header_bytes`]: 16 KiB.
    pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
    /// Default for [`Limits::max_headers`]: 100.
    pub const DEFAULT_MAX_HEADERS: usize = 100;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_header_bytes: Self::DEFAULT_MAX_HEADER_BYTES,
            max_headers: Self::DEFAULT_MAX_HEADERS,
        }
    }
}
