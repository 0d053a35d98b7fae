//! Sections 9 and 10: sizes and counts a real peer must cope with.
//!
//! 9.1–9.6 send one large message (up to 16 MiB; 4 MiB split into frames
//! from 64 bytes to 4 MiB; 1 MiB written in pieces of 64 to 2048 bytes)
//! and expect it back with the right kind and length: the payloads are not
//! kept, so memory stays at what the message needs once. 9.7 and 9.8 send
//! 1000 messages one at a time, each after the previous echo, which
//! measures round trips. 10.1.1 checks that a message the checker
//! fragments itself (1300-byte frames) comes back whole.

use std::time::Duration;

use crate::cases::Definition;
use crate::plan::{Adjust, Event, Finally, Plan, Source, Step, frame, kill_after};
use crate::wire::FrameSpec;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
const TEXT: &[u8] = b"BAsd7&jh23";
const BINARY: &[u8] = b"\x00\xfe\x23\xfa\xf0";

fn kind(binary: bool) -> &'static str {
    if binary { "binary" } else { "text" }
}

fn size(len: usize) -> String {
    if len >= MIB {
        format!("{} MiB", len / MIB)
    } else {
        format!("{} KiB", len / KIB)
    }
}

/// A plan judged on the length of the one message that comes back.
fn length_plan(steps: Vec<Step>, binary: bool, len: usize, secs: u64) -> Plan {
    let mut plan = Plan::echo(steps, vec![], Finally::Close(Duration::from_secs(secs)));
    plan.expected = vec![];
    plan.adjust = Adjust::Length { binary, len };
    plan.keep_payloads = false;
    plan
}

fn index<T: Copy>(table: &[T], n: u32) -> Option<T> {
    table.get(usize::try_from(n).ok()?.checked_sub(1)?).copied()
}

pub(super) fn define(sub: u32, n: u32) -> Option<Definition> {
    const LENS: [usize; 6] = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
    const FRAGS: [usize; 9] = [
        64,
        256,
        KIB,
        4 * KIB,
        16 * KIB,
        64 * KIB,
        256 * KIB,
        MIB,
        4 * MIB,
    ];
    const CHOPS: [usize; 6] = [64, 128, 256, 512, 1024, 2048];
    const ROUNDS: [(usize, u64); 6] = [
        (0, 60),
        (16, 60),
        (64, 60),
        (256, 120),
        (1024, 240),
        (4096, 480),
    ];
    let d = match sub {
        1 | 2 => {
            let binary = sub == 2;
            let len = index(&LENS, n)?;
            let secs = if len <= 256 * KIB || (binary && len <= 4 * MIB) {
                10
            } else {
                100
            };
            let pattern = if binary { BINARY } else { TEXT };
            let f = FrameSpec::new(if binary { 2 } else { 1 }, pattern.to_vec()).repeat_to(len);
            Definition::new(
                format!("A {} message of {} in one frame.", kind(binary), size(len)),
                format!("The message comes back within {secs} s with the same kind and length."),
                length_plan(vec![frame(f)], binary, len, secs),
            )
        }
        3 | 4 => {
            let binary = sub == 4;
            let frag = index(&FRAGS, n)?;
            let len = 4 * MIB;
            let step = Step::Fragmented {
                opcode: if binary { 2 } else { 1 },
                byte: if binary { 0xfe } else { b'*' },
                len,
                frame: frag,
            };
            Definition::new(
                format!(
                    "A {} message of 4 MiB in frames of {} bytes.",
                    kind(binary),
                    frag
                ),
                "The message comes back whole within 100 s.",
                length_plan(vec![step], binary, len, 100),
            )
        }
        5 | 6 => {
            let binary = sub == 6;
            let chop = index(&CHOPS, n)?;
            let pattern = if binary { BINARY } else { TEXT };
            let f = FrameSpec::new(if binary { 2 } else { 1 }, pattern.to_vec())
                .repeat_to(MIB)
                .chop(chop);
            Definition::new(
                format!(
                    "A {} message of 1 MiB in one frame, written in pieces of {chop} bytes.",
                    kind(binary)
                ),
                "The message comes back whole.",
                length_plan(vec![frame(f)], binary, MIB, 1000),
            )
        }
        7 | 8 => {
            let binary = sub == 8;
            let (len, secs) = index(&ROUNDS, n)?;
            let mut plan = Plan::echo(
                vec![Step::EchoLoop {
                    binary,
                    len,
                    count: 1000,
                    source: Source::Repeat(if binary { 0xfe } else { b'*' }),
                    frame: 0,
                }],
                vec![],
                Finally::Close(Duration::from_secs(secs)),
            );
            plan.expected = vec![];
            plan.suppress_close = true;
            plan.adjust = Adjust::Count {
                count: 1000,
                needs_deflate: false,
            };
            plan.keep_payloads = false;
            Definition::new(
                format!(
                    "1000 {} messages of {len} bytes, each sent when the previous one came back.",
                    kind(binary)
                ),
                format!("All 1000 come back, with the same kind and length, within {secs} s."),
                plan,
            )
        }
        _ => return None,
    };
    Some(d)
}

/// 10.1.1: a 64 KiB text message in 1300-byte frames, echoed whole.
pub(super) fn define_auto_fragment() -> Option<Definition> {
    let len = 64 * KIB;
    let step = Step::Fragmented {
        opcode: 1,
        byte: b'*',
        len,
        frame: 1300,
    };
    Some(Definition::new(
        "A 64 KiB text message sent as 51 frames of at most 1300 bytes.",
        "The message comes back whole; the checker closes cleanly.",
        Plan::echo(
            vec![step],
            vec![Event::text(vec![b'*'; len])],
            kill_after(10),
        ),
    ))
}
