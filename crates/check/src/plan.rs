//! What a case is made of: the steps it sends, the events it expects back,
//! and how it expects the connection to end.
//!
//! This mirrors the model every Autobahn case follows: a list of expected
//! event sequences, one per verdict (`OK`, sometimes `NON-STRICT`), an
//! expected close (who closes, which codes, whether cleanly), and a script
//! of frames, pauses and a final timer that ends a case whose peer never
//! closes.

use std::time::Duration;

use crate::verdict::Verdict;
use crate::wire::FrameSpec;

/// One thing the checker does, in order.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Send one frame.
    Frame(FrameSpec),
    /// Part of one frame whose payload is written in several steps (the
    /// fail-fast UTF-8 cases): `data` goes at `offset` of a payload of
    /// `total` bytes; the part at offset 0 writes the header first.
    FramePart {
        /// The frame's opcode (FIN is set).
        opcode: u8,
        /// The whole payload length.
        total: usize,
        /// Where `data` starts in the payload.
        offset: usize,
        /// This part of the payload.
        data: Vec<u8>,
    },
    /// Start the closing handshake with this close payload, sent as it is
    /// (it may be invalid on purpose).
    Close {
        /// The status code, if any.
        code: Option<u16>,
        /// The reason bytes.
        reason: Vec<u8>,
    },
    /// A whole message of `len` copies of `byte`, in frames of at most
    /// `frame` bytes, written at once.
    Fragmented {
        /// The first frame's opcode.
        opcode: u8,
        /// The payload byte.
        byte: u8,
        /// The message length.
        len: usize,
        /// The largest frame payload.
        frame: usize,
    },
    /// Send `count` messages of `len` bytes, each after the previous one
    /// came back (sections 9.7, 9.8); the checker closes when done.
    EchoLoop {
        /// Binary (true) or text.
        binary: bool,
        /// Each message's length.
        len: usize,
        /// How many.
        count: usize,
        /// Where the payloads come from.
        source: Source,
        /// The largest frame payload (0: one frame per message).
        frame: usize,
    },
    /// Pause; when the connection is still open afterwards, record
    /// `Event::Timeout(tag)` (if tagged) and go on, else stop the script.
    Wait(Duration, Option<&'static str>),
}

/// Where the payloads of an echo loop come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The same byte, `len` times.
    Repeat(u8),
    /// Consecutive slices of a corpus, wrapping around at its end.
    Corpus(&'static [u8]),
}

/// The final timer of a case (Autobahn's `killAfter` and `closeAfter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finally {
    /// After the delay, fail the connection (close 1001, or drop when a
    /// close was already sent).
    Kill(Duration),
    /// After the delay, start the closing handshake (empty close payload).
    Close(Duration),
}

/// An observed (or expected) event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// A complete data message.
    Message {
        /// Binary (true) or text.
        binary: bool,
        /// The payload (empty when the case keeps only lengths).
        payload: Vec<u8>,
        /// The payload length.
        len: usize,
    },
    /// A Ping from the peer.
    Ping(Vec<u8>),
    /// A Pong from the peer.
    Pong(Vec<u8>),
    /// A pause ended with the connection still open.
    Timeout(&'static str),
}

impl Event {
    /// An expected text message.
    pub(crate) fn text(payload: impl Into<Vec<u8>>) -> Self {
        let payload = payload.into();
        Self::Message {
            binary: false,
            len: payload.len(),
            payload,
        }
    }

    /// An expected binary message.
    pub(crate) fn binary(payload: impl Into<Vec<u8>>) -> Self {
        let payload = payload.into();
        Self::Message {
            binary: true,
            len: payload.len(),
            payload,
        }
    }
}

/// How the case expects the connection to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpectedClose {
    /// The checker starts the closing handshake (else the peer must).
    pub closed_by_me: bool,
    /// Close codes the peer may send (no code at all is accepted too).
    pub codes: Vec<u16>,
    /// The close handshake must complete.
    pub require_clean: bool,
    /// When the wrong side closes, the case fails as a whole: for the
    /// UTF-8 cases, a peer that never closes never noticed the error.
    pub wrong_side_is_fatal: bool,
}

impl ExpectedClose {
    /// The checker closes with 1000 and the peer answers: a clean close.
    pub(crate) fn normal() -> Self {
        Self {
            closed_by_me: true,
            codes: vec![1000],
            require_clean: true,
            wrong_side_is_fatal: false,
        }
    }

    /// The peer must fail the connection, with `code` if it sends one.
    pub(crate) fn peer_fails(code: u16) -> Self {
        Self {
            closed_by_me: false,
            codes: vec![code],
            require_clean: false,
            wrong_side_is_fatal: false,
        }
    }
}

/// Adjustments some cases make to the verdict after the common rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Adjust {
    /// The common rules only.
    None,
    /// A wrong close code fails the case itself (section 7).
    WrongCodeFails,
    /// Whatever happened is recorded as INFORMATIONAL.
    Informational,
    /// The case expects exactly one message of this kind and length
    /// (section 9: payloads are not kept, only their length).
    Length {
        /// Binary (true) or text.
        binary: bool,
        /// The expected length.
        len: usize,
    },
    /// Echo loops (9.7, 9.8, 12, 13): all `count` messages came back as sent.
    Count {
        /// How many.
        count: usize,
        /// UNIMPLEMENTED when permessage-deflate was not negotiated.
        needs_deflate: bool,
    },
}

