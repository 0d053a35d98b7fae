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

use ws_frame::deflate::PerMessageDeflate;

use crate::plan::Event;
use crate::transcript::{Dir, Transcript};
use crate::wire::encode_frame;

use echo::EchoLoop;

mod echo;
mod receive;

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
}
