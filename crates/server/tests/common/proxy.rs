//! A fault-injecting TCP proxy on loopback, for the tests that hold the
//! chat to "nothing lost, nothing doubled" while connections break.
//!
//! While chaos is on, every connection through the proxy gets one fault,
//! chosen at random, and is then cut (reset, with `SO_LINGER` 0) after a
//! random 30–300 ms, so no connection lives long and every fault is
//! bounded in time:
//!
//! | fault | what the proxy does |
//! |---|---|
//! | reset | forwards faithfully until the cut |
//! | truncate | forwards the server's bytes up to a random count (part of a frame), then cuts |
//! | stall | stops forwarding both ways for 50–200 ms at a random moment |
//! | delay | holds every chunk 2–15 ms before forwarding it |
//!
//! With chaos off, new connections are forwarded untouched. The random
//! numbers come from a seeded xorshift generator; the seed is printed so
//! a failing run can be repeated (`FAULT_SEED`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// xorshift64*: small, seeded, good enough to pick faults.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    pub fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.range(lo, hi))
    }
}

/// The seed: `FAULT_SEED`, or the clock.
pub fn seed() -> u64 {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs() ^ u64::from(d.subsec_nanos()) << 20)
        })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Reset,
    Truncate(usize),
    Stall(Duration, Duration),
    Delay(Duration),
}

/// How many faults of each kind the proxy injected.
#[derive(Debug, Default)]
pub struct Counts {
    pub resets: AtomicU64,
    pub truncates: AtomicU64,
    pub stalls: AtomicU64,
    pub delays: AtomicU64,
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    chaos: AtomicBool,
    rng: Mutex<Rng>,
    counts: Counts,
}

/// A running proxy; stops accepting when dropped.
#[derive(Debug)]
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` on a free loopback port, chaos on.
    pub async fn start(upstream: SocketAddr, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            upstream,
            chaos: AtomicBool::new(true),
            rng: Mutex::new(Rng::new(seed)),
            counts: Counts::default(),
        });
        let accepting = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, Arc::clone(&accepting)));
            }
        });
        Self { addr, state, task }
    }

    /// Turns the faults on or off for the connections made from now on.
    pub fn set_chaos(&self, on: bool) {
        self.state.chaos.store(on, Relaxed);
    }

    pub fn counts(&self) -> &Counts {
        &self.state.counts
    }

    pub fn faults(&self) -> u64 {
        let c = &self.state.counts;
        c.resets.load(Relaxed)
            + c.truncates.load(Relaxed)
            + c.stalls.load(Relaxed)
            + c.delays.load(Relaxed)
    }
}

/// A fault and the moment of the cut, for one connection.
fn plan(state: &State) -> Option<(Fault, Duration)> {
    if !state.chaos.load(Relaxed) {
        return None;
    }
    let mut rng = state.rng.lock().unwrap();
    let cut = rng.millis(30, 300);
    let counts = &state.counts;
    let fault = match rng.range(0, 9) {
        0..=3 => {
            counts.resets.fetch_add(1, Relaxed);
            Fault::Reset
        }
        4 | 5 => {
            counts.truncates.fetch_add(1, Relaxed);
            Fault::Truncate(usize::try_from(rng.range(1, 4000)).unwrap())
        }
        6 | 7 => {
            counts.stalls.fetch_add(1, Relaxed);
            Fault::Stall(rng.millis(0, 150), rng.millis(50, 200))
        }
        _ => {
            counts.delays.fetch_add(1, Relaxed);
            Fault::Delay(rng.millis(2, 15))
        }
    };
    Some((fault, cut))
}

async fn serve(client: TcpStream, state: Arc<State>) {
    let Ok(server) = TcpStream::connect(state.upstream).await else {
        return;
    };
    let plan = plan(&state);
    for stream in [&client, &server] {
        // Dropped with linger 0: a reset, as when a network path dies.
        let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
        let _ = stream.set_nodelay(true);
    }
    let start = Instant::now();
    let fault = plan.map(|(fault, _)| fault);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pump(cr, sw, fault, false, start);
    let down = pump(sr, cw, fault, true, start);
    let cut = async {
        match plan {
            Some((_, after)) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
        () = cut => {}
    }
}

/// Forwards `from` to `to` under `fault` (`down`: the server's bytes).
async fn pump<R, W>(mut from: R, mut to: W, fault: Option<Fault>, down: bool, start: Instant)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0; 16 << 10];
    let mut forwarded = 0;
    let mut stalled = false;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        match fault {
            Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
            Some(Fault::Stall(at, length)) if !stalled && start.elapsed() >= at => {
                stalled = true;
                tokio::time::sleep(length).await;
            }
            Some(Fault::Truncate(at)) if down && forwarded + n > at => {
                let _ = to.write_all(&buf[..at - forwarded]).await;
                return;
            }
            _ => {}
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        forwarded += n;
    }
}
