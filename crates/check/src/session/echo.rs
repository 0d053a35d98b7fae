//! The echo loop of sections 9.7, 9.8, 12 and 13: one message out, its
//! echo back, then the next, each message cut into frames and (with
//! permessage-deflate) compressed as the case asks.

use bytes::Bytes;
use ws_frame::{Extension, MessageKind};

use super::{Output, Session};
use crate::plan::Source;
use crate::transcript::Dir;
use crate::wire::encode_frame;

/// Sections 9.7, 9.8, 12, 13: the next message goes out when the last
/// came back, and each echo must equal what was sent.
#[derive(Debug, Clone)]
pub(crate) struct EchoLoop {
    binary: bool,
    len: usize,
    remaining: usize,
    source: Source,
    /// Position in the corpus of the next message.
    at: usize,
    /// The largest frame payload (0: one frame per message).
    frame: usize,
    /// The message in flight.
    current: Vec<u8>,
}

impl EchoLoop {
    /// Whether a received message is the echo of the one in flight.
    pub(crate) fn check(&self, binary: bool, body: &[u8], len: usize) -> Result<(), String> {
        if self.binary != binary {
            Err(format!(
                "an echo came back as {} instead of {}",
                kind(binary),
                kind(self.binary)
            ))
        } else if self.current != body {
            Err(format!(
                "an echo of {len} bytes differs from the {} bytes sent",
                self.current.len()
            ))
        } else {
            Ok(())
        }
    }
}

impl Session {
    /// Starts sending `count` messages one round trip at a time.
    pub(crate) fn start_echo_loop(
        &mut self,
        binary: bool,
        len: usize,
        count: usize,
        source: Source,
        frame: usize,
    ) {
        self.transcript.note(
            Dir::Note,
            format!(
                "sending {count} {} messages of {len} bytes, one at a time",
                kind(binary)
            ),
        );
        self.echo_loop = Some(EchoLoop {
            binary,
            len,
            remaining: count,
            source,
            at: 0,
            frame,
            current: Vec::new(),
        });
        self.next_echo();
    }

    pub(super) fn next_echo(&mut self) {
        let Some(l) = self.echo_loop.as_mut() else {
            return;
        };
        if l.remaining == 0 {
            self.echo_loop = None;
            self.send_close(Some(1000), b"", false);
            return;
        }
        l.remaining -= 1;
        let message = match l.source {
            Source::Repeat(byte) => vec![byte; l.len],
            Source::Corpus(data) if !data.is_empty() => {
                let m: Vec<u8> = data
                    .iter()
                    .copied()
                    .cycle()
                    .skip(l.at)
                    .take(l.len)
                    .collect();
                l.at = (l.at + l.len) % data.len();
                m
            }
            Source::Corpus(_) => Vec::new(),
        };
        l.current.clone_from(&message);
        let (binary, frame) = (l.binary, l.frame);
        let kind = if binary {
            MessageKind::Binary
        } else {
            MessageKind::Text
        };
        // RFC 7692 §6: the compressed payload, RSV1 on the first frame.
        let (payload, rsv) = match self
            .deflate
            .as_mut()
            .and_then(|d| d.encode_message(kind, &Bytes::from(message.clone())))
        {
            Some((p, rsv)) => (p.to_vec(), rsv >> 4),
            None => (message, 0),
        };
        let opcode = if binary { 2 } else { 1 };
        let chunks: Vec<&[u8]> = if frame == 0 || payload.is_empty() {
            vec![&payload[..]]
        } else {
            payload.chunks(frame).collect()
        };
        let last = chunks.len() - 1;
        let mut bytes = Vec::with_capacity(payload.len() + 14 * chunks.len());
        for (i, c) in chunks.iter().enumerate() {
            let (op, r) = if i == 0 { (opcode, rsv) } else { (0, 0) };
            bytes.extend_from_slice(&encode_frame(i == last, r, op, c, self.key()));
            if let Some(n) = self.sent_data_frames.get_mut(usize::from(op)) {
                *n += 1;
            }
        }
        self.out.push(Output::Write(bytes));
    }
}

fn kind(binary: bool) -> &'static str {
    if binary { "binary" } else { "text" }
}
