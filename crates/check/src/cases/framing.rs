//! Section 1: plain text and binary messages of the sizes where the length
//! encoding changes (RFC 6455 §5.2: 7-bit up to 125, 16-bit up to 65535,
//! 64-bit beyond), echoed back unchanged.

use crate::cases::Definition;
use crate::plan::{Event, Plan, frame, kill_after};
use crate::wire::FrameSpec;

const LENGTHS: [usize; 8] = [0, 125, 126, 127, 128, 65535, 65536, 65536];

pub(super) fn define(sub: u32, n: u32) -> Option<Definition> {
    let binary = match sub {
        1 => false,
        2 => true,
        _ => return None,
    };
    let len = *LENGTHS.get(usize::try_from(n).ok()?.checked_sub(1)?)?;
    let byte = if binary { 0xfe } else { b'*' };
    let payload = vec![byte; len];
    let chopped = n == 8;
    let mut f = FrameSpec::new(if binary { 2 } else { 1 }, payload.clone());
    if chopped {
        f = f.chop(997);
    }
    let kind = if binary { "binary" } else { "text" };
    let event = if binary {
        Event::binary(payload)
    } else {
        Event::text(payload)
    };
    let secs = if len > 128 { 10 } else { 1 };
    let how = if chopped {
        ", written to the socket in pieces of 997 bytes"
    } else {
        ""
    };
    Some(Definition::new(
        format!("A {kind} message of {len} bytes in one frame{how}."),
        "The message comes back unchanged; the checker closes cleanly with 1000.",
        Plan::echo(vec![frame(f)], vec![event], kill_after(secs)),
    ))
}
