//! The checker's side of one connection, without IO: the client role of
//! RFC 6455 as Autobahn's fuzzing client plays it.
//!
//! The verdict rules compare *what this side did* (who started the close,
//! whether the handshake completed, who dropped TCP) with what the case
//! expects, so those facts must come from a client that behaves exactly
//! like Autobahn's: it fails the connection by sending a Close (never by
//! just dropping TCP), it keeps reading after a violation so that it sees
//! the peer's answer, it answers a peer's Close with 1000 and then waits
//! for the server to drop TCP (RFC 6455 §7.1.1: the server closes TCP
//! first), and it times out a close handshake after one second.

use ws_frame::apply_mask;

use bytes::{Bytes, BytesMut};
use ws_frame::deflate::PerMessageDeflate;
use ws_frame::{Extension, MessageKind};

use crate::plan::{Event, Source};
use crate::transcript::{Dir, Transcript};
use crate::wire::{RawHeader, encode_frame, parse_header};

/// Where the connection stands (RFC 6455 §4.1, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Open: data may flow both ways.
    Open,
    /// A Close was sent (by either side first); waiting for the end.
    Closing,
    /// TCP is gone (or we dropped it).
    Closed,
}

/// A timer the engine must start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// We sent the first Close: the peer must answer in time.
    CloseHandshake,
    /// The close handshake completed: the server must drop TCP in time.
    ServerDrop,
}

/// What the engine must do for the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Output {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Close the TCP connection.
    Drop,
    /// Start a timer.
    Start(Timer),
}

/// The close codes a peer may put on the wire (RFC 6455 §7.4.1, §7.4.2):
/// the ones Autobahn's client accepts, and 3000–4999.
fn close_code_allowed(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999)
}

/// The protocol state of the checker's end of one connection.
#[derive(Debug)]
pub(crate) struct Session {
    /// Where the connection stands.
    pub state: State,
    /// We sent the first Close.
    pub closed_by_me: bool,
    /// We failed the connection (a violation by the peer).
    pub failed_by_me: bool,
    /// We closed TCP.
    pub dropped_by_me: bool,
    /// The close handshake completed.
    pub was_clean: bool,
    /// Why the close was not clean.
    pub not_clean_reason: Option<String>,
    /// The code of the peer's Close, if it had one.
    pub remote_close_code: Option<u16>,
    /// The reason of the peer's Close.
    pub remote_close_reason: Option<String>,
    /// The code we sent in our Close.
    pub local_close_code: Option<u16>,
    /// The events seen, in order.
    pub received: Vec<Event>,
    /// Frames and notes for the report.
    pub transcript: Transcript,
    /// We are the server (client mode of ws-check): our frames are not
    /// masked, the peer's must be, and we drop TCP after the close.
    pub server: bool,
    /// The masking key of a frame being written in parts.
    pub partial_key: Option<[u8; 4]>,
    /// Data frames we sent per opcode (0 = continuation, 1, 2).
    pub sent_data_frames: [usize; 3],
    buf: Vec<u8>,
    /// The message being received: binary, compressed, body, length.
    message: Option<(bool, bool, Vec<u8>, usize)>,
    /// permessage-deflate, when negotiated (RFC 7692).
    deflate: Option<PerMessageDeflate>,
    /// Echoes of the loop that matched what was sent.
    pub echo_ok: usize,
    /// Why the loop stopped early.
    pub echo_error: Option<String>,
    keep_payloads: bool,
    max_message: usize,
    /// When received equals every one of these, close with `auto_close`.
    expected: Vec<Vec<Event>>,
    auto_close: Option<u16>,
    echo_loop: Option<EchoLoop>,
    out: Vec<Output>,
}

/// Sections 9.7, 9.8, 12, 13: the next message goes out when the last
/// came back, and each echo must equal what was sent.
#[derive(Debug, Clone)]
struct EchoLoop {
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

impl Session {
    /// A session that has just completed its opening handshake.
    pub(crate) fn new(
        expected: Vec<Vec<Event>>,
        auto_close: Option<u16>,
        keep_payloads: bool,
        max_message: usize,
    ) -> Self {
        Self {
            state: State::Open,
            closed_by_me: false,
            failed_by_me: false,
            dropped_by_me: false,
            was_clean: false,
            not_clean_reason: None,
            remote_close_code: None,
            remote_close_reason: None,
            local_close_code: None,
            received: Vec::new(),
            transcript: Transcript::default(),
            server: false,
            partial_key: None,
            sent_data_frames: [0; 3],
            buf: Vec::new(),
            message: None,
            keep_payloads,
            max_message,
            expected,
            auto_close,
            echo_loop: None,
            deflate: None,
            echo_ok: 0,
            echo_error: None,
            out: Vec::new(),
        }
    }

    /// A masking key for our next frame: fresh and random for a client
    /// (RFC 6455 §5.3), none for a server (§5.1).
    pub(crate) fn key(&self) -> Option<[u8; 4]> {
        (!self.server).then(rand::random)
    }

