//! One member's connection task: join (handshake, then wait for the
//! `welcome`), then read everything the room sends, and, for a sender,
//! send a timestamped message at every tick.
//!
//! Every task reads into one buffer shared by all the tasks of the
//! (current-thread) runtime: a read is taken when the socket is readable
//! (`try_read`) and counted at once, so a member holds only its
//! [`Counter`]'s few bytes between reads, and ten thousand members do not
//! cost ten thousand read buffers.

use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};
use ws_frame::OpCode;
use ws_frame::deflate::{DeflateConfig, client_accept, client_offer};

use super::counter::{Counter, Event};
use crate::phase::Phase;
use crate::raw::{handshake, invalid, masked_frame};
use crate::stats::Latencies;

/// Size of the read buffer every member shares.
const READ_BUF: usize = 256 << 10;

thread_local! {
    static READ: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_BUF].into_boxed_slice());
}

/// What every member counts into.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) phase: Phase,
    /// The start of the run: send times are nanoseconds since it.
    pub(super) epoch: Instant,
    pub(super) sent: AtomicU64,
    /// Room messages received in the measured window.
    pub(super) deliveries: AtomicU64,
    /// Room messages received at any time (for the progress line).
    pub(super) total_deliveries: AtomicU64,
    pub(super) errors: AtomicU64,
    /// `join`, `leave` and `presence` events received, at any time (the
    /// fill's presence traffic).
    pub(super) presence: AtomicU64,
    /// Members the server closed (or dropped) before the run ended.
    pub(super) closed_by_server: AtomicU64,
    /// The sampled deliveries' latencies in the window.
    pub(super) latencies: Mutex<Latencies>,
}

impl Shared {
    pub(super) fn new() -> Self {
        Self {
            phase: Phase::default(),
            epoch: Instant::now(),
            sent: AtomicU64::new(0),
            deliveries: AtomicU64::new(0),
            total_deliveries: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            presence: AtomicU64::new(0),
            closed_by_server: AtomicU64::new(0),
            latencies: Mutex::new(Latencies::default()),
        }
    }
}

/// Who this member is.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) index: usize,
    /// `ws://…/chat/{room}?name=m{index}`.
    pub(super) url: String,
    pub(super) deflate: bool,
    /// Sample one delivery in this many.
    pub(super) every: u64,
    /// For a sender: the offset of its first tick, and the interval.
    pub(super) sends: Option<(Duration, Duration)>,
}

/// How the run steers its members.
#[derive(Debug)]
pub(super) struct Signals {
    /// Joins in flight at once.
    pub(super) joins: Arc<Semaphore>,
    /// Each member's join: `Ok` once its `welcome` came.
    pub(super) joined: mpsc::UnboundedSender<io::Result<()>>,
    /// Every member is in: senders start.
    pub(super) go: watch::Receiver<bool>,
    /// The run is over.
    pub(super) stop: watch::Receiver<bool>,
}

/// What one read brought.
#[derive(Debug, Default)]
struct Tally {
    messages: u64,
    errors: u64,
    presence: u64,
    welcome: bool,
    /// A data message came before the `welcome`.
    unwelcome: bool,
    closed: bool,
    pings: Vec<Vec<u8>>,
    samples: Vec<Duration>,
}

/// Opens the connection and makes its counter.
async fn connect(plan: &Plan) -> io::Result<(TcpStream, Vec<u8>, Counter)> {
    let config = DeflateConfig::default();
    let offers = match plan.deflate.then(|| client_offer(&config)).flatten() {
        Some(offer) => ws_handshake::parse_extensions(&offer).map_err(invalid)?,
        None => Vec::new(),
    };
    let (stream, rest, response) = handshake(&plan.url, &offers).await?;
    let agreed = response
        .extensions()
        .iter()
        .find(|e| e.name == "permessage-deflate");
    let (inflater, inflate_all) = match agreed {
        Some(e) => {
            let inflater = client_accept(&e.params, &config).map_err(invalid)?;
            let takeover = !inflater.params().server_no_context_takeover;
            (Some(inflater), takeover)
        }
        None if plan.deflate => return Err(invalid("the server declined permessage-deflate")),
        None => (None, false),
    };
    let phase = plan.index as u64;
    Ok((
        stream,
        rest,
        Counter::new(plan.every, phase, inflater, inflate_all),
    ))
}