/// What an opening-handshake case (section 14) expects from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// An HTTP error, no upgrade (RFC 6455 §4.2.1).
    Refused,
    /// 426 with `Sec-WebSocket-Version: 13` (§4.4); another 4xx is NON-STRICT.
    Version,
    /// 101 with the right `Sec-WebSocket-Accept` (§4.2.2).
    Accepted,
    /// As `Accepted`, or 403 (§4.2.2 item 4: a refused Origin).
    AcceptedOrForbidden,
}

/// An opening handshake sent as written instead of the usual one (section
/// 14): the request line and the headers in order; `{host}`, `{key}` and
/// `{key2}` are filled in by the checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Opening {
    /// `GET`, or another method on purpose.
    pub method: &'static str,
    /// `HTTP/1.1`, or another version on purpose.
    pub version: &'static str,
    /// Header fields, as sent.
    pub headers: Vec<(String, String)>,
    /// What the server must answer.
    pub expect: Expect,
}

/// A complete case.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// What to send.
    pub steps: Vec<Step>,
    /// The final timer.
    pub finally: Finally,
    /// Expected event sequences, each with the verdict it earns.
    pub expected: Vec<(Verdict, Vec<Event>)>,
    /// The expected end of the connection.
    pub close: ExpectedClose,
    /// Do not start the closing handshake when the events match (cases
    /// that close in their own, deliberately odd, way).
    pub suppress_close: bool,
    /// Verdict adjustments.
    pub adjust: Adjust,
    /// Keep received payloads (false: lengths only, for the big cases).
    pub keep_payloads: bool,
    /// permessage-deflate offers for the opening handshake (RFC 7692
    /// §5), each a list of parameters; empty: no extension is offered.
    pub deflate_offers: Vec<Vec<(&'static str, Option<String>)>>,
    /// Section 14: the case is this opening handshake, nothing else.
    pub opening: Option<Opening>,
}

impl Plan {
    /// A plan that expects `events` (OK) and a normal close by the checker.
    pub(crate) fn echo(steps: Vec<Step>, events: Vec<Event>, finally: Finally) -> Self {
        Self {
            steps,
            finally,
            expected: vec![(Verdict::Ok, events)],
            close: ExpectedClose::normal(),
            suppress_close: false,
            adjust: Adjust::None,
            keep_payloads: true,
            deflate_offers: Vec::new(),
            opening: None,
        }
    }

    /// A plan where the peer must fail the connection with `code`; `ok`
    /// are the events expected before that.
    pub(crate) fn fails(steps: Vec<Step>, ok: Vec<Event>, code: u16) -> Self {
        Self {
            steps,
            finally: Finally::Kill(Duration::from_secs(1)),
            expected: vec![(Verdict::Ok, ok)],
            close: ExpectedClose::peer_fails(code),
            suppress_close: false,
            adjust: Adjust::None,
            keep_payloads: true,
            deflate_offers: Vec::new(),
            opening: None,
        }
    }

    /// Adds the NON-STRICT alternative `events`.
    pub(crate) fn or_non_strict(mut self, events: Vec<Event>) -> Self {
        self.expected.push((Verdict::NonStrict, events));
        self
    }

    /// Whether the case loads the server for long under a deadline: an
    /// echo loop, a message of 1 MiB or more, or permessage-deflate.
    pub(crate) fn is_heavy(&self) -> bool {
        !self.deflate_offers.is_empty()
            || self.max_message() >= 1 << 20
            || self
                .steps
                .iter()
                .any(|s| matches!(s, Step::EchoLoop { .. }))
    }

    /// The time the script itself takes at most: its pauses and its final
    /// timer.
    pub(crate) fn scripted_time(&self) -> Duration {
        let pauses: Duration = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Wait(d, _) => *d,
                _ => Duration::ZERO,
            })
            .sum();
        pauses
            + match self.finally {
                Finally::Kill(d) | Finally::Close(d) => d,
            }
    }

    /// The largest message this plan can make the peer send back, for the
    /// reader's limit and the memory budget.
    pub(crate) fn max_message(&self) -> usize {
        let sent: usize = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Frame(f) => f.repeat_to.unwrap_or(f.payload.len()),
                Step::FramePart { total, .. } => *total,
                Step::Fragmented { len, .. } | Step::EchoLoop { len, .. } => *len,
                _ => 0,
            })
            .sum();
        sent.max(64 * 1024)
    }
}

/// A frame step.
pub(crate) fn frame(f: FrameSpec) -> Step {
    Step::Frame(f)
}

/// A pause of `secs` seconds.
pub(crate) fn wait(secs: u64, tag: Option<&'static str>) -> Step {
    Step::Wait(Duration::from_secs(secs), tag)
}

/// `Finally::Kill` after `secs` seconds.
pub(crate) fn kill_after(secs: u64) -> Finally {
    Finally::Kill(Duration::from_secs(secs))
}

/// `Finally::Close` after `secs` seconds.
pub(crate) fn close_after(secs: u64) -> Finally {
    Finally::Close(Duration::from_secs(secs))
}