    /// The actions produced so far.
    pub(crate) fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// Sends a frame we built (any state but Closed: Autobahn writes its
    /// scripted frames whatever the state, which several close cases rely on).
    pub(crate) fn send_raw(&mut self, bytes: Vec<u8>, note: String, opcode: u8, frames: usize) {
        if self.state == State::Closed {
            return;
        }
        if let Some(n) = self.sent_data_frames.get_mut(usize::from(opcode)) {
            *n += frames;
        }
        self.transcript.note(Dir::Sent, note);
        self.out.push(Output::Write(bytes));
    }

    /// Installs the negotiated permessage-deflate.
    pub(crate) fn set_deflate(&mut self, deflate: PerMessageDeflate) {
        self.deflate = Some(deflate);
    }

    /// Whether permessage-deflate was negotiated.
    pub(crate) fn has_deflate(&self) -> bool {
        self.deflate.is_some()
    }

    /// Starts sending `count` messages one round trip at a time.
    pub(crate) fn start_echo_loop(
        &mut self,
        binary: bool,
        len: usize,
        count: usize,
        source: Source,
        frame: usize,
    ) {
        let kind = if binary { "binary" } else { "text" };
        self.transcript.note(
            Dir::Note,
            format!("sending {count} {kind} messages of {len} bytes, one at a time"),
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

    fn next_echo(&mut self) {
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

    /// Sends one more piece of a frame already noted.
    pub(crate) fn send_raw_quiet(&mut self, bytes: Vec<u8>) {
        if self.state != State::Closed {
            self.out.push(Output::Write(bytes));
        }
    }

    /// Starts the closing handshake (only when Open): sends a Close frame
    /// with exactly this payload.
    pub(crate) fn send_close(&mut self, code: Option<u16>, reason: &[u8], is_reply: bool) {
        if self.state != State::Open {
            return;
        }
        let mut payload = Vec::new();
        if let Some(code) = code {
            payload.extend_from_slice(&code.to_be_bytes());
        }
        payload.extend_from_slice(reason);
        let note = format!(
            "Close {} (code {:?}, {} reason bytes)",
            if is_reply { "reply" } else { "" },
            code,
            reason.len()
        );
        self.transcript.note(Dir::Sent, note);
        self.out.push(Output::Write(encode_frame(
            true,
            0,
            8,
            &payload,
            self.key(),
        )));
        self.state = State::Closing;
        self.closed_by_me = !is_reply;
        self.local_close_code = code;
        if self.closed_by_me {
            self.out.push(Output::Start(Timer::CloseHandshake));
        }
    }

    /// Fails the connection: a Close with `code` when Open, else drop TCP.
    pub(crate) fn fail(&mut self, code: u16, why: &str) {
        if self.state == State::Closed {
            return;
        }
        self.transcript
            .note(Dir::Note, format!("failing the connection: {why}"));
        self.failed_by_me = true;
        if self.state == State::Open {
            self.send_close(Some(code), &why.as_bytes()[..why.len().min(123)], false);
        } else {
            self.drop_tcp();
        }
    }

    /// Closes TCP from our side.
    pub(crate) fn drop_tcp(&mut self) {
        if self.state != State::Closed {
            self.dropped_by_me = true;
            self.state = State::Closed;
            self.out.push(Output::Drop);
        }
    }

    /// Our Close got no answer in time.
    pub(crate) fn close_handshake_timeout(&mut self) {
        if self.state != State::Closed {
            self.was_clean = false;
            self.not_clean_reason = Some("peer did not answer our Close in time".into());
            self.drop_tcp();
        }
    }

    /// The handshake completed but the server kept TCP open.
    pub(crate) fn server_drop_timeout(&mut self) {
        if self.state != State::Closed {
            self.was_clean = false;
            self.not_clean_reason = Some("server did not drop the TCP connection in time".into());
            self.drop_tcp();
        }
    }

    /// The peer closed TCP (or it broke).
    pub(crate) fn eof(&mut self) {
        if self.state != State::Closed {
            if !self.was_clean && self.not_clean_reason.is_none() {
                self.not_clean_reason =
                    Some("the peer dropped the TCP connection without a close handshake".into());
            }
            self.transcript
                .note(Dir::Note, "TCP connection closed by the peer".into());
            self.state = State::Closed;
        }
    }

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
        let echo = self.echo_loop.as_ref().map(|l| {
            if l.binary != binary {
                Err(format!(
                    "an echo came back as {} instead of {}",
                    kind(binary),
                    kind(l.binary)
                ))
            } else if l.current != body {
                Err(format!(
                    "an echo of {len} bytes differs from the {} bytes sent",
                    l.current.len()
                ))
            } else {
                Ok(())
            }
        });
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

fn kind(binary: bool) -> &'static str {
    if binary { "binary" } else { "text" }
}
