//! Section 2: Ping and Pong (RFC 6455 §5.5.2, §5.5.3). A Ping is answered
//! by a Pong with the same payload; control payloads are at most 125
//! bytes; an unsolicited Pong needs no answer.

use crate::cases::Definition;
use crate::plan::{Event, Plan, Step, close_after, frame};
use crate::wire::FrameSpec;

pub(super) fn define(n: u32) -> Option<Definition> {
    let ping = |p: &[u8]| frame(FrameSpec::new(9, p.to_vec()));
    let pong = |p: &[u8]| Event::Pong(p.to_vec());
    let binary: &[u8] = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff";
    let max = vec![0xfe; 125];
    let d = match n {
        1 => Definition::new(
            "A Ping without payload.",
            "A Pong without payload.",
            Plan::echo(vec![ping(b"")], vec![pong(b"")], close_after(1)),
        ),
        2 => Definition::new(
            "A Ping with a short text payload.",
            "A Pong with the same payload.",
            Plan::echo(
                vec![ping(b"Hello, world!")],
                vec![pong(b"Hello, world!")],
                close_after(1),
            ),
        ),
        3 => Definition::new(
            "A Ping with a binary payload.",
            "A Pong with the same payload.",
            Plan::echo(vec![ping(binary)], vec![pong(binary)], close_after(1)),
        ),
        4 => Definition::new(
            "A Ping with the largest payload a control frame may carry (125 bytes).",
            "A Pong with the same payload.",
            Plan::echo(vec![ping(&max)], vec![pong(&max)], close_after(1)),
        ),
        5 => Definition::new(
            "A Ping with 126 bytes of payload, one more than RFC 6455 §5.5 allows.",
            "The peer fails the connection with 1002.",
            Plan::fails(vec![ping(&[0xfe; 126])], vec![], 1002),
        ),
        6 => Definition::new(
            "A Ping with 125 bytes of payload, written one byte at a time.",
            "A Pong with the same payload.",
            Plan::echo(
                vec![frame(FrameSpec::new(9, max.clone()).chop(1))],
                vec![pong(&max)],
                close_after(2),
            ),
        ),
        7 => Definition::new(
            "An unsolicited Pong without payload, then a Close.",
            "Nothing comes back but the Close answer.",
            Plan::echo(
                vec![frame(FrameSpec::new(10, Vec::new())), close_1000()],
                vec![],
                close_after(1),
            ),
        ),
        8 => Definition::new(
            "An unsolicited Pong with payload, then a Close.",
            "Nothing comes back but the Close answer.",
            Plan::echo(
                vec![
                    frame(FrameSpec::new(10, b"unsolicited pong payload".to_vec())),
                    close_1000(),
                ],
                vec![],
                close_after(1),
            ),
        ),
        9 => Definition::new(
            "An unsolicited Pong, then a Ping.",
            "A Pong for the Ping only.",
            Plan::echo(
                vec![
                    frame(FrameSpec::new(10, b"unsolicited pong payload".to_vec())),
                    ping(b"ping payload"),
                ],
                vec![pong(b"ping payload")],
                close_after(1),
            ),
        ),
        10 | 11 => {
            let chop = n == 11;
            let mut steps = Vec::new();
            let mut events = Vec::new();
            for i in 0..10 {
                let p = format!("payload-{i}").into_bytes();
                let mut f = FrameSpec::new(9, p.clone());
                if chop {
                    f = f.chop(1);
                }
                steps.push(frame(f));
                events.push(Event::Pong(p));
            }
            Definition::new(
                if chop {
                    "Ten Pings in a row, each written one byte at a time."
                } else {
                    "Ten Pings in a row."
                },
                "Ten Pongs, in order (RFC 6455 §5.5.2 allows answering only the last; this case expects all).",
                Plan::echo(steps, events, close_after(3)),
            )
        }
        _ => return None,
    };
    Some(d)
}

/// The checker's Close with 1000.
pub(super) fn close_1000() -> Step {
    Step::Close {
        code: Some(1000),
        reason: Vec::new(),
    }
}
