//! Counting what one member receives without parsing it: frame headers
//! decoded with `ws-frame`'s [`Header::parse`] straight from the bytes of
//! a read, payloads skipped, and only the few bytes that tell an event's
//! type kept (the server writes `"type"` first). A payload is collected
//! whole only when it has to be looked into: a sampled delivery (for its
//! latency), a Ping (to answer it), and a compressed message that must be
//! inflated.
//!
//! ```text
//!  read (any size) ─► header ─► skip payload, keep 20 bytes ─► Event::Message / Error / Other
//!                        │
//!                        ├─ sampled ──► whole payload ─► Event::Message { json }
//!                        └─ RSV1 ─────► inflate (every one, or the sampled ones, see below)
//! ```
//!
//! permessage-deflate (RFC 7692): with context takeover (what the server
//! may do unless it agreed to `server_no_context_takeover`, §7.1.1.1) each
//! compressed message may refer back into the previous ones, so every one
//! is inflated, or the inflater's window would fall out of step with the
//! server's. When the server's answer carries `server_no_context_takeover`
//! each message stands alone: only sampled ones (and the `welcome`) are
//! inflated, and an unsampled compressed data message is counted as a
//! delivery without being looked into.

use bytes::BytesMut;
use ws_frame::deflate::PerMessageDeflate;
use ws_frame::{Extension, Header, OpCode, bits};

/// Bytes kept from the start of every payload to tell its type.
const PREFIX: usize = 20;

/// Largest message collected or inflated (a `welcome` of a 10 000-member
/// room is about 100 KiB; anything near this is not the chat).
pub(crate) const MAX_MESSAGE: usize = 16 << 20;

