//! Sections 3 and 4: what no extension was negotiated for. RSV bits set
//! without an extension (RFC 6455 §5.2) and reserved opcodes 3–7 and
//! 0xB–0xF (§5.2, §11.8) must fail the connection with 1002. Where a valid
//! message goes first, echoing it before failing is the strict behaviour;
//! failing before echoing is allowed (NON-STRICT), because the peer may
//! read ahead before it answers.

use crate::cases::Definition;
use crate::plan::{Event, Plan, Step, frame};
use crate::wire::FrameSpec;

const HELLO: &[u8] = b"Hello, world!";

/// Section 3: RSV bits 1–7 on various frames.
pub(super) fn define_rsv(n: u32) -> Option<Definition> {
    let rsv = u8::try_from(n).ok()?;
    let chop = |f: FrameSpec| if n == 4 { f.chop(1) } else { f };
    let d = match n {
        1 => lone(
            FrameSpec::new(1, HELLO.to_vec()).rsv(1),
            "A text message with RSV = 1.",
        ),
        2..=4 => valid_then_bad(
            vec![
                frame(chop(FrameSpec::new(1, HELLO.to_vec()))),
                frame(chop(FrameSpec::new(1, HELLO.to_vec()).rsv(rsv))),
                frame(chop(FrameSpec::new(9, Vec::new()))),
            ],
            format!(
                "A valid text message, then one with RSV = {rsv}, then a Ping{}.",
                if n == 4 {
                    ", all written one byte at a time"
                } else {
                    ""
                }
            ),
        ),
        5 => lone(
            FrameSpec::new(2, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff".to_vec()).rsv(5),
            "A binary message with RSV = 5.",
        ),
        6 => lone(
            FrameSpec::new(9, HELLO.to_vec()).rsv(6),
            "A Ping with RSV = 6.",
        ),
        7 => lone(
            FrameSpec::new(8, Vec::new()).rsv(7),
            "A Close with RSV = 7.",
        ),
        _ => return None,
    };
    Some(d)
}

/// Section 4: 4.1 reserved data opcodes 3–7, 4.2 reserved control opcodes 0xB–0xF.
pub(super) fn define(sub: u32, n: u32) -> Option<Definition> {
    let base = match sub {
        1 => 2,
        2 => 10,
        _ => return None,
    };
    let opcode = base + u8::try_from(n).ok().filter(|n| (1..=5).contains(n))?;
    let kind = if sub == 1 { "data" } else { "control" };
    let d = match n {
        1 => lone(
            FrameSpec::new(opcode, Vec::new()),
            &format!("A frame with the reserved {kind} opcode {opcode}."),
        ),
        2 => lone(
            FrameSpec::new(opcode, b"reserved opcode payload".to_vec()),
            &format!("A frame with the reserved {kind} opcode {opcode} and a payload."),
        ),
        _ => {
            let chop = |f: FrameSpec| if n == 5 { f.chop(1) } else { f };
            let payload = if n == 3 { Vec::new() } else { HELLO.to_vec() };
            valid_then_bad(
                vec![
                    frame(chop(FrameSpec::new(1, HELLO.to_vec()))),
                    frame(chop(FrameSpec::new(opcode, payload))),
                    frame(chop(FrameSpec::new(9, Vec::new()))),
                ],
                format!(
                    "A valid text message, then a frame with the reserved {kind} opcode {opcode}, then a Ping{}.",
                    if n == 5 {
                        ", all written one byte at a time"
                    } else {
                        ""
                    }
                ),
            )
        }
    };
    Some(d)
}

/// One bad frame: the peer fails the connection at once.
fn lone(f: FrameSpec, description: &str) -> Definition {
    Definition::new(
        description,
        "The peer fails the connection with 1002, echoing nothing.",
        Plan::fails(vec![frame(f)], vec![], 1002),
    )
}

/// A valid message, a bad frame, a Ping.
fn valid_then_bad(steps: Vec<Step>, description: String) -> Definition {
    Definition::new(
        description,
        "The valid message comes back, then the peer fails the connection with 1002 \
         without answering the Ping; failing before echoing is NON-STRICT.",
        Plan::fails(steps, vec![Event::text(HELLO)], 1002).or_non_strict(vec![]),
    )
}
