//! Section 6: UTF-8 in text messages (RFC 6455 §8.1: "When an endpoint is
//! to interpret a byte stream as UTF-8 but finds that the byte stream is
//! not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the
//! WebSocket Connection_").
//!
//! 6.1–6.3 check empty and fragmented text, and that a message split
//! inside a code point is still valid. 6.4 checks *fail-fast*: the
//! invalid byte arrives, then the checker pauses one second; a peer that
//! validates as bytes arrive has closed before the pause ends (OK), one
//! that validates per frame closes after the next pause (NON-STRICT), and
//! one that validates only the whole message is caught by neither
//! (FAILED). 6.5–6.23 send one message per byte sequence of Markus Kuhn's
//! UTF-8 decoder stress test, in Autobahn's grouping and order (the
//! sequences are listed in `utf8_vectors.txt`; whether each is valid is
//! computed here, by the standard library's strict decoder).

use std::time::Duration;

use crate::cases::Definition;
use crate::plan::{Event, ExpectedClose, Finally, Plan, Step, frame, kill_after, wait};
use crate::verdict::Verdict;
use crate::wire::FrameSpec;

/// `id hex` per line, for 6.5.1 … 6.23.7.
const VECTORS: &str = include_str!("utf8_vectors.txt");

/// "κόσμε" in Greek: valid UTF-8 with 2- and 3-byte code points.
const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
/// A UTF-16 surrogate encoded as UTF-8: never valid.
const SURROGATE: &[u8] = b"\xed\xa0\x80";
/// Code point 0x110000, one past the last.
const TOO_HIGH: &[u8] = b"\xf4\x90\x80\x80";
const EDITED: &[u8] = b"edited";

fn text_frames(payload: &[u8], frame_size: usize) -> Vec<Step> {
    let chunks: Vec<&[u8]> = payload.chunks(frame_size.max(1)).collect();
    let last = chunks.len().saturating_sub(1);
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| frame(FrameSpec::new(if i == 0 { 1 } else { 0 }, c.to_vec()).fin(i == last)))
        .collect()
}

/// The peer must fail with 1007; closing from our side means it missed it.
fn invalid(steps: Vec<Step>, finally: Finally) -> Plan {
    let mut plan = Plan::fails(steps, vec![], 1007);
    plan.finally = finally;
    plan.close = ExpectedClose {
        wrong_side_is_fatal: true,
        ..ExpectedClose::peer_fails(1007)
    };
    plan
}

fn valid(steps: Vec<Step>, payload: &[u8]) -> Plan {
    Plan::echo(
        steps,
        vec![Event::text(payload)],
        crate::plan::close_after(1),
    )
}

pub(super) fn define(sub: u32, n: u32) -> Option<Definition> {
    let mixed = [KOSME, SURROGATE, EDITED].concat();
    let d = match (sub, n) {
        (1, 1) => Definition::new(
            "An empty text message.",
            "It comes back.",
            valid(vec![frame(FrameSpec::new(1, Vec::new()))], b""),
        ),
        (1, 2) => Definition::new(
            "An empty text message in three empty fragments.",
            "It comes back.",
            valid(text_frames_empty(b"", b""), b""),
        ),
        (1, 3) => Definition::new(
            "A text message in three fragments, the first and last empty.",
            "It comes back whole.",
            valid(
                text_frames_empty(b"", b"middle frame payload"),
                b"middle frame payload",
            ),
        ),
        (2, 1) => {
            let p = "Hello-µ@ßöäüàá-UTF-8!!".as_bytes();
            Definition::new(
                "A text message with 2-byte code points, in one frame.",
                "It comes back.",
                valid(text_frames(p, p.len()), p),
            )
        }
        (2, 2) => {
            let (a, b) = ("Hello-µ@ßöä".as_bytes(), "üàá-UTF-8!!".as_bytes());
            let steps = vec![
                frame(FrameSpec::new(1, a.to_vec()).fin(false)),
                frame(FrameSpec::new(0, b.to_vec())),
            ];
            Definition::new(
                "The same text in two fragments split between code points.",
                "It comes back whole.",
                valid(steps, &[a, b].concat()),
            )
        }
        (2, 3) => {
            let p = "Hello-µ@ßöäüàá-UTF-8!!".as_bytes();
            Definition::new(
                "The same text in frames of one byte each, so most code points are split across frames.",
                "It comes back whole: validity is a property of the message, not of each frame.",
                valid(text_frames(p, 1), p),
            )
        }
        (2, 4) => Definition::new(
            "\"κόσμε\" in frames of one byte each.",
            "It comes back whole.",
            valid(text_frames(KOSME, 1), KOSME),
        ),
        (3, 1) => Definition::new(
            "A text message with an encoded UTF-16 surrogate in the middle, in one frame.",
            "The peer fails the connection with 1007.",
            invalid(text_frames(&mixed, mixed.len()), kill_after(1)),
        ),
        (3, 2) => Definition::new(
            "The same invalid text in frames of one byte each.",
            "The peer fails the connection with 1007.",
            invalid(text_frames(&mixed, 1), kill_after(1)),
        ),
        (4, 1..=4) => fail_fast(n)?,
        (5..=23, _) => vector(sub, n)?,
        _ => return None,
    };
    Some(d)
}

