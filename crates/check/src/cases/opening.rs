//! Section 14, beyond Autobahn: the server's side of the opening handshake
//! (RFC 6455 §4.2.1, §4.2.2, §4.4). Autobahn only ever sends a correct
//! request; these cases send requests a server must refuse, each wrong in
//! one way, and correct ones written in unusual but valid ways that it
//! must accept.
//!
//! 14.1.x: a request the server must refuse with an HTTP error (§4.2.1:
//! "an appropriate error code (such as 400 Bad Request)"); an upgrade is
//! FAILED, closing without any answer NON-STRICT. 14.1.11 names its code:
//! an unsupported version gets 426 and the versions the server speaks
//! (§4.4). 14.2.x: a request the server must accept with a 101 whose
//! `Sec-WebSocket-Accept` is right (§4.2.2), choosing no subprotocol or
//! extension the client did not offer (§4.2.2 items 4 and 5 /subprotocol/,
//! /extensions/).

use crate::cases::Definition;
use crate::plan::{Expect, Finally, Opening, Plan};

/// A request template: the checker fills in Host and, unless the case
/// removes or changes it, a fresh Sec-WebSocket-Key.
const GOOD: &[(&str, &str)] = &[
    ("Host", "{host}"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "{key}"),
    ("Sec-WebSocket-Version", "13"),
];

/// The good request with `name` removed (`None`) or replaced.
fn with(name: &str, value: Option<&'static str>) -> Vec<(String, String)> {
    GOOD.iter()
        .filter_map(|(n, v)| {
            if n.eq_ignore_ascii_case(name) {
                value.map(|v| ((*n).to_owned(), v.to_owned()))
            } else {
                Some(((*n).to_owned(), (*v).to_owned()))
            }
        })
        .collect()
}

fn good() -> Vec<(String, String)> {
    with("", None)
}

fn case(
    description: &str,
    expectation: &str,
    line: (&'static str, &'static str),
    headers: Vec<(String, String)>,
    expect: Expect,
) -> Definition {
    let mut plan = Plan::echo(Vec::new(), Vec::new(), Finally::Kill(Default::default()));
    plan.opening = Some(Opening {
        method: line.0,
        version: line.1,
        headers,
        expect,
    });
    Definition::new(description, expectation, plan)
}

const GET: (&str, &str) = ("GET", "HTTP/1.1");

pub(super) fn define(sub: u32, n: u32) -> Option<Definition> {
    let refuse = "The server refuses with a 4xx status and does not upgrade.";
    let d = match (sub, n) {
        (1, 1) => case(
            "A POST request, otherwise a correct upgrade (§4.2.1 item 1: a GET request).",
            refuse,
            ("POST", "HTTP/1.1"),
            good(),
            Expect::Refused,
        ),
        (1, 2) => case(
            "An HTTP/1.0 request (§4.2.1 item 1: HTTP/1.1 or higher).",
            refuse,
            ("GET", "HTTP/1.0"),
            good(),
            Expect::Refused,
        ),
        (1, 3) => case(
            "No Host header (§4.2.1 item 2).",
            refuse,
            GET,
            with("Host", None),
            Expect::Refused,
        ),
        (1, 4) => case(
            "No Upgrade header (§4.2.1 item 3).",
            refuse,
            GET,
            with("Upgrade", None),
            Expect::Refused,
        ),
        (1, 5) => case(
            "Upgrade: h2c instead of websocket (§4.2.1 item 3).",
            refuse,
            GET,
            with("Upgrade", Some("h2c")),
            Expect::Refused,
        ),
        (1, 6) => case(
            "Connection: keep-alive, without the Upgrade token (§4.2.1 item 4).",
            refuse,
            GET,
            with("Connection", Some("keep-alive")),
            Expect::Refused,
        ),
        (1, 7) => case(
            "No Sec-WebSocket-Key (§4.2.1 item 5).",
            refuse,
            GET,
            with("Sec-WebSocket-Key", None),
            Expect::Refused,
        ),
        (1, 8) => case(
            "A Sec-WebSocket-Key of 15 bytes instead of 16 (§4.2.1 item 5).",
            refuse,
            GET,
            with("Sec-WebSocket-Key", Some("AAAAAAAAAAAAAAAAAAAA")),
            Expect::Refused,
        ),
        (1, 9) => case(
            "A Sec-WebSocket-Key that is not base64 (§4.2.1 item 5).",
            refuse,
            GET,
            with("Sec-WebSocket-Key", Some("not base64 at all!!!!!==")),
            Expect::Refused,
        ),
        (1, 10) => {
            let mut headers = good();
            headers.push(("Sec-WebSocket-Key".into(), "{key2}".into()));
            case(
                "Two Sec-WebSocket-Key headers (§11.3.1: it must not appear more than once).",
                refuse,
                GET,
                headers,
                Expect::Refused,
            )
        }
        (1, 11) => case(
            "Sec-WebSocket-Version: 8 (§4.2.1 item 6, §4.4).",
            "The server answers 426 Upgrade Required with a Sec-WebSocket-Version header \
             naming 13 (OK); another 4xx is NON-STRICT.",
            GET,
            with("Sec-WebSocket-Version", Some("8")),
            Expect::Version,
        ),
        (1, 12) => case(
            "No Sec-WebSocket-Version (§4.2.1 item 6).",
            refuse,
            GET,
            with("Sec-WebSocket-Version", None),
            Expect::Refused,
        ),
        (2, 1) => case(
            "A correct upgrade request.",
            "The server answers 101 with Upgrade, Connection and the right Sec-WebSocket-Accept (§4.2.2).",
            GET,
            good(),
            Expect::Accepted,
        ),
        (2, 2) => case(
            "A correct request with header names in lower case and values in mixed case \
             (upgrade: WebSocket, connection: keep-alive, Upgrade).",
            "Header names and these tokens are case-insensitive (§4.2.1, RFC 7230 §3.2): \
             the server accepts with 101 and the right Sec-WebSocket-Accept.",
            GET,
            vec![
                ("host".into(), "{host}".into()),
                ("upgrade".into(), "WebSocket".into()),
                ("connection".into(), "keep-alive, Upgrade".into()),
                ("sec-websocket-key".into(), "{key}".into()),
                ("sec-websocket-version".into(), "13".into()),
            ],
            Expect::Accepted,
        ),
        (2, 3) => {
            let mut headers = good();
            headers.push((
                "Sec-WebSocket-Protocol".into(),
                "x-ws-check-a, x-ws-check-b".into(),
            ));
            case(
                "A correct request offering two subprotocols the server does not know.",
                "101; if the server names a subprotocol it is one of those offered \
                 (§4.2.2 item 5 /subprotocol/).",
                GET,
                headers,
                Expect::Accepted,
            )
        }
        (2, 4) => {
            let mut headers = good();
            headers.push((
                "Sec-WebSocket-Extensions".into(),
                "x-ws-check-unknown; a=1".into(),
            ));
            case(
                "A correct request offering an extension nobody implements.",
                "101 without that extension (§4.2.2 item 5 /extensions/, §9.1).",
                GET,
                headers,
                Expect::Accepted,
            )
        }
        (2, 5) => {
            let mut headers = good();
            headers.push(("Origin".into(), "http://ws-check.invalid".into()));
            headers.push(("X-Ws-Check".into(), "extra header".into()));
            case(
                "A correct request with an Origin and an unknown header.",
                "101: the server may refuse an Origin (§4.2.2 item 4, 403), else it upgrades.",
                GET,
                headers,
                Expect::AcceptedOrForbidden,
            )
        }
        _ => return None,
    };
    Some(d)
}
