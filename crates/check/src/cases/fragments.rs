//! Section 5: fragmentation (RFC 6455 §5.4). Control frames may come
//! between the fragments of a message but are never fragmented
//! themselves; a continuation frame needs a message to continue, and a new
//! message may not start before the last one has ended.

use crate::cases::Definition;
use crate::plan::{Event, Plan, Step, close_after, frame, wait};
use crate::wire::FrameSpec;

fn cont(fin: bool, p: &str) -> FrameSpec {
    FrameSpec::new(0, p.as_bytes().to_vec()).fin(fin)
}

fn text(fin: bool, p: &str) -> FrameSpec {
    FrameSpec::new(1, p.as_bytes().to_vec()).fin(fin)
}

/// How the frames of a case are written: one write each, or byte by byte.
fn mode(n: u32, chopped: u32) -> impl Fn(FrameSpec) -> Step {
    move |f| frame(if n == chopped { f.chop(1) } else { f })
}

pub(super) fn define(n: u32) -> Option<Definition> {
    const FAIL: &str = "The peer fails the connection with 1002.";
    let d = match n {
        1 | 2 => {
            let (op, name) = if n == 1 { (9, "Ping") } else { (10, "Pong") };
            Definition::new(
                format!(
                    "A {name} split into two fragments (RFC 6455 §5.5: control frames are never fragmented)."
                ),
                FAIL,
                Plan::fails(
                    vec![
                        frame(FrameSpec::new(op, b"fragment1".to_vec()).fin(false)),
                        frame(cont(true, "fragment2")),
                    ],
                    vec![],
                    1002,
                ),
            )
        }
        3..=5 => {
            let m = mode(n, 5);
            Definition::new(
                format!("A text message in two fragments{}.", written(n, 5)),
                "The message comes back whole.",
                Plan::echo(
                    vec![m(text(false, "fragment1")), m(cont(true, "fragment2"))],
                    vec![Event::text("fragment1fragment2")],
                    close_after(1),
                ),
            )
        }
        6..=8 => {
            let m = mode(n, 8);
            Definition::new(
                format!(
                    "A text message in two fragments with a Ping between them{}.",
                    written(n, 8)
                ),
                "The Pong first, then the message.",
                Plan::echo(
                    vec![
                        m(text(false, "fragment1")),
                        m(FrameSpec::new(9, b"ping payload".to_vec())),
                        m(cont(true, "fragment2")),
                    ],
                    vec![
                        Event::Pong(b"ping payload".to_vec()),
                        Event::text("fragment1fragment2"),
                    ],
                    close_after(1),
                ),
            )
        }
        9..=11 => {
            let m = mode(n, 11);
            Definition::new(
                format!(
                    "A final continuation frame with no message to continue, then a text message{}.",
                    written(n, 11)
                ),
                FAIL,
                Plan::fails(
                    vec![
                        m(cont(true, "non-continuation payload")),
                        m(text(true, "Hello, world!")),
                    ],
                    vec![],
                    1002,
                ),
            )
        }
        12..=14 => {
            let m = mode(n, 14);
            Definition::new(
                format!(
                    "A non-final continuation frame with no message to continue, then a text message{}.",
                    written(n, 14)
                ),
                FAIL,
                Plan::fails(
                    vec![
                        m(cont(false, "non-continuation payload")),
                        m(text(true, "Hello, world!")),
                    ],
                    vec![],
                    1002,
                ),
            )
        }
        15 => Definition::new(
            "A text message in two fragments, then a continuation frame with no message, then a text frame.",
            "The first message comes back, then the peer fails the connection with 1002 (NON-STRICT: it fails at once).",
            Plan::fails(
                vec![
                    frame(text(false, "fragment1")),
                    frame(cont(true, "fragment2")),
                    frame(cont(false, "fragment3")),
                    frame(text(true, "fragment4")),
                ],
                vec![Event::text("fragment1fragment2")],
                1002,
            )
            .or_non_strict(vec![]),
        ),
        16 | 17 => {
            let mut steps = Vec::new();
            for _ in 0..2 {
                steps.push(frame(cont(n == 17, "fragment1")));
                steps.push(frame(text(false, "fragment2")));
                steps.push(frame(cont(true, "fragment3")));
            }
            Definition::new(
                "Twice: a continuation frame with no message, then a text message in two fragments.",
                FAIL,
                Plan::fails(steps, vec![], 1002),
            )
        }
        18 => Definition::new(
            "A text message whose second fragment is another text frame instead of a continuation.",
            FAIL,
            Plan::fails(
                vec![
                    frame(text(false, "fragment1")),
                    frame(text(true, "fragment2")),
                ],
                vec![],
                1002,
            ),
        ),
        19 | 20 => Definition::new(
            "A text message in five fragments with two Pings between them and a one-second pause in the middle.",
            "Both Pongs as the Pings arrive, then the whole message.",
            Plan::echo(
                vec![
                    frame(text(false, "fragment1")),
                    frame(cont(false, "fragment2")),
                    frame(FrameSpec::new(9, b"pongme 1!".to_vec())),
                    wait(1, None),
                    frame(cont(false, "fragment3")),
                    frame(cont(false, "fragment4")),
                    frame(FrameSpec::new(9, b"pongme 2!".to_vec())),
                    frame(cont(true, "fragment5")),
                ],
                vec![
                    Event::Pong(b"pongme 1!".to_vec()),
                    Event::Pong(b"pongme 2!".to_vec()),
                    Event::text("fragment1fragment2fragment3fragment4fragment5"),
                ],
                close_after(1),
            ),
        ),
        _ => return None,
    };
    Some(d)
}

fn written(n: u32, chopped: u32) -> &'static str {
    if n == chopped {
        ", written one byte at a time"
    } else {
        ""
    }
}