/// What a member received, as [`Counter::feed`] finds it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A `welcome`.
    Welcome,
    /// A room `message` (or, compressed and not inflated, any data
    /// message); `json` is its text when it was sampled.
    Message { json: Option<&'a [u8]> },
    /// An `error` event.
    Error,
    /// A `join`, `leave` or (a large room's batch of them) `presence`.
    Presence,
    /// Any other event (`ack`, `users`, …).
    Other,
    /// A Ping with its payload, to be answered.
    Ping(&'a [u8]),
    /// The server's Close.
    Close,
}

/// A frame whose payload is being read.
#[derive(Debug)]
struct Frame {
    opcode: OpCode,
    fin: bool,
    left: u64,
    /// Collect the whole payload (else only its first [`PREFIX`] bytes).
    whole: bool,
}

/// The message the data frames belong to.
#[derive(Debug, Default)]
struct Message {
    compressed: bool,
    sampled: bool,
    /// Inflated, or collected whole.
    whole: bool,
}

/// One member's receiving side, fed with whatever each read returned.
pub(crate) struct Counter {
    /// A header split by the end of a read.
    carry: [u8; Header::MAX_LEN],
    carry_len: usize,
    frame: Option<Frame>,
    message: Message,
    prefix: [u8; PREFIX],
    prefix_len: usize,
    payload: Vec<u8>,
    inflated: BytesMut,
    inflater: Option<PerMessageDeflate>,
    /// Inflate every compressed message (context takeover).
    inflate_all: bool,
    /// Sample one data message in `every`, starting with number `phase`.
    every: u64,
    phase: u64,
    messages: u64,
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counter")
            .field("messages", &self.messages)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

fn invalid(what: impl std::fmt::Display) -> std::io::Error {
    crate::raw::invalid(what)
}

impl Counter {
    /// A counter sampling one data message in `every` (the `phase`th
    /// first, so that members sample different messages), inflating with
    /// `inflater` when permessage-deflate was agreed, every compressed
    /// message if `inflate_all` (the server keeps its context).
    pub(crate) fn new(
        every: u64,
        phase: u64,
        inflater: Option<PerMessageDeflate>,
        inflate_all: bool,
    ) -> Self {
        let every = every.max(1);
        Self {
            carry: [0; Header::MAX_LEN],
            carry_len: 0,
            frame: None,
            message: Message::default(),
            prefix: [0; PREFIX],
            prefix_len: 0,
            payload: Vec::new(),
            inflated: BytesMut::new(),
            inflater,
            inflate_all,
            every,
            phase: phase % every,
            messages: 0,
        }
    }

    /// Consumes `data` (the bytes of one read), calling `sink` for every
    /// event completed in it.
    ///
    /// # Errors
    /// A malformed or masked frame, a message over [`MAX_MESSAGE`], bad
    /// compressed data.
    pub(crate) fn feed(
        &mut self,
        data: &[u8],
        sink: &mut impl FnMut(Event<'_>),
    ) -> std::io::Result<()> {
        let mut at = 0;
        loop {
            if let Some(frame) = &mut self.frame {
                let take = usize::try_from(frame.left)
                    .unwrap_or(usize::MAX)
                    .min(data.len() - at);
                let piece = &data[at..at + take];
                at += take;
                frame.left -= take as u64;
                let done = frame.left == 0;
                self.keep(piece)?;
                if !done {
                    return Ok(());
                }
                self.finish_frame(sink)?;
                continue;
            }
            if at == data.len() {
                return Ok(());
            }
            let parsed = if self.carry_len > 0 {
                let n = (Header::MAX_LEN - self.carry_len).min(data.len() - at);
                self.carry[self.carry_len..self.carry_len + n].copy_from_slice(&data[at..at + n]);
                match Header::parse(&self.carry[..self.carry_len + n]).map_err(invalid)? {
                    Some((header, used)) => {
                        at += used - self.carry_len;
                        self.carry_len = 0;
                        header
                    }
                    None => {
                        self.carry_len += n;
                        return Ok(());
                    }
                }
            } else {
                match Header::parse(&data[at..]).map_err(invalid)? {
                    Some((header, used)) => {
                        at += used;
                        header
                    }
                    None => {
                        let rest = &data[at..];
                        self.carry[..rest.len()].copy_from_slice(rest);
                        self.carry_len = rest.len();
                        return Ok(());
                    }
                }
            };
            self.start_frame(parsed)?;
        }
    }

    fn start_frame(&mut self, header: Header) -> std::io::Result<()> {
        if header.mask.is_some() {
            return Err(invalid("the server masked a frame"));
        }
        if header.payload_len > MAX_MESSAGE as u64 {
            return Err(invalid("a frame over the load client's limit"));
        }
        let whole = match header.opcode {
            OpCode::Text | OpCode::Binary => {
                let compressed = header.rsv & bits::RSV1 != 0;
                if compressed && self.inflater.is_none() {
                    return Err(invalid("RSV1 without permessage-deflate"));
                }
                let sampled = self.messages % self.every == self.phase;
                // The first message is the `welcome`: always looked into.
                let first = self.messages == 0;
                self.messages += 1;
                let whole = sampled || (compressed && (self.inflate_all || first));
                self.message = Message {
                    compressed,
                    sampled,
                    whole,
                };
                self.prefix_len = 0;
                self.inflated.clear();
                whole
            }
            OpCode::Continuation => self.message.whole,
            OpCode::Ping => true,
            _ => false,
        };
        self.payload.clear();
        self.frame = Some(Frame {
            opcode: header.opcode,
            fin: header.fin,
            left: header.payload_len,
            whole,
        });
        Ok(())
    }

    /// Keeps what is needed of a piece of the current frame's payload.
    fn keep(&mut self, piece: &[u8]) -> std::io::Result<()> {
        let Some(frame) = &self.frame else {
            return Ok(());
        };
        if frame.whole {
            if self.payload.len() + piece.len() > MAX_MESSAGE {
                return Err(invalid("a message over the load client's limit"));
            }
            self.payload.extend_from_slice(piece);
        } else if self.prefix_len < PREFIX {
            let n = (PREFIX - self.prefix_len).min(piece.len());
            self.prefix[self.prefix_len..self.prefix_len + n].copy_from_slice(&piece[..n]);
            self.prefix_len += n;
        }
        Ok(())
    }

    fn finish_frame(&mut self, sink: &mut impl FnMut(Event<'_>)) -> std::io::Result<()> {
        let Some(frame) = self.frame.take() else {
            return Ok(());
        };
        match frame.opcode {
            OpCode::Ping => {
                sink(Event::Ping(&self.payload));
                return Ok(());
            }
            OpCode::Close => {
                sink(Event::Close);
                return Ok(());
            }
            OpCode::Text | OpCode::Binary | OpCode::Continuation => {}
            _ => return Ok(()),
        }
        let message = &self.message;
        if message.compressed && message.whole {
            let inflater = self
                .inflater
                .as_mut()
                .ok_or_else(|| invalid("RSV1 without permessage-deflate"))?;
            let room = MAX_MESSAGE.saturating_sub(self.inflated.len());
            inflater
                .decode_frame(
                    bits::RSV1,
                    &self.payload,
                    frame.fin,
                    &mut self.inflated,
                    room,
                )
                .map_err(invalid)?;
        } else if message.whole && !message.compressed && !frame.fin {
            // A fragmented sampled message: collect it across its frames.
            self.inflated.extend_from_slice(&self.payload);
        }
        if !frame.fin {
            return Ok(());
        }
        let text: Option<&[u8]> = match (message.whole, message.compressed) {
            (true, true) => Some(&self.inflated),
            (true, false) if !self.inflated.is_empty() => {
                self.inflated.extend_from_slice(&self.payload);
                Some(&self.inflated)
            }
            (true, false) => Some(&self.payload),
            (false, false) => Some(&self.prefix[..self.prefix_len]),
            // Compressed and not inflated: a delivery, unlooked-into.
            (false, true) => None,
        };
        let event = match text {
            None => Event::Message { json: None },
            Some(t) if t.starts_with(br#"{"type":"message""#) => Event::Message {
                json: (message.sampled && message.whole).then_some(t),
            },
            Some(t) if t.starts_with(br#"{"type":"welcome""#) => Event::Welcome,
            Some(t) if t.starts_with(br#"{"type":"error""#) => Event::Error,
            Some(t)
                if t.starts_with(br#"{"type":"join""#)
                    || t.starts_with(br#"{"type":"leave""#)
                    || t.starts_with(br#"{"type":"presence""#) =>
            {
                Event::Presence
            }
            Some(_) => Event::Other,
        };
        sink(event);
        Ok(())
    }
}

#[cfg(test)]
#[path = "counter_tests.rs"]
mod tests;
