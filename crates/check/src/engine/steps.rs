//! A case's steps carried out on its session, and its deadlines: the
//! pauses between steps, the close handshake, the server's drop of TCP,
//! the case's own limit.

use std::time::Instant;

use crate::plan::{Finally, Plan, Step};
use crate::session::{Session, State};
use crate::transcript::{Dir, describe_frame};
use crate::wire::{encode_frame, encode_header};

/// Pending deadlines of a running case.
#[derive(Debug, Default)]
pub(super) struct Deadlines {
    pub(super) step: Option<(Instant, Option<&'static str>)>,
    pub(super) finally: Option<Instant>,
    pub(super) close: Option<Instant>,
    pub(super) drop: Option<Instant>,
    pub(super) case: Option<Instant>,
    /// A pause ended with the connection no longer open: no more steps.
    pub(super) stopped: bool,
}

impl Deadlines {
    pub(super) fn earliest(&self) -> Option<Instant> {
        [
            self.step.map(|s| s.0),
            self.finally,
            self.close,
            self.drop,
            self.case,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

pub(super) fn run_step(
    step: &Step,
    s: &mut Session,
    d: &mut Deadlines,
    scale: u32,
    needs_deflate: bool,
) {
    match step {
        Step::Frame(f) => {
            let bytes = f.encode(s.key());
            let note = describe_frame(f.opcode, f.fin, f.rsv, &f.full_payload());
            match f.chop {
                Some(n) if n > 0 => {
                    let pieces: Vec<Vec<u8>> = bytes.chunks(n).map(<[u8]>::to_vec).collect();
                    s.send_raw(
                        Vec::new(),
                        format!("{note} (in pieces of {n} bytes)"),
                        f.opcode,
                        1,
                    );
                    for p in pieces {
                        s.send_raw_quiet(p);
                    }
                }
                _ => s.send_raw(bytes, note, f.opcode, 1),
            }
        }
        Step::FramePart {
            opcode,
            total,
            offset,
            data,
        } => {
            let mut bytes = Vec::new();
            if *offset == 0 {
                s.partial_key = s.key();
                bytes = encode_header(true, 0, *opcode, *total, s.partial_key);
            }
            let start = bytes.len();
            bytes.extend_from_slice(data);
            if let Some(key) = s.partial_key {
                ws_frame::apply_mask(&mut bytes[start..], key, *offset);
            }
            let note = format!(
                "bytes {offset}..{} of a {total}-byte frame",
                offset + data.len()
            );
            s.send_raw(bytes, note, 0xff, 0);
        }
        Step::Fragmented {
            opcode,
            byte,
            len,
            frame,
        } => {
            let frame = (*frame).max(1);
            let mut bytes = Vec::with_capacity(len + (len / frame + 1) * 14);
            let mut frames = 0;
            let mut left = *len;
            loop {
                let n = left.min(frame);
                left -= n;
                let op = if frames == 0 { *opcode } else { 0 };
                let key = s.key();
                bytes.extend_from_slice(&encode_frame(left == 0, 0, op, &vec![*byte; n], key));
                frames += 1;
                if left == 0 {
                    break;
                }
            }
            let note = format!(
                "{} message of {len} bytes as {frames} frames of at most {frame} bytes",
                if *opcode == 2 { "Binary" } else { "Text" }
            );
            s.send_raw(bytes, note, *opcode, 1);
            s.sent_data_frames[0] += frames - 1;
        }
        Step::EchoLoop {
            binary,
            len,
            count,
            source,
            frame,
        } => {
            if needs_deflate && !s.has_deflate() {
                // RFC 7692 cases against a peer that declined the extension:
                // nothing to test, close at once (UNIMPLEMENTED).
                s.transcript
                    .note(Dir::Note, "permessage-deflate was not negotiated".into());
                s.send_close(Some(1000), b"", false);
            } else {
                s.start_echo_loop(*binary, *len, *count, *source, *frame);
            }
        }
        Step::Close { code, reason } => s.send_close(*code, reason, false),
        Step::Wait(delay, tag) => {
            s.transcript
                .note(Dir::Note, format!("pausing {} ms", delay.as_millis()));
            d.step = Some((Instant::now() + *delay * scale, *tag));
        }
    }
}

pub(super) fn fire(plan: &Plan, s: &mut Session, d: &mut Deadlines, now: Instant) {
    if let Some((at, tag)) = d.step
        && at <= now
    {
        d.step = None;
        if s.state == State::Open {
            if let Some(tag) = tag {
                s.received.push(crate::plan::Event::Timeout(tag));
            }
        } else {
            // The connection is no longer open: the rest of the script is moot.
            d.stopped = true;
        }
    }
    if d.finally.is_some_and(|at| at <= now) {
        d.finally = None;
        match plan.finally {
            Finally::Kill(_) => {
                s.transcript.note(
                    Dir::Note,
                    "the case's time is up: failing the connection".into(),
                );
                s.fail(1001, "Going Away");
            }
            Finally::Close(_) => {
                s.transcript
                    .note(Dir::Note, "the case's time is up: closing".into());
                s.send_close(None, b"", false);
            }
        }
    }
    if d.close.is_some_and(|at| at <= now) {
        d.close = None;
        s.transcript
            .note(Dir::Note, "no answer to our Close in time".into());
        s.close_handshake_timeout();
    }
    if d.drop.is_some_and(|at| at <= now) {
        d.drop = None;
        s.transcript
            .note(Dir::Note, "the server did not drop TCP in time".into());
        s.server_drop_timeout();
    }
    if d.case.is_some_and(|at| at <= now) {
        d.case = None;
        s.transcript.note(
            Dir::Note,
            "the case's overall limit is up: dropping TCP".into(),
        );
        s.drop_tcp();
    }
}
