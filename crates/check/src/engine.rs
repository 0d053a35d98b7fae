//! Runs one case over one TCP connection: the opening handshake, the
//! case's steps, the timers, and the session until the connection ends.
//!
//! Reading never waits for writing: a writer task owns the write half and
//! sends each queued piece as its own write (with Nagle off, so that a
//! frame chopped into 1-byte pieces really reaches the peer in pieces),
//! while this task keeps reading, because a peer echoing a 16 MiB message
//! starts answering before the checker has finished sending it.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::sleep_until;
use ws_frame::Role;
use ws_frame::deflate::{DeflateConfig, DeflateParams, EXTENSION_NAME, PerMessageDeflate};
use ws_handshake::{ClientRequest, ExtensionOffer, Limits, Response, Url};

use crate::judge::{Judgement, judge};
use crate::plan::{Finally, Plan, Step};
use crate::session::{Output, Session, State, Timer};
use crate::transcript::{Dir, describe_frame};

/// The limits of one case run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect plus opening handshake (Autobahn: 5 s).
    pub open: Duration,
    /// The peer's answer to our Close (Autobahn: 1 s).
    pub close: Duration,
    /// The server dropping TCP after the close handshake (Autobahn: 1 s).
    pub server_drop: Duration,
    /// The whole case, whatever happens (a peer that never closes).
    pub case: Duration,
    /// Multiplies the case's own timers (its pauses and its final timer)
    /// for a loaded machine. 1 reproduces Autobahn's timing exactly;
    /// verdicts of a peer that answers in time do not depend on it.
    pub scale: u32,
}

impl Timeouts {
    /// Generous timers for tests on a busy machine: every timer three
    /// times as long as Autobahn's.
    #[must_use]
    pub fn relaxed() -> Self {
        Self {
            open: Duration::from_secs(15),
            close: Duration::from_secs(3),
            server_drop: Duration::from_secs(3),
            case: Duration::from_secs(300),
            scale: 3,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            open: Duration::from_secs(5),
            close: Duration::from_secs(1),
            server_drop: Duration::from_secs(1),
            case: Duration::from_secs(120),
            scale: 1,
        }
    }
}

/// Everything a case run observed.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub judgement: Judgement,
    pub session: Option<Session>,
    pub duration: Duration,
    pub http_request: String,
    pub http_response: String,
}

/// Runs `plan` against the server at `url`.
pub(crate) async fn run_case(url: &Url, plan: &Plan, timeouts: Timeouts) -> Outcome {
    let started = Instant::now();
    let mut request = ClientRequest::new(url).header(
        "User-Agent",
        concat!("ws-check/", env!("CARGO_PKG_VERSION")),
    );
    for offer in &plan.deflate_offers {
        let mut o = ExtensionOffer::new(EXTENSION_NAME);
        for (name, value) in offer {
            o = o.with_param(name, value.as_deref());
        }
        request = request.extension(o);
    }
    let http_request = String::from_utf8_lossy(&request.encode()).into_owned();
    let opened = tokio::time::timeout(timeouts.open, open(url, &request)).await;
    let (stream, leftover, http_response, deflate) = match opened {
        Ok(Ok(v)) => v,
        Ok(Err(why)) => return never_opened(plan, started, http_request, why),
        Err(_) => {
            return never_opened(
                plan,
                started,
                http_request,
                "the opening handshake timed out".into(),
            );
        }
    };
    let opened = Opened {
        stream,
        leftover,
        deflate,
        server: false,
        http_request,
        http_response,
    };
    run_open(opened, plan, timeouts).await
}

/// An open WebSocket connection, either role, ready for a case.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The socket.
    pub stream: TcpStream,
    /// Bytes read past the handshake.
    pub leftover: Vec<u8>,
    /// The negotiated permessage-deflate.
    pub deflate: Option<PerMessageDeflate>,
    /// We are the server (ws-check's client mode).
    pub server: bool,
    /// The request head.
    pub http_request: String,
    /// The response head.
    pub http_response: String,
}

/// Runs `plan` on a connection whose opening handshake is done.
pub(crate) async fn run_open(opened: Opened, plan: &Plan, timeouts: Timeouts) -> Outcome {
    let Opened {
        stream,
        leftover,
        deflate,
        server,
        http_request,
        http_response,
    } = opened;
    let auto_close = (plan.close.closed_by_me && !plan.suppress_close).then(|| plan.close.codes[0]);
    let expected = plan.expected.iter().map(|(_, e)| e.clone()).collect();
    let mut session = Session::new(
        expected,
        auto_close,
        plan.keep_payloads,
        plan.max_message() * 2 + 1024,
    );
    session.server = server;
    if let Some(deflate) = deflate {
        session.set_deflate(deflate);
    }
    let case_start = Instant::now();
    session.transcript.start(case_start);
    drive(stream, &leftover, plan, &mut session, timeouts).await;
    let judgement = judge(plan, &session);
    Outcome {
        judgement,
        session: Some(session),
        duration: case_start.elapsed(),
        http_request,
        http_response,
    }
}

pub(crate) fn never_opened(
    plan: &Plan,
    started: Instant,
    http_request: String,
    why: String,
) -> Outcome {
    let _ = plan;
    Outcome {
        judgement: Judgement {
            behavior: crate::verdict::Verdict::Failed,
            behavior_close: crate::verdict::Verdict::Failed,
            result: format!("The WebSocket opening handshake failed: {why}"),
            result_close: "The WebSocket opening handshake was never completed.".into(),
        },
        session: None,
        duration: started.elapsed(),
        http_request,
        http_response: String::new(),
    }
}