/// Three frames: an empty first one, `middle`, and an empty last one
/// (`first` for the first one's payload).
fn text_frames_empty(first: &[u8], middle: &[u8]) -> Vec<Step> {
    vec![
        frame(FrameSpec::new(1, first.to_vec()).fin(false)),
        frame(FrameSpec::new(0, middle.to_vec()).fin(false)),
        frame(FrameSpec::new(0, Vec::new())),
    ]
}

/// 6.4.x: the message arrives in three parts with a pause after each of
/// the first two; the second part makes it invalid.
fn fail_fast(n: u32) -> Option<Definition> {
    let payload = [KOSME, TOO_HIGH, EDITED].concat();
    // 6.4.1 and 6.4.3 split where the invalid code point starts and ends;
    // 6.4.2 and 6.4.4 send exactly the one byte that makes it invalid.
    let (a, b) = if !n.is_multiple_of(2) {
        (KOSME.len(), KOSME.len() + TOO_HIGH.len())
    } else {
        (12, 13)
    };
    let parts = [&payload[..a], &payload[a..b], &payload[b..]];
    let mut steps = Vec::new();
    if n <= 2 {
        // Three frames.
        for (i, p) in parts.iter().enumerate() {
            steps.push(frame(
                FrameSpec::new(if i == 0 { 1 } else { 0 }, p.to_vec()).fin(i == 2),
            ));
            if i < 2 {
                steps.push(wait(1, Some(if i == 0 { "A" } else { "B" })));
            }
        }
    } else {
        // One frame whose payload arrives in three writes.
        let cuts = [0, a, b, payload.len()];
        for i in 0..3 {
            steps.push(Step::FramePart {
                opcode: 1,
                total: payload.len(),
                offset: cuts[i],
                data: payload[cuts[i]..cuts[i + 1]].to_vec(),
            });
            if i < 2 {
                steps.push(wait(1, Some(if i == 0 { "A" } else { "B" })));
            }
        }
    }
    let mut plan = invalid(steps, kill_after(1));
    plan.expected = vec![
        (Verdict::Ok, vec![Event::Timeout("A")]),
        (
            Verdict::NonStrict,
            vec![Event::Timeout("A"), Event::Timeout("B")],
        ),
    ];
    let how = if n <= 2 {
        "three frames"
    } else {
        "one frame written in three parts"
    };
    let what = if !n.is_multiple_of(2) {
        "the invalid code point U+110000 alone"
    } else {
        "only the byte that makes it invalid"
    };
    Some(Definition::new(
        format!(
            "A text message as {how}, pausing 1 s after each of the first two; the second part holds {what}."
        ),
        "The peer fails the connection with 1007 as soon as the invalid byte arrives, before the second pause \
         ends (OK); after it is NON-STRICT.",
        plan,
    ))
}

/// 6.5–6.23: one stress-test sequence in one text message.
fn vector(sub: u32, n: u32) -> Option<Definition> {
    let id = format!("6.{sub}.{n}");
    let hex = VECTORS
        .lines()
        .find_map(|l| l.strip_prefix(id.as_str())?.strip_prefix(' '))?;
    let bytes = decode_hex(hex)?;
    let hex_shown = hex.to_owned();
    let steps = vec![frame(FrameSpec::new(1, bytes.clone()))];
    let finally = Finally::Kill(Duration::from_millis(500));
    let d = if std::str::from_utf8(&bytes).is_ok() {
        let mut plan = valid(steps, &bytes);
        plan.finally = finally;
        Definition::new(
            format!("A text message of valid UTF-8: 0x{hex_shown}."),
            "It comes back.",
            plan,
        )
    } else {
        Definition::new(
            format!("A text message of invalid UTF-8: 0x{hex_shown}."),
            "The peer fails the connection with 1007.",
            invalid(steps, finally),
        )
    };
    Some(d)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}
