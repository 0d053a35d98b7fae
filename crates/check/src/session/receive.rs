//! The receiving half of the checker's session: frames parsed from the
//! bytes read, checked as Autobahn's client checks them (RFC 6455 §5,
//! §7; RFC 7692 §6 for compressed messages), and recorded as events.

use bytes::BytesMut;
use ws_frame::{Extension, apply_mask};

use super::{Output, Session, State, Timer, close_code_allowed};
use crate::plan::Event;
use crate::transcript::Dir;
use crate::wire::{RawHeader, encode_frame, parse_header};

impl Session {
    /// Feeds bytes read from the socket.
    pub(crate) fn receive(&mut self, data: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        self.buf.extend_from_slice(data);
        let mut at = 0;
        while self.state != State::Closed {
            let Some((header, used)) = parse_header(&self.buf[at..]) else {
                break;
            };
            // RFC 6455 §5.2: the length is at most 2^63 − 1; and we never
            // buffer more than the case can need.
            let limit = self.max_message as u64;
            if header.len > limit {
                self.transcript.note(
                    Dir::Note,
                    format!(
                        "frame of {} bytes exceeds the checker's limit of {limit}",
                        header.len
                    ),
                );
                self.fail(1009, "frame too big for the checker");
                self.drop_tcp();
                break;
            }
            let Ok(len) = usize::try_from(header.len) else {
                break;
            };
            let Some(end) = (at + used).checked_add(len) else {
                break;
            };
            if self.buf.len() < end {
                break;
            }
            let mut payload = self.buf[at + used..end].to_vec();
            at = end;
            if let Some(key) = header.mask {
                apply_mask(&mut payload, key, 0);
            }
            self.frame(header, payload);
        }
        self.buf.drain(..at);
    }

    fn frame(&mut self, h: RawHeader, payload: Vec<u8>) {
        self.transcript
            .frame(Dir::Received, h.opcode, h.fin, h.rsv, &payload);
        if h.non_minimal {
            self.fail(1002, "frame length not in its shortest form");
        }
        // RFC 6455 §5.2: RSV bits without a negotiated extension.
        // RFC 7692 §6: with permessage-deflate, RSV1 marks a compressed
        // message, on its first frame only.
        let compressed_start = self.deflate.is_some() && h.rsv == 4 && matches!(h.opcode, 1 | 2);
        if h.rsv != 0 && !compressed_start {
            self.fail(
                1002,
                &format!("RSV = {} where no extension allows it", h.rsv),
            );
        }
        // RFC 6455 §5.1: "A client MUST close a connection if it detects a
        // masked frame"; a server, if it detects an unmasked one.
        if h.mask.is_some() && !self.server {
            self.fail(1002, "masked server-to-client frame");
        }
        if h.mask.is_none() && self.server {
            self.fail(1002, "unmasked client-to-server frame");
        }
        if h.opcode >= 8 {
            // RFC 6455 §5.5: control frames are never fragmented and carry
            // at most 125 bytes.
            if !h.fin {
                self.fail(1002, "fragmented control frame");
            }
            if payload.len() > 125 {
                self.fail(1002, "control frame with payload length > 125 octets");
            }
            if !matches!(h.opcode, 8..=10) {
                self.fail(
                    1002,
                    &format!("control frame using reserved opcode {}", h.opcode),
                );
                return;
            }
            if h.opcode == 8 && payload.len() == 1 {
                self.fail(1002, "close frame with a payload of 1 byte");
            }
            if self.state == State::Closed {
                return;
            }
            self.control(h.opcode, payload);
        } else {
            if h.opcode > 2 {
                self.fail(
                    1002,
                    &format!("data frame using reserved opcode {}", h.opcode),
                );
                return;
            }
            // RFC 6455 §5.4: continuation frames only inside a message, and
            // no new message before the last one ended.
            if self.message.is_none() && h.opcode == 0 {
                self.fail(1002, "continuation frame outside a fragmented message");
                return;
            }
            if self.message.is_some() && h.opcode != 0 {
                self.fail(1002, "new data frame inside a fragmented message");
                return;
            }
            if self.state == State::Closed {
                return;
            }
            self.data(
                h.opcode,
                h.fin,
                h.rsv == 4 && self.deflate.is_some(),
                payload,
            );
        }
    }

