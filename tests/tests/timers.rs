//! Protocol time (RFC 6455 §5.5.2 keepalive, §7.1.1 closing deadlines and
//! who closes TCP first), written once and run against both drivers of the
//! one sans-IO core: ws-tokio and the blocking adapter of ws-frame's
//! examples. The timers live in `ws_frame::Connection`; both drivers only
//! sleep until its `poll_timeout()` and call `handle_timeout(now)`, so they
//! must pass the same tests.
//!
//! Each behaviour is a generic function over [`Driver`]; `for_both_drivers!`
//! instantiates it once per driver. The endpoint under test runs in its own
//! thread on a real TCP socket (the opening handshake is skipped: both
//! drivers start on an upgraded stream); the test plays the peer with a bare
//! `Connection` whose timers are off. Durations are tens of milliseconds and
//! the only timing assertions are "before a generous bound".

#[path = "../../crates/frame/examples/blocking/mod.rs"]
mod blocking;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use ws_frame::{CloseCode, Config, Connection, Event, Role};

/// Far longer than anything here should take.
const BOUND: Duration = Duration::from_secs(5);
/// A close timeout no test should reach.
const LONG: Duration = Duration::from_secs(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What the endpoint under test is set up with, and does.
#[derive(Clone, Copy, Debug)]
struct Script {
    role: Role,
    keepalive: Option<Duration>,
    idle: Option<Duration>,
    close_timeout: Duration,
    /// Start the closing handshake at once (Close 1000).
    close_first: bool,
}

impl Script {
    fn new(role: Role) -> Self {
        Self {
            role,
            keepalive: None,
            idle: None,
            close_timeout: LONG,
            close_first: false,
        }
    }
}

/// What the endpoint saw, in order, until its `recv` returned `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Ping,
    Pong { rtt_measured: bool },
    Data,
    Close(Option<CloseCode>),
    Timeout,
    Error(String),
}

/// A driver of `ws_frame::Connection` over TCP.
trait Driver {
    /// Runs `script` on `stream` to the end.
    fn run(stream: TcpStream, script: Script) -> Vec<Seen>;
}

/// ws-tokio, on a current-thread runtime of its own.
struct Tokio;

impl Driver for Tokio {
    fn run(stream: TcpStream, script: Script) -> Vec<Seen> {
        use ws_tokio::{Error, Message, WebSocket};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            stream.set_nonblocking(true).unwrap();
            let stream = tokio::net::TcpStream::from_std(stream).unwrap();
            let config = ws_tokio::Config {
                keepalive_interval: script.keepalive,
                idle_timeout: script.idle,
                close_timeout: script.close_timeout,
                ..ws_tokio::Config::default()
            };
            let mut ws = WebSocket::from_raw(stream, script.role, config, Default::default());
            if script.close_first {
                ws.send(Message::close(CloseCode::NORMAL, "bye"))
                    .await
                    .unwrap();
            }
            let mut seen = Vec::new();
            while let Some(item) = ws.recv().await {
                seen.push(match item {
                    Ok(Message::Ping(_)) => Seen::Ping,
                    Ok(Message::Pong(_)) => Seen::Pong {
                        rtt_measured: ws.rtt().is_some(),
                    },
                    Ok(Message::Text(_) | Message::Binary(_)) => Seen::Data,
                    Ok(Message::Close(frame)) => Seen::Close(frame.map(|f| f.code)),
                    Err(Error::Timeout) => Seen::Timeout,
                    Err(e) => Seen::Error(e.to_string()),
                });
            }
            seen
        })
    }
}

/// The blocking adapter over `std::net::TcpStream`.
struct Blocking;

impl Driver for Blocking {
    fn run(stream: TcpStream, script: Script) -> Vec<Seen> {
        let mut config = Config::default();
        config.keepalive_interval = script.keepalive;
        config.idle_timeout = script.idle;
        config.close_timeout = script.close_timeout;
        let mut ws = blocking::WebSocket::new(stream, script.role, config, &[]);
        if script.close_first {
            ws.close(CloseCode::NORMAL, "bye").unwrap();
        }
        let mut seen = Vec::new();
        while let Some(item) = ws.recv() {
            seen.push(match item {
                Ok(Event::Ping(_)) => Seen::Ping,
                Ok(Event::Pong(_)) => Seen::Pong {
                    rtt_measured: ws.connection().rtt().is_some(),
                },
                Ok(Event::Text(_) | Event::Binary(_) | Event::Fragment(_)) => Seen::Data,
                Ok(Event::Close(frame)) => Seen::Close(frame.map(|f| f.code)),
                Err(blocking::Error::Timeout) => Seen::Timeout,
                Err(e) => Seen::Error(format!("{e:?}")),
            });
        }
        seen
    }
}

