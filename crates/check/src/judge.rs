//! The verdict rules, the same Autobahn applies once a connection is gone.
//!
//! `behavior`: the events seen must equal one of the expected sequences
//! exactly (the first that matches gives its verdict), else FAILED.
//! `behaviorClose`, checked in this order: the wrong side started the
//! close → FAILED; a clean close was required and did not happen →
//! UNCLEAN; the peer's code is not one the case allows → WRONG CODE; the
//! checker (a client) had to drop TCP → FAILED BY CLIENT; else OK.

use crate::plan::{Adjust, Plan};
use crate::session::Session;
use crate::verdict::Verdict;

/// The verdicts of one case and the sentences that explain them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judgement {
    pub behavior: Verdict,
    pub behavior_close: Verdict,
    pub result: String,
    pub result_close: String,
}

/// Judges a finished connection.
pub(crate) fn judge(plan: &Plan, s: &Session) -> Judgement {
    let mut j = Judgement {
        behavior: Verdict::Failed,
        behavior_close: Verdict::Failed,
        result: "The events seen differ from every expected sequence.".into(),
        result_close: String::new(),
    };
    if let Some((verdict, _)) = plan.expected.iter().find(|(_, e)| *e == s.received) {
        j.behavior = *verdict;
        j.result = "The events seen match an expected sequence.".into();
    }
    let c = &plan.close;
    (j.behavior_close, j.result_close) = if c.closed_by_me != s.closed_by_me {
        (
            Verdict::Failed,
            format!(
                "The wrong side started the close: expected {}, but {} did.",
                side(c.closed_by_me),
                side(s.closed_by_me)
            ),
        )
    } else if c.require_clean && !s.was_clean {
        (
            Verdict::Unclean,
            format!(
                "The RFC requires a clean close here, but {}.",
                s.not_clean_reason
                    .as_deref()
                    .unwrap_or("the close handshake did not complete")
            ),
        )
    } else if let Some(code) = s.remote_close_code.filter(|code| !c.codes.contains(code)) {
        let allowed: Vec<String> = c.codes.iter().map(u16::to_string).collect();
        (
            Verdict::WrongCode,
            format!(
                "The peer closed with {code}; the close code should have been {} or empty.",
                allowed.join(",")
            ),
        )
    } else if s.dropped_by_me && !s.server {
        (
            Verdict::FailedByClient,
            "The checker had to drop the TCP connection; the server should drop it first (RFC 6455 §7.1.1).".into(),
        )
    } else {
        (Verdict::Ok, "The connection was closed properly.".into())
    };
    if c.wrong_side_is_fatal && c.closed_by_me != s.closed_by_me {
        j.behavior = Verdict::Failed;
        j.result = "The peer never failed the connection, so it did not detect the error.".into();
    }
    match plan.adjust {
        Adjust::None => {}
        Adjust::WrongCodeFails => {
            if j.behavior_close == Verdict::WrongCode {
                j.behavior = Verdict::Failed;
                j.result = j.result_close.clone();
            }
        }
        Adjust::Informational => {
            j.behavior = Verdict::Informational;
            j.behavior_close = Verdict::Informational;
            j.result = "The RFC leaves the outcome open; it is recorded only.".into();
        }
        Adjust::Length { binary, len } => length_verdict(&mut j, s, binary, len),
        Adjust::Count {
            count,
            needs_deflate,
        } => count_verdict(&mut j, s, count, needs_deflate),
    }
    j
}

/// Section 9: the first message decides, by kind and length.
fn length_verdict(j: &mut Judgement, s: &Session, binary: bool, len: usize) {
    use crate::plan::Event;
    let first = s.received.iter().find_map(|e| match e {
        Event::Message { binary, len, .. } => Some((*binary, *len)),
        _ => None,
    });
    (j.behavior, j.result) = match first {
        None => (Verdict::Failed, "No message came back in time.".into()),
        Some((b, _)) if b != binary => (
            Verdict::Failed,
            format!(
                "Expected a {} message, got a {} one.",
                kind(binary),
                kind(b)
            ),
        ),
        Some((_, got)) if got != len => {
            (Verdict::Failed, format!("Expected {len} bytes, got {got}."))
        }
        Some(_) => (
            Verdict::Ok,
            format!("Received a {} message of {len} bytes.", kind(binary)),
        ),
    };
}

/// Echo loops: every message came back as sent, in time.
fn count_verdict(j: &mut Judgement, s: &Session, count: usize, needs_deflate: bool) {
    (j.behavior, j.result) = if needs_deflate && !s.has_deflate() {
        (
            Verdict::Unimplemented,
            "The server did not accept permessage-deflate.".into(),
        )
    } else if let Some(why) = &s.echo_error {
        (
            Verdict::Failed,
            format!("The echo differs from what was sent: {why}."),
        )
    } else if s.echo_ok == count {
        (
            Verdict::Ok,
            format!("All {count} messages came back in time."),
        )
    } else {
        (
            Verdict::Failed,
            format!("Only {} of {count} messages came back in time.", s.echo_ok),
        )
    };
}

fn kind(binary: bool) -> &'static str {
    if binary { "binary" } else { "text" }
}

fn side(by_me: bool) -> &'static str {
    if by_me { "the checker" } else { "the peer" }
}