    fn control(&mut self, opcode: u8, payload: Vec<u8>) {
        match opcode {
            9 => {
                // RFC 6455 §5.5.2: answer a Ping with a Pong carrying its payload.
                self.out.push(Output::Write(encode_frame(
                    true,
                    0,
                    10,
                    &payload,
                    self.key(),
                )));
                self.transcript
                    .note(Dir::Sent, format!("Pong ({} bytes)", payload.len()));
                self.record(Event::Ping(payload));
            }
            10 => self.record(Event::Pong(payload)),
            _ => self.close_frame(&payload),
        }
    }

    fn data(&mut self, opcode: u8, fin: bool, rsv1: bool, payload: Vec<u8>) {
        let (binary, compressed, mut body, mut len) = match self.message.take() {
            Some(m) => m,
            None => (opcode == 2, rsv1, Vec::new(), 0),
        };
        let payload = if compressed {
            let mut out = BytesMut::new();
            let room = self.max_message.saturating_sub(len);
            let decoded = match self.deflate.as_mut() {
                Some(d) => d.decode_frame(4, &payload, fin, &mut out, room),
                None => Ok(()),
            };
            if let Err(e) = decoded {
                self.fail(1007, &format!("cannot inflate the message: {e}"));
                return;
            }
            out.to_vec()
        } else {
            payload
        };
        len += payload.len();
        if len > self.max_message {
            self.fail(1009, "message too big for the checker");
            return;
        }
        if self.keep_payloads || !binary || self.echo_loop.is_some() {
            body.extend_from_slice(&payload);
        }
        if !fin {
            self.message = Some((binary, compressed, body, len));
            return;
        }
        // RFC 6455 §8.1: a text message must be valid UTF-8.
        if !binary && ws_frame::validate_utf8(&body).is_err() {
            self.fail(1007, "invalid UTF-8 in a text message");
        }
        let echo = self.echo_loop.as_ref().map(|l| l.check(binary, &body, len));
        if !self.keep_payloads {
            body = Vec::new();
        }
        self.record(Event::Message {
            binary,
            payload: body,
            len,
        });
        match echo {
            Some(Ok(())) => {
                self.echo_ok += 1;
                self.next_echo();
            }
            Some(Err(why)) => {
                self.transcript.note(Dir::Note, why.clone());
                self.echo_error = Some(why);
                self.echo_loop = None;
                self.send_close(Some(1000), b"", false);
            }
            None => {}
        }
    }

    fn close_frame(&mut self, payload: &[u8]) {
        let code = payload.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        self.remote_close_code = code;
        // RFC 6455 §7.4: codes below 1000, unassigned 1xxx/2xxx codes and
        // codes from 5000 up are invalid on the wire.
        if let Some(code) = code
            && !close_code_allowed(code)
        {
            self.fail(1002, &format!("invalid close code {code}"));
        }
        if payload.len() > 2 {
            match std::str::from_utf8(&payload[2..]) {
                Ok(reason) => self.remote_close_reason = Some(reason.to_owned()),
                // RFC 6455 §7.1.6: the reason is UTF-8.
                Err(_) => self.fail(1007, "close reason is not UTF-8"),
            }
        }
        match self.state {
            State::Closing => {
                // The answer to our Close: the handshake is complete, and the
                // server must now drop TCP (§7.1.1) — at once when that is us.
                self.was_clean = true;
                if self.server {
                    self.drop_tcp();
                } else {
                    self.out.push(Output::Start(Timer::ServerDrop));
                }
            }
            State::Open => {
                self.was_clean = true;
                self.send_close(Some(1000), b"", true);
                if self.server {
                    self.drop_tcp();
                }
            }
            State::Closed => self.was_clean = false,
        }
    }

    fn record(&mut self, event: Event) {
        self.received.push(event);
        // Autobahn's rule: once the events equal every expected sequence,
        // the checker starts the closing handshake.
        if self.expected.iter().all(|e| *e == self.received)
            && let Some(code) = self.auto_close
        {
            self.send_close(Some(code), b"", false);
        }
    }
}