/// The endpoint under test, running in its thread.
struct Endpoint(mpsc::Receiver<Vec<Seen>>);

impl Endpoint {
    /// What it saw; panics unless it finished within [`BOUND`].
    fn outcome(&self) -> Vec<Seen> {
        self.0
            .recv_timeout(BOUND)
            .expect("the endpoint did not finish in time")
    }
}

/// The test's side of the connection: a bare `Connection`, timers off.
struct Peer {
    stream: TcpStream,
    conn: Connection,
}

impl Peer {
    /// The next event; `None` at the end of the stream. Queued answers
    /// (automatic Pong, Close reply) are only written by [`Peer::flush`].
    fn next(&mut self) -> Option<Event> {
        let mut buf = [0; 4096];
        loop {
            match self.conn.poll_event() {
                Ok(Some(event)) => return Some(event),
                Ok(None) => {}
                Err(e) => panic!("the endpoint broke the protocol: {e}"),
            }
            self.stream.set_read_timeout(Some(BOUND)).unwrap();
            match self.stream.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => self.conn.receive(&buf[..n]),
                Err(e) => panic!("nothing from the endpoint in time: {e}"),
            }
        }
    }

    /// The next event that is not a keepalive Ping (those are answered).
    fn next_but_pings(&mut self) -> Option<Event> {
        loop {
            match self.next() {
                Some(Event::Ping(_)) => self.flush(),
                other => return other,
            }
        }
    }

    fn flush(&mut self) {
        while let Some(chunk) = self.conn.poll_transmit() {
            self.stream.write_all(&chunk).unwrap();
        }
    }

    /// Whether the endpoint closes the TCP connection within [`BOUND`]
    /// (whatever it still sends is discarded).
    fn sees_eof(&mut self) -> bool {
        self.stream.set_read_timeout(Some(BOUND)).unwrap();
        let mut buf = [0; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }

    /// Whether the endpoint keeps the TCP connection open for `wait`.
    fn no_eof_for(&mut self, wait: Duration) -> bool {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        match self.stream.read(&mut [0; 64]) {
            Ok(n) => n > 0,
            Err(e) => matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
        }
    }
}

/// Starts `script` under driver `D` on one end of a TCP connection; the
/// test gets the other end.
fn start<D: Driver>(script: Script) -> (Endpoint, Peer) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let near = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (far, _) = listener.accept().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(D::run(far, script));
    });
    let peer_role = match script.role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let peer = Peer {
        stream: near,
        conn: Connection::new(peer_role, Config::default()),
    };
    (Endpoint(rx), peer)
}

/// The peer starts the closing handshake.
fn peer_closes(peer: &mut Peer) {
    peer.conn.close(CloseCode::NORMAL, "done").unwrap();
    peer.flush();
}

// ---------------------------------------------------------------------------
// The behaviours, each written once.

/// §5.5.2: after the keepalive interval of silence the endpoint pings; the
/// peer's Pong comes back and its round trip is measured.
fn keepalive_ping_is_sent_and_its_pong_measured<D: Driver>() {
    let mut script = Script::new(Role::Server);
    script.keepalive = Some(ms(30));
    let (endpoint, mut peer) = start::<D>(script);
    assert!(matches!(peer.next(), Some(Event::Ping(_))));
    peer.flush(); // the automatic Pong
    // The endpoint keeps pinging while the peer says nothing; once one
    // Pong is back, close.
    assert!(matches!(peer.next(), Some(Event::Ping(_))));
    peer.flush();
    peer_closes(&mut peer);
    assert!(matches!(peer.next_but_pings(), Some(Event::Close(_))));
    let seen = endpoint.outcome();
    assert!(
        seen.contains(&Seen::Pong { rtt_measured: true }),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&Seen::Close(Some(CloseCode::NORMAL))));
}

