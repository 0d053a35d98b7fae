//! Running `httparse` within [`Limits`]: the part of parsing a request and
//! a response share, so that neither can be made to scan or allocate past
//! the limits (RFC 6455 §10.4).

use crate::error::Error;
use crate::head::Header;
use crate::limits::Limits;

/// Parses one HTTP head from the start of `buf` within `limits`.
///
/// `parse` runs `httparse`'s request or response parser over the bytes it is
/// given, with header slots to fill, and once the head is complete turns
/// the borrowed result into an owned value (with its length). This function
/// decides what the limits mean: `Ok(None)` while the head is incomplete and
/// still within them, [`Error::HeadersTooLarge`] when it cannot end within
/// `max_header_bytes`.
pub(crate) fn parse_head<'b, T>(
    buf: &'b [u8],
    limits: &Limits,
    parse: impl FnOnce(
        &'b [u8],
        &mut [httparse::Header<'b>],
    ) -> Result<httparse::Status<(usize, T)>, Error>,
) -> Result<Option<(T, usize)>, Error> {
    let window = window(buf, limits);
    let mut slots = slots(limits);
    match parse(window, &mut slots)? {
        httparse::Status::Complete((n, _)) if n > limits.max_header_bytes => {
            Err(Error::HeadersTooLarge)
        }
        httparse::Status::Complete((n, head)) => Ok(Some((head, n))),
        // A head that is still incomplete at the limit can only end beyond it.
        httparse::Status::Partial if window.len() >= limits.max_header_bytes => {
            Err(Error::HeadersTooLarge)
        }
        httparse::Status::Partial => Ok(None),
    }
}

/// The part of `buf` the parser looks at: one byte more than the limit, so a
/// head that does not end within the limit is recognised as too large
/// without scanning an unbounded buffer again and again.
fn window<'b>(buf: &'b [u8], limits: &Limits) -> &'b [u8] {
    let end = buf.len().min(limits.max_header_bytes.saturating_add(1));
    &buf[..end]
}

/// Empty header slots for `httparse`, as many as the limit allows. A header
/// line takes at least 3 bytes (`a:` and LF), so more slots than that could
/// never be filled within `max_header_bytes`.
fn slots<'b>(limits: &Limits) -> Vec<httparse::Header<'b>> {
    let n = limits.max_headers.min(limits.max_header_bytes / 3 + 1);
    vec![httparse::EMPTY_HEADER; n]
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