/// Runs one member until the run stops or the server closes it.
pub(super) async fn run(plan: Plan, shared: Arc<Shared>, signals: Signals) {
    let Signals {
        joins,
        joined,
        mut go,
        mut stop,
    } = signals;
    let permit = joins.acquire_owned().await;
    let (mut stream, rest, mut counter) = match connect(&plan).await {
        Ok(c) => c,
        Err(e) => {
            let _ = joined.send(Err(e));
            return;
        }
    };
    let mut permit = Some(permit);
    let mut welcomed = false;
    let mut on_tally = |tally: &Tally, welcomed: &mut bool| -> Result<(), String> {
        if tally.unwelcome && !*welcomed {
            return Err(format!(
                "member {}: first message is not welcome",
                plan.index
            ));
        }
        if tally.welcome && !*welcomed {
            *welcomed = true;
            permit.take();
            let _ = joined.send(Ok(()));
        }
        Ok(())
    };
    let tally = match take(&mut counter, &rest, &shared, false) {
        Ok(t) => t,
        Err(e) => {
            let _ = joined.send(Err(e));
            return;
        }
    };
    if let Err(e) = on_tally(&tally, &mut welcomed) {
        let _ = joined.send(Err(invalid(e)));
        return;
    }
    // `wait_for`'s guard must not live across the handlers' writes.
    let stopped = async {
        let _ = stop.wait_for(|s| *s).await;
    };
    let started = async {
        let _ = go.wait_for(|g| *g).await;
    };
    tokio::pin!(stopped, started);
    let mut tick: Option<tokio::time::Interval> = None;
    loop {
        tokio::select! {
            biased;
            () = &mut stopped => {
                let close = masked_frame(OpCode::Close, &1000_u16.to_be_bytes());
                let _ = stream.write_all(&close).await;
                return;
            }
            () = &mut started, if plan.sends.is_some() && tick.is_none() => {
                if let Some((offset, interval)) = plan.sends {
                    let mut t = tokio::time::interval_at((Instant::now() + offset).into(), interval);
                    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    tick = Some(t);
                }
            }
            () = next_tick(&mut tick) => {
                let stamp = shared.epoch.elapsed().as_nanos();
                let text = format!(r#"{{"type":"message","text":"{}:{stamp}"}}"#, plan.index);
                if stream.write_all(&masked_frame(OpCode::Text, text.as_bytes())).await.is_err() {
                    break;
                }
                if shared.phase.is_measuring() {
                    shared.sent.fetch_add(1, Relaxed);
                }
            }
            ready = stream.readable() => {
                if ready.is_err() {
                    break;
                }
                let tally = READ.with_borrow_mut(|buf| match stream.try_read(buf) {
                    Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => take(&mut counter, &buf[..n], &shared, welcomed),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Tally::default()),
                    Err(e) => Err(e),
                });
                let Ok(tally) = tally else { break };
                if let Err(e) = on_tally(&tally, &mut welcomed) {
                    let _ = joined.send(Err(invalid(e)));
                    return;
                }
                for ping in &tally.pings {
                    if stream.write_all(&masked_frame(OpCode::Pong, ping)).await.is_err() {
                        break;
                    }
                }
                if tally.closed {
                    break;
                }
            }
        }
    }
    shared.closed_by_server.fetch_add(1, Relaxed);
    if !welcomed {
        let _ = joined.send(Err(invalid(format!(
            "member {}: closed before welcome",
            plan.index
        ))));
    }
}

/// The next tick of a sender; never, for the others.
async fn next_tick(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Counts the bytes of one read: deliveries and errors into `shared`,
/// sampled latencies too (in the measured window); a data message before
/// the `welcome` is marked.
fn take(counter: &mut Counter, data: &[u8], shared: &Shared, welcomed: bool) -> io::Result<Tally> {
    let mut tally = Tally::default();
    let now = shared.epoch.elapsed().as_nanos();
    let measuring = shared.phase.is_measuring();
    counter.feed(data, &mut |event| match event {
        Event::Welcome => tally.welcome = true,
        Event::Message { json } => {
            tally.unwelcome |= !welcomed && !tally.welcome;
            tally.messages += 1;
            if measuring && let Some(sent) = json.and_then(stamp) {
                let ns = u64::try_from(now.saturating_sub(sent)).unwrap_or(u64::MAX);
                tally.samples.push(Duration::from_nanos(ns));
            }
        }
        Event::Error | Event::Presence | Event::Other => {
            tally.unwelcome |= !welcomed && !tally.welcome;
            match event {
                Event::Error => tally.errors += 1,
                Event::Presence => tally.presence += 1,
                _ => {}
            }
        }
        Event::Ping(payload) => tally.pings.push(payload.to_vec()),
        Event::Close => tally.closed = true,
    })?;
    if tally.messages > 0 {
        shared.total_deliveries.fetch_add(tally.messages, Relaxed);
        if measuring {
            shared.deliveries.fetch_add(tally.messages, Relaxed);
        }
    }
    if tally.presence > 0 {
        shared.presence.fetch_add(tally.presence, Relaxed);
    }
    if tally.errors > 0 {
        shared.errors.fetch_add(tally.errors, Relaxed);
    }
    if !tally.samples.is_empty() {
        let mut latencies = shared
            .latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for d in &tally.samples {
            latencies.record(*d);
        }
    }
    Ok(tally)
}

/// The send time in a sampled `message`: its `text` is `index:nanoseconds`.
fn stamp(json: &[u8]) -> Option<u128> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let (_, ns) = value["text"].as_str()?.split_once(':')?;
    ns.parse().ok()
}
