//! Runs one case over one TCP connection: the opening handshake, the
//! case's steps, the timers, and the session until the connection ends.
//!
//! Reading never waits for writing: a writer task owns the write half and
//! sends each queued piece as its own write (with Nagle off, so that a
//! frame chopped into 1-byte pieces really reaches the peer in pieces),
//! while this task keeps reading, because a peer echoing a 16 MiB message
//! starts answering before the checker has finished sending it.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::sleep_until;
use tokio_rustls::TlsConnector;
use ws_frame::deflate::{EXTENSION_NAME, PerMessageDeflate};
use ws_handshake::{ClientRequest, ExtensionOffer, Url};

use crate::judge::{Judgement, judge};
use crate::plan::{Finally, Plan};
use crate::session::{Output, Session, State, Timer};

pub(crate) use opening::checker_deflate_config;
use opening::open;
use steps::{Deadlines, fire, run_step};

mod opening;
mod raw_opening;
mod steps;

/// A connection's bytes: TCP, or TLS over TCP for `wss://`.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}
/// A boxed [`Stream`].
pub(crate) type BoxStream = Box<dyn Stream>;

/// The limits of one case run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect plus opening handshake (Autobahn: 5 s).
    pub open: Duration,
    /// The peer's answer to our Close (Autobahn: 1 s).
    pub close: Duration,
    /// The server dropping TCP after the close handshake (Autobahn: 1 s).
    pub server_drop: Duration,
    /// The whole case beyond its own pauses and final timer, whatever
    /// happens (a peer that keeps the connection busy forever).
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

/// Runs `plan` against the server at `url` (through `tls` for `wss://`).
pub(crate) async fn run_case(
    url: &Url,
    tls: Option<&TlsConnector>,
    plan: &Plan,
    timeouts: Timeouts,
) -> Outcome {
    if let Some(o) = &plan.opening {
        return raw_opening::run(url, tls, o, timeouts).await;
    }
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
    let opened = tokio::time::timeout(timeouts.open, open(url, tls, &request)).await;
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
pub(crate) struct Opened {
    /// The socket.
    pub stream: BoxStream,
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

async fn drive(stream: BoxStream, leftover: &[u8], plan: &Plan, s: &mut Session, t: Timeouts) {
    let (mut reader, mut writer) = tokio::io::split(stream);
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
    // The case's own timers come first: the overall limit only stops a
    // run that outlives all of them (a 9.7.6 or 13.x echo loop is allowed
    // 480 s, more than the limit alone).
    let mut d = Deadlines {
        case: Some(Instant::now() + t.case + plan.scripted_time() * t.scale),
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
