//! What went over the wire, for the human-readable report: every frame in
//! both directions (opcode, flags, length, the first bytes) and the
//! checker's own notes (timers, why it failed the connection).
//!
//! A case can exchange thousands of frames (section 9 sends 65536), so the
//! transcript keeps the first [`MAX_LINES`] lines and counts the rest.

use serde::Serialize;

/// Lines kept per case.
pub const MAX_LINES: usize = 200;
/// Payload bytes shown per frame.
const PREVIEW: usize = 48;

/// The direction of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Dir {
    /// The checker sent it.
    #[serde(rename = "tx")]
    Sent,
    /// The peer sent it.
    #[serde(rename = "rx")]
    Received,
    /// The checker's note.
    #[serde(rename = "note")]
    Note,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Milliseconds since the case started.
    pub ms: u64,
    /// Who.
    pub dir: Dir,
    /// What.
    pub text: String,
}

/// The bounded record of one case's traffic.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    /// The first lines.
    pub lines: Vec<Line>,
    /// How many lines were not kept.
    pub dropped: usize,
    #[serde(skip)]
    start: Option<std::time::Instant>,
}

impl Transcript {
    /// Sets the time origin.
    pub(crate) fn start(&mut self, at: std::time::Instant) {
        self.start = Some(at);
    }

    /// Adds a free-form line.
    pub(crate) fn note(&mut self, dir: Dir, text: String) {
        if self.lines.len() >= MAX_LINES {
            self.dropped += 1;
            return;
        }
        let ms = self.start.map_or(0, |s| {
            u64::try_from(s.elapsed().as_millis()).unwrap_or(u64::MAX)
        });
        self.lines.push(Line { ms, dir, text });
    }

    /// Adds a frame line.
    pub(crate) fn frame(&mut self, dir: Dir, opcode: u8, fin: bool, rsv: u8, payload: &[u8]) {
        if self.lines.len() >= MAX_LINES {
            self.dropped += 1;
            return;
        }
        self.note(dir, describe_frame(opcode, fin, rsv, payload));
    }
}

/// `Text fin=1 rsv=0 len=13 "Hello, world!"`.
pub(crate) fn describe_frame(opcode: u8, fin: bool, rsv: u8, payload: &[u8]) -> String {
    let name = match opcode {
        0 => "Continuation".to_owned(),
        1 => "Text".to_owned(),
        2 => "Binary".to_owned(),
        8 => "Close".to_owned(),
        9 => "Ping".to_owned(),
        10 => "Pong".to_owned(),
        n => format!("Opcode {n} (reserved)"),
    };
    format!(
        "{name} fin={} rsv={rsv} len={} {}",
        u8::from(fin),
        payload.len(),
        preview(payload)
    )
}

/// The first bytes of a payload: quoted text when printable, else hex.
pub(crate) fn preview(payload: &[u8]) -> String {
    let head = &payload[..payload.len().min(PREVIEW)];
    let more = if payload.len() > PREVIEW { " ..." } else { "" };
    match std::str::from_utf8(head) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => format!("{s:?}{more}"),
        _ => {
            let hex: String = head.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}{more}")
        }
    }
}