/// An idle peer gets Close 1001 (§7.4.1 "going away"); answering it ends
/// the connection cleanly.
fn idle_peer_gets_close_1001<D: Driver>() {
    let mut script = Script::new(Role::Server);
    script.idle = Some(ms(40));
    let (endpoint, mut peer) = start::<D>(script);
    match peer.next() {
        Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::GOING_AWAY),
        other => panic!("expected Close 1001, got {other:?}"),
    }
    peer.flush(); // the Close reply
    assert_eq!(
        endpoint.outcome(),
        [Seen::Close(Some(CloseCode::GOING_AWAY))]
    );
    assert!(peer.sees_eof());
}

/// An idle peer that does not answer the 1001 either is dropped after the
/// close timeout.
fn idle_peer_that_ignores_close_is_dropped<D: Driver>() {
    let mut script = Script::new(Role::Server);
    script.idle = Some(ms(40));
    script.close_timeout = ms(60);
    let (endpoint, mut peer) = start::<D>(script);
    assert!(matches!(peer.next(), Some(Event::Close(_))));
    assert_eq!(endpoint.outcome(), [Seen::Timeout]);
    assert!(peer.sees_eof());
}

/// §7.1.1: a peer that never answers our Close is given up on after the
/// close timeout.
fn close_times_out_when_the_peer_never_answers<D: Driver>() {
    for role in [Role::Client, Role::Server] {
        let mut script = Script::new(role);
        script.close_first = true;
        script.close_timeout = ms(60);
        let (endpoint, mut peer) = start::<D>(script);
        match peer.next() {
            Some(Event::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::NORMAL),
            other => panic!("expected our Close, got {other:?}"),
        }
        assert_eq!(endpoint.outcome(), [Seen::Timeout], "{role:?}");
        assert!(peer.sees_eof());
    }
}

/// §7.1.1: "the server SHOULD close the underlying TCP connection first":
/// after the handshake the server shuts TCP down without waiting for the
/// client to (and long before its close timeout).
fn server_shuts_tcp_down_first<D: Driver>() {
    let (endpoint, mut peer) = start::<D>(Script::new(Role::Server));
    peer_closes(&mut peer);
    assert!(matches!(peer.next(), Some(Event::Close(_))));
    assert!(peer.sees_eof(), "the server did not close TCP");
    assert_eq!(endpoint.outcome(), [Seen::Close(Some(CloseCode::NORMAL))]);
}

/// §7.1.1: after the handshake a client waits for the server's EOF, and
/// finishes as soon as it comes.
fn client_waits_for_the_servers_eof<D: Driver>() {
    let (endpoint, mut peer) = start::<D>(Script::new(Role::Client));
    peer_closes(&mut peer);
    assert!(matches!(peer.next(), Some(Event::Close(_))));
    assert!(
        peer.no_eof_for(ms(50)),
        "the client closed TCP before the server"
    );
    peer.stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(endpoint.outcome(), [Seen::Close(Some(CloseCode::NORMAL))]);
    assert!(peer.sees_eof());
}

/// §7.1.1: "if it has not received a TCP Close from the server in a
/// reasonable time period" the client closes the connection itself.
fn client_gives_up_waiting_after_the_close_timeout<D: Driver>() {
    let mut script = Script::new(Role::Client);
    script.close_timeout = ms(60);
    let (endpoint, mut peer) = start::<D>(script);
    peer_closes(&mut peer);
    assert!(matches!(peer.next(), Some(Event::Close(_))));
    // The peer (the server) never closes TCP.
    assert!(peer.sees_eof(), "the client did not give up");
    assert_eq!(endpoint.outcome(), [Seen::Close(Some(CloseCode::NORMAL))]);
}

/// Instantiates every behaviour once per driver.
macro_rules! for_both_drivers {
    ($($behaviour:ident),* $(,)?) => {
        mod tokio_driver {
            $(#[test] fn $behaviour() { super::$behaviour::<super::Tokio>(); })*
        }
        mod blocking_driver {
            $(#[test] fn $behaviour() { super::$behaviour::<super::Blocking>(); })*
        }
    };
}

for_both_drivers!(
    keepalive_ping_is_sent_and_its_pong_measured,
    idle_peer_gets_close_1001,
    idle_peer_that_ignores_close_is_dropped,
    close_times_out_when_the_peer_never_answers,
    server_shuts_tcp_down_first,
    client_waits_for_the_servers_eof,
    client_gives_up_waiting_after_the_close_timeout,
);