/// Connects and performs the opening handshake (RFC 6455 §4.1).
async fn open(url: &Url, request: &ClientRequest) -> Result<ClientOpened, String> {
    if url.secure {
        return Err("wss:// is not supported yet".into());
    }
    let mut stream = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("cannot connect to {}:{}: {e}", url.host, url.port))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .write_all(&request.encode())
        .await
        .map_err(|e| e.to_string())?;
    let limits = Limits::default();
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection during the handshake".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        match request.parse_response(&buf, &limits) {
            Ok(Some((response, used))) => {
                let head = String::from_utf8_lossy(&buf[..used]).into_owned();
                let deflate = accepted_deflate(&response)?;
                return Ok((stream, buf[used..].to_vec(), head, deflate));
            }
            Ok(None) => {}
            Err(e) => return Err(format!("invalid handshake response: {e}")),
        }
    }
}

/// What the client handshake yields: the stream, bytes read past the
/// handshake, the response head, and the extension the server accepted.
type ClientOpened = (TcpStream, Vec<u8>, String, Option<PerMessageDeflate>);

/// The permessage-deflate the server accepted, if any (RFC 7692 §7.1:
/// the parameters of its answer decide both directions).
fn accepted_deflate(response: &Response) -> Result<Option<PerMessageDeflate>, String> {
    let Some(ext) = response
        .extensions()
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(EXTENSION_NAME))
    else {
        return Ok(None);
    };
    let bits = |name: &str| -> Result<Option<u8>, String> {
        match ext.param(name) {
            None => Ok(None),
            Some(Some(v)) => match v.parse::<u8>() {
                Ok(b @ 8..=15) => Ok(Some(b)),
                _ => Err(format!(
                    "invalid {name}={v} in the server's permessage-deflate answer"
                )),
            },
            Some(None) => Err(format!(
                "{name} without a value in the server's permessage-deflate answer"
            )),
        }
    };
    let params = DeflateParams {
        server_no_context_takeover: ext.param("server_no_context_takeover").is_some(),
        client_no_context_takeover: ext.param("client_no_context_takeover").is_some(),
        server_max_window_bits: bits("server_max_window_bits")?,
        client_max_window_bits: bits("client_max_window_bits")?,
    };
    // Every message compressed, as Autobahn does.
    let mut config = DeflateConfig::default();
    config.min_size = 0;
    Ok(Some(PerMessageDeflate::new(Role::Client, &params, &config)))
}

/// Pending deadlines of a running case.
#[derive(Debug, Default)]
struct Deadlines {
    step: Option<(Instant, Option<&'static str>)>,
    finally: Option<Instant>,
    close: Option<Instant>,
    drop: Option<Instant>,
    case: Option<Instant>,
    /// A pause ended with the connection no longer open: no more steps.
    stopped: bool,
}

impl Deadlines {
    fn earliest(&self) -> Option<Instant> {
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

async fn drive(stream: TcpStream, leftover: &[u8], plan: &Plan, s: &mut Session, t: Timeouts) {
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<Vec<u8>>>();
    let write_task = tokio::spawn(async move {
        while let Some(piece) = rx.recv().await {
            match piece {
                Some(bytes) => {
                    if writer.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                None => break,
            }
        }
        let _ = writer.shutdown().await;
    });
    let mut steps = plan.steps.iter();
    let mut d = Deadlines {
        case: Some(Instant::now() + t.case),
        ..Deadlines::default()
    };
    let mut script_done = false;
    let mut buf = vec![0u8; 64 * 1024];
    if !leftover.is_empty() {
        s.receive(leftover);
    }
    loop {
        // Run the script up to its next pause.
        while !script_done && !d.stopped && d.step.is_none() && s.state != State::Closed {
            match steps.next() {
                Some(step) => run_step(step, s, &mut d, t.scale, !plan.deflate_offers.is_empty()),
                None => {
                    script_done = true;
                    let delay = match plan.finally {
                        Finally::Kill(x) | Finally::Close(x) => x,
                    };
                    d.finally = Some(Instant::now() + delay * t.scale);
                }
            }
        }
        if !flush(s, &tx, &mut d, t) {
            break;
        }
        let Some(deadline) = d.earliest() else { break };
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) | Err(_) => { s.eof(); }
                Ok(n) => s.receive(&buf[..n]),
            },
            () = sleep_until(deadline.into()) => fire(plan, s, &mut d, Instant::now()),
        }
        if !flush(s, &tx, &mut d, t) {
            break;
        }
    }
    let _ = tx.send(None);
    let _ = write_task.await;
}

/// Hands the session's output to the writer and starts its timers; false
/// when the connection is over.
fn flush(
    s: &mut Session,
    tx: &mpsc::UnboundedSender<Option<Vec<u8>>>,
    d: &mut Deadlines,
    t: Timeouts,
) -> bool {
    for out in s.take_output() {
        match out {
            Output::Write(bytes) => {
                let _ = tx.send(Some(bytes));
            }
            Output::Drop => {
                let _ = tx.send(None);
            }
            Output::Start(Timer::CloseHandshake) => d.close = Some(Instant::now() + t.close),
            Output::Start(Timer::ServerDrop) => d.drop = Some(Instant::now() + t.server_drop),
        }
    }
    s.state != State::Closed
}

fn run_step(step: &Step, s: &mut Session, d: &mut Deadlines, scale: u32, needs_deflate: bool) {
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
                bytes = crate::wire::encode_header(true, 0, *opcode, *total, s.partial_key);
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
                bytes.extend_from_slice(&crate::wire::encode_frame(
                    left == 0,
                    0,
                    op,
                    &vec![*byte; n],
                    key,
                ));
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

fn fire(plan: &Plan, s: &mut Session, d: &mut Deadlines, now: Instant) {
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
