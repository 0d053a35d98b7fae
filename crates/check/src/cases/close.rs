//! Section 7: the closing handshake (RFC 6455 §5.5.1, §7). After a Close
//! nothing more is sent; the answer to a Close is a Close; the payload is
//! empty or a valid status code (§7.4) followed by a UTF-8 reason (§5.5.1),
//! at most 125 bytes in all; and the server drops TCP first (§7.1.1).

use crate::cases::Definition;
use crate::cases::pings::close_1000;
use crate::plan::{Adjust, Event, ExpectedClose, Plan, Step, frame, kill_after};
use crate::wire::FrameSpec;

/// Valid codes a peer must accept (7.7.x), in Autobahn's order.
const VALID: [u16; 13] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
];
/// Codes a peer must refuse (7.9.x).
const INVALID: [u16; 9] = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
/// Codes the RFC leaves undefined (7.13.x).
const UNDEFINED: [u16; 2] = [5000, 65535];
/// A reason that is not UTF-8: a lone surrogate (ED A0 80) in the middle.
const BAD_REASON: &[u8] =
    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";

fn close(code: Option<u16>, reason: &[u8]) -> Step {
    Step::Close {
        code,
        reason: reason.to_vec(),
    }
}

/// A plan where the checker closes and expects nothing else back.
fn closing(steps: Vec<Step>, codes: Vec<u16>, require_clean: bool) -> Plan {
    let mut plan = Plan::echo(steps, vec![], kill_after(1));
    plan.close = ExpectedClose {
        closed_by_me: true,
        codes,
        require_clean,
        wrong_side_is_fatal: false,
    };
    plan.suppress_close = true;
    plan.adjust = Adjust::WrongCodeFails;
    plan
}

fn index<T: Copy>(table: &[T], n: u32) -> Option<T> {
    table.get(usize::try_from(n).ok()?.checked_sub(1)?).copied()
}

pub(super) fn define(sub: u32, n: u32) -> Option<Definition> {
    const AFTER: &str = "The peer answers the Close with a Close and sends nothing after it.";
    let d = match (sub, n) {
        (1, 1) => {
            let mut plan = Plan::echo(
                vec![frame(FrameSpec::new(1, b"Hello World!".to_vec()))],
                vec![Event::text("Hello World!")],
                kill_after(1),
            );
            plan.adjust = Adjust::WrongCodeFails;
            Definition::new(
                "A text message, then the checker closes.",
                "The echo, then a clean close.",
                plan,
            )
        }
        (1, 2) => Definition::new(
            "A Close, then a second Close.",
            AFTER,
            closing(
                vec![close_1000(), frame(FrameSpec::new(8, Vec::new()))],
                vec![1000],
                true,
            ),
        ),
        (1, 3) => Definition::new(
            "A Close, then a Ping.",
            AFTER,
            closing(
                vec![close_1000(), frame(FrameSpec::new(9, Vec::new()))],
                vec![1000],
                true,
            ),
        ),
        (1, 4) => Definition::new(
            "A Close, then a text message.",
            AFTER,
            closing(
                vec![
                    close_1000(),
                    frame(FrameSpec::new(1, b"Hello World!".to_vec())),
                ],
                vec![1000],
                true,
            ),
        ),
        (1, 5) => Definition::new(
            "The first fragment of a text message, a Close, then the last fragment.",
            AFTER,
            closing(
                vec![
                    frame(FrameSpec::new(1, b"fragment1".to_vec()).fin(false)),
                    close_1000(),
                    frame(FrameSpec::new(0, b"fragment2".to_vec())),
                ],
                vec![1000],
                true,
            ),
        ),
        (1, 6) => {
            let mut plan = closing(
                vec![
                    frame(FrameSpec::new(1, b"BAsd7&jh23".to_vec()).repeat_to(256 * 1024)),
                    frame(FrameSpec::new(1, b"Hello World!".to_vec())),
                    close_1000(),
                    frame(FrameSpec::new(9, Vec::new())),
                ],
                vec![1000],
                true,
            );
            plan.expected = vec![
                (
                    crate::verdict::Verdict::Ok,
                    vec![Event::text("Hello World!")],
                ),
                (crate::verdict::Verdict::NonStrict, vec![]),
            ];
            plan.adjust = Adjust::Informational;
            Definition::new(
                "A 256 KiB text message, a short one, a Close and a Ping, all at once.",
                "Recorded only: whether the peer echoes the messages before closing is up to it.",
                plan,
            )
        }
        (3, 1) => Definition::new(
            "A Close with an empty payload.",
            "A clean close.",
            closing(vec![close(None, b"")], vec![1000], true),
        ),
        (3, 2) => Definition::new(
            "A Close with a 1-byte payload (a status code takes two).",
            "The peer fails the connection with 1002.",
            closing(vec![close(None, b"a")], vec![1002], false),
        ),
        (3, 3) => Definition::new(
            "A Close with code 1000 and no reason.",
            "A clean close.",
            closing(vec![close_1000()], vec![1000], true),
        ),
        (3, 4) => Definition::new(
            "A Close with code 1000 and a short reason.",
            "A clean close.",
            closing(vec![close(Some(1000), b"Hello World!")], vec![1000], true),
        ),
        (3, 5) => Definition::new(
            "A Close with code 1000 and a 123-byte reason (125 bytes in all, the most allowed).",
            "A clean close.",
            closing(vec![close(Some(1000), &[b'*'; 123])], vec![1000], true),
        ),
        (3, 6) => Definition::new(
            "A Close with code 1000 and a 124-byte reason (126 bytes in all, one too many).",
            "The peer fails the connection with 1002.",
            closing(vec![close(Some(1000), &[b'*'; 124])], vec![1002], false),
        ),
        (5, 1) => Definition::new(
            "A Close with code 1000 and a reason that is not valid UTF-8.",
            "The peer fails the connection with 1002 or 1007.",
            closing(vec![close(Some(1000), BAD_REASON)], vec![1002, 1007], false),
        ),
        (7, _) => {
            let code = index(&VALID, n)?;
            Definition::new(
                format!("A Close with the valid code {code}."),
                "A clean close; the peer answers with 1000 or the same code.",
                closing(vec![close(Some(code), b"")], vec![1000, code], true),
            )
        }
        (9, _) => {
            let code = index(&INVALID, n)?;
            Definition::new(
                format!("A Close with the invalid code {code}."),
                "The peer fails the connection with 1002.",
                closing(vec![close(Some(code), b"")], vec![1002], false),
            )
        }
        (13, _) => {
            let code = index(&UNDEFINED, n)?;
            let mut plan = closing(vec![close(Some(code), b"")], vec![1000, code, 1002], false);
            plan.adjust = Adjust::Informational;
            Definition::new(
                format!("A Close with the code {code}, outside every range RFC 6455 §7.4 defines."),
                "Recorded only: the RFC does not say what the peer must do.",
                plan,
            )
        }
        _ => return None,
    };
    Some(d)
}
