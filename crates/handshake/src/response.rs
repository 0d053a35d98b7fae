//! Writing an HTTP/1.1 response that is not a 101: rejections of the
//! opening handshake, and whatever else a server answers on the same port.

use crate::head;

/// Builds any other HTTP/1.1 answer (rejections, 404, `/healthz`): status
/// line with the standard reason phrase, `Content-Length`,
/// `Connection: close` (unless `headers` has its own `Connection`), then
/// `headers` and `body`.
///
/// A `Content-Length` in `headers` is ignored: the length of `body` is
/// written. 1xx and 204 answers get neither `Content-Length` nor a body
/// (RFC 7230 §3.3.2). A status outside 100–999 is written as 500. Header
/// lines that would break the response (non-token name; CR, LF or NUL in
/// the value) are left out.
#[must_use]
pub fn http_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let status = if (100..=999).contains(&status) {
        status
    } else {
        500
    };
    let bodiless = status < 200 || status == 204;
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).as_bytes());
    if !bodiless {
        head::push_header(&mut out, "Content-Length", &body.len().to_string());
    }
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("Connection"))
    {
        head::push_header(&mut out, "Connection", "close");
    }
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("Content-Length") {
            head::push_header(&mut out, name, value);
        }
    }
    out.extend_from_slice(b"\r\n");
    if !bodiless {
        out.extend_from_slice(body);
    }
    out
}

/// The standard reason phrase for `status` (RFC 9110 §15), or `""` for codes
/// without one (the reason phrase may be empty).
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_response_layout() {
        assert_eq!(
            http_response(200, &[("Content-Type", "text/plain")], b"ok"),
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\
    Content-Type: text/plain\r\n\r\nok"
        );
        assert_eq!(
            http_response(
                404,
                &[("Connection", "keep-alive"), ("Content-Length", "9")],
                b""
            ),
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
        );
        assert_eq!(
            http_response(204, &[], b"x"),
            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
        );
        assert!(http_response(7, &[], b"").starts_with(b"HTTP/1.1 500 Internal Server Error\r\n"));
        assert!(
            http_response(599, &[("X", "a\r\nInjected: 1")], b"").starts_with(b"HTTP/1.1 599 \r\n")
        );
        assert!(
            !String::from_utf8(http_response(200, &[("X", "a\r\nInjected: 1")], b""))
                .unwrap()
                .contains("Injected")
        );
    }

    #[test]
    fn every_reason_phrase() {
        let table = [
            (100, "Continue"),
            (101, "Switching Protocols"),
            (200, "OK"),
            (201, "Created"),
            (202, "Accepted"),
            (204, "No Content"),
            (301, "Moved Permanently"),
            (302, "Found"),
            (303, "See Other"),
            (304, "Not Modified"),
            (307, "Temporary Redirect"),
            (308, "Permanent Redirect"),
            (400, "Bad Request"),
            (401, "Unauthorized"),
            (403, "Forbidden"),
            (404, "Not Found"),
            (405, "Method Not Allowed"),
            (408, "Request Timeout"),
            (409, "Conflict"),
            (410, "Gone"),
            (411, "Length Required"),
            (413, "Content Too Large"),
            (414, "URI Too Long"),
            (415, "Unsupported Media Type"),
            (426, "Upgrade Required"),
            (429, "Too Many Requests"),
            (431, "Request Header Fields Too Large"),
            (500, "Internal Server Error"),
            (501, "Not Implemented"),
            (502, "Bad Gateway"),
            (503, "Service Unavailable"),
            (504, "Gateway Timeout"),
            (505, "HTTP Version Not Supported"),
            (418, ""),
            (999, ""),
        ];
        for (status, phrase) in table {
            assert_eq!(reason_phrase(status), phrase, "{status}");
            let line = format!("HTTP/1.1 {status} {phrase}\r\n");
            assert!(http_response(status, &[], b"").starts_with(line.as_bytes()));
        }
    }

    #[test]
    fn informational_answers_have_no_length_and_no_body() {
        assert_eq!(
            http_response(100, &[("Connection", "upgrade")], b"body"),
            b"HTTP/1.1 100 Continue\r\nConnection: upgrade\r\n\r\n"
        );
        assert!(http_response(1000, &[], b"").starts_with(b"HTTP/1.1 500 "));
        assert!(http_response(99, &[], b"").starts_with(b"HTTP/1.1 500 "));
    }
}
